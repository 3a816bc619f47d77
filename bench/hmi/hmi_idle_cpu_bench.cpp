// CPU of `btms hmi` while idle on the 160-battery demo (issue 23: under 2 % of a core): the
// display runs in its own tmux server against `btms demo`, follows the live stream and redraws
// its clock every second; its user + system time is read from /proc over 20 s.
// Run: build/bench/hmi/bench_hmi_idle_cpu. Exits 1 when the limit is missed.
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "process.hpp"
#include "shell_output.hpp"

namespace {

constexpr double kLimit_pct = 2.0;
constexpr int kMeasure_s = 20;

// utime + stime of a process, in clock ticks; -1 when it is gone.
long cpu_ticks(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return -1;
  std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (comm) "
  std::string field;
  long utime = 0;
  long stime = 0;
  for (int k = 3; k <= 15 && fields >> field; ++k) {
    if (k == 14) utime = std::stol(field);
    if (k == 15) stime = std::stol(field);
  }
  return utime + stime;
}

}  // namespace

int main() {
  btms::e2e::TempFolder folder;
  btms::e2e::ChildProcess demo({BTMS_BINARY, "demo", "--port", "0", "--scada-port", "0",
                                "--data-dir", folder.path() + "/data"});
  const int port = btms::e2e::wait_for_port(demo, R"(http://127\.0\.0\.1:(\d+)/)");
  if (port <= 0) {
    std::cerr << "the demo did not start\n";
    return 1;
  }
  const std::string socket = "btms-hmi-bench-" + std::to_string(::getpid());
  const std::string tmux = "tmux -L " + socket + " ";
  btms::e2e::shell_output(tmux + "-f /dev/null new-session -d -s hmi -x 80 -y 24 'exec " +
                          BTMS_BINARY + " hmi --gateway http://127.0.0.1:" + std::to_string(port) +
                          "'");
  bool linked = false;
  for (int i = 0; i < 100 && !linked; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    linked = btms::e2e::shell_output(tmux + "capture-pane -p -t hmi").find("● link ok") !=
             std::string::npos;
  }
  const int pid =
      std::atoi(btms::e2e::shell_output(tmux + "list-panes -t hmi -F '#{pane_pid}'").c_str());
  int status = 1;
  if (!linked || pid <= 0) {
    std::cerr << "the display did not connect\n";
  } else {
    std::this_thread::sleep_for(std::chrono::seconds(2));  // past the first full reads
    const long before = cpu_ticks(pid);
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(kMeasure_s));
    const long after = cpu_ticks(pid);
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double pct = 100.0 * static_cast<double>(after - before) /
                       static_cast<double>(::sysconf(_SC_CLK_TCK)) / wall_s;
    const bool ok = before >= 0 && after >= 0 && pct < kLimit_pct;
    std::printf(
        "btms hmi idle on the 160-battery demo: %.2f %% of a core over %.0f s "
        "(limit %.1f %%) %s\n",
        pct, wall_s, kLimit_pct, ok ? "ok" : "MISSED");
    status = ok ? 0 : 1;
  }
  btms::e2e::shell_output(tmux + "kill-server 2>/dev/null");
  return status;
}
