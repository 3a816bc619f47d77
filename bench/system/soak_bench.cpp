// Soak of a whole `btms demo` under hostile and busy clients at once (issue 17): the plant at
// --speed 60 with 1 % garbage on a field bus, 50 WebSocket stream clients, 32 SCADA masters
// polling, a failed and a good login and an acknowledgement every second. Samples the
// gateway's resident memory and open file descriptors every 5 s and checks, after a warm-up of
// a fifth of the run: no crash, RSS and descriptors flat, every acknowledgement answered 200
// and recorded in the audit log. Prints each figure next to its limit; exit 1 on a miss.
//   soak_bench [seconds]   (default 3600; BTMS_SOAK_SECONDS also sets it; BTMS_SOAK_BINARY
//   names another btms binary than the build's)
#include <modbus.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "process.hpp"
#include "test_client.hpp"

namespace {

using namespace std::chrono_literals;

long rss_kB(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::atol(line.c_str() + 6);
  }
  return -1;
}

long open_fds(int pid) {
  std::error_code ec;
  long n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return ec ? -1 : n;
}

const char* verdict(bool ok) {
  return ok ? "ok" : "MISSED";
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 3600;
  if (const char* env = std::getenv("BTMS_SOAK_SECONDS")) seconds = std::atoi(env);
  if (argc > 1) seconds = std::atoi(argv[1]);
  // BTMS_SOAK_BINARY: soak a copy of the binary while the build tree is rebuilt.
  const char* binary =
      std::getenv("BTMS_SOAK_BINARY") ? std::getenv("BTMS_SOAK_BINARY") : BTMS_BINARY;
  seconds = std::max(seconds, 30);
  ::signal(SIGPIPE, SIG_IGN);

  btms::e2e::TempFolder data;
  const std::string scenario = data.path() + "/noise.toml";
  std::ofstream(scenario) << "[[event]]\nat_s = 1\ntype = \"bus_noise\"\nbus = \"string1\"\n"
                             "percent = 1\n";
  btms::e2e::ChildProcess demo({binary, "demo", "--speed", "60", "--port", "0", "--scada-port", "0",
                                "--data-dir", data.path() + "/gw", "--scenario", scenario});
  const int scada_port = btms::e2e::wait_for_port(demo, R"(SCADA Modbus TCP: 127\.0\.0\.1:(\d+))");
  const int port = btms::e2e::wait_for_port(demo, R"(http://127\.0\.0\.1:(\d+)/)");
  if (port <= 0 || scada_port <= 0) {
    std::printf("soak: btms demo did not start\n");
    return 1;
  }
  btms::e2e::WebSession admin(port);
  if (admin.setup("admin", "admin-password-1").status != 201) {
    std::printf("soak: first-admin setup failed\n");
    return 1;
  }
  // The demo logs to its stdout, a pipe to this process: keep reading it, or after some
  // 64 kB of log lines (about 40 minutes of 1 % bus garbage) the demo's logging blocks and its
  // shutdown waits forever on a thread stuck in write().
  std::atomic<bool> stop_draining{false};
  std::atomic<long> log_lines{0};
  std::thread drainer([&] {
    while (!stop_draining) {
      if (!demo.read_line(500).empty()) ++log_lines;
    }
  });

  std::atomic<bool> stop{false};
  std::atomic<long> stream_messages{0}, stream_reconnects{0}, scada_reads{0}, scada_failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&] {
      while (!stop) {
        btms::web::test::WsClient ws;
        if (ws.connect(port, "/api/v1/stream") != 101 ||
            !ws.send_text(R"({"subscribe":["string/1/","ups/"]})")) {
          ++stream_reconnects;
          std::this_thread::sleep_for(500ms);
          continue;
        }
        while (!stop && ws.read_text(2000ms)) ++stream_messages;
        if (!stop) ++stream_reconnects;
      }
    });
  }
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      modbus_t* ctx = modbus_new_tcp("127.0.0.1", scada_port);
      modbus_set_slave(ctx, 101);
      modbus_set_response_timeout(ctx, 2, 0);
      bool connected = modbus_connect(ctx) == 0;
      std::uint16_t regs[20];
      while (!stop) {
        if (connected && modbus_read_registers(ctx, 100, 20, regs) == 20) {
          ++scada_reads;
        } else {
          ++scada_failures;
          modbus_close(ctx);
          connected = modbus_connect(ctx) == 0;
        }
        std::this_thread::sleep_for(1s);
      }
      modbus_close(ctx);
      modbus_free(ctx);
    });
  }

  struct Sample {
    int t_s;
    long rss_kB;
    long fds;
  };
  std::vector<Sample> samples;
  long acks_sent = 0, acks_ok = 0, logins_ok = 0;
  const auto start = std::chrono::steady_clock::now();
  bool alive = true;
  // Paced by the clock: an iteration that takes longer than a second (two password hashes on a
  // loaded machine) shortens the next wait, and the run ends after `seconds` whatever the count.
  const auto end = start + std::chrono::seconds(seconds);
  for (int t = 0; std::chrono::steady_clock::now() < end && alive; ++t) {
    btms::e2e::WebSession guesser(port);
    guesser.login("admin", "wrong-password-" + std::to_string(t));
    btms::e2e::WebSession op(port);
    if (op.login("admin", "admin-password-1").status == 200) ++logins_ok;
    ++acks_sent;
    if (admin.post("/api/v1/alarms/acknowledge", R"({"key":"*"})").status == 200) ++acks_ok;
    if (t % 5 == 0) {
      samples.push_back({t, rss_kB(demo.pid()), open_fds(demo.pid())});
      alive = samples.back().rss_kB > 0;
    }
    std::this_thread::sleep_until(start + std::chrono::seconds(t + 1));
  }
  stop = true;
  for (auto& th : threads) th.join();

  // The audit log keeps every acknowledgement (read newest first, 1000 at a time).
  long audited = 0;
  std::int64_t to_ms = INT64_MAX;
  for (;;) {
    const auto reply = admin.get("/api/v1/audit?limit=1000&to_ms=" + std::to_string(to_ms));
    if (reply.status != 200) break;
    const auto entries = nlohmann::json::parse(reply.body, nullptr, false);
    if (!entries.is_array() || entries.empty()) break;
    for (const auto& e : entries) {
      if (e.value("action", "") == "acknowledge") ++audited;
      to_ms = std::min<std::int64_t>(to_ms, e.value("time_ms", std::int64_t{0}) - 1);
    }
    if (entries.size() < 1000) break;
  }
  const int status = demo.interrupt_and_wait(20'000);
  stop_draining = true;
  drainer.join();

  const auto warm = std::find_if(samples.begin(), samples.end(),
                                 [&](const Sample& s) { return s.t_s >= seconds / 5; });
  long rss_min = LONG_MAX, rss_max = 0, fd_min = LONG_MAX, fd_max = 0;
  for (auto it = warm; it != samples.end(); ++it) {
    rss_min = std::min(rss_min, it->rss_kB);
    rss_max = std::max(rss_max, it->rss_kB);
    fd_min = std::min(fd_min, it->fds);
    fd_max = std::max(fd_max, it->fds);
  }
  const double rss_growth = rss_min > 0 ? 100.0 * (rss_max - rss_min) / rss_min : 100.0;
  const bool ok_alive = alive && status == 0;
  const bool ok_rss = warm != samples.end() && rss_growth <= 10.0;
  const bool ok_fds = warm != samples.end() && fd_max - fd_min <= 16;
  const bool ok_acks = acks_ok == acks_sent && audited >= acks_sent;
  const bool ok_clients = stream_messages > 0 && scada_reads > 0;
  std::printf("soak: %d s at --speed 60, 50 stream clients, 32 SCADA masters, 1 %% bus garbage\n",
              seconds);
  std::printf(
      "  gateway alive, clean exit        %-6s limit yes        %s  (exit status %d, -1: "
      "still running 20 s after SIGINT; %ld log lines read)\n",
      ok_alive ? "yes" : "no", verdict(ok_alive), status, static_cast<long>(log_lines));
  std::printf("  RSS after warm-up               %ld..%ld kB (+%.1f %%)  limit +10 %%  %s\n",
              rss_min, rss_max, rss_growth, verdict(ok_rss));
  std::printf("  open descriptors after warm-up  %ld..%ld  limit spread 16  %s\n", fd_min, fd_max,
              verdict(ok_fds));
  std::printf(
      "  acknowledgements                %ld sent, %ld answered 200, %ld in the audit log"
      "  limit all  %s\n",
      acks_sent, acks_ok, audited, verdict(ok_acks));
  std::printf(
      "  logins ok %ld; stream messages %ld (reconnects %ld); SCADA reads %ld (failed %ld)"
      "  %s\n",
      logins_ok, static_cast<long>(stream_messages), static_cast<long>(stream_reconnects),
      static_cast<long>(scada_reads), static_cast<long>(scada_failures), verdict(ok_clients));
  return ok_alive && ok_rss && ok_fds && ok_acks && ok_clients ? 0 : 1;
}
