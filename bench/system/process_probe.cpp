#include "system/process_probe.hpp"

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace btms::bench {
namespace {

double ticks_per_second() {
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return ticks;
}

// /proc/.../stat: "pid (comm) state ..." with utime and stime as fields 14 and 15. comm may
// hold spaces and parentheses, so it ends at the last ')'.
bool read_stat(const std::string& path, std::string& comm, double& cpu_s) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  comm = text.substr(open + 1, close - open - 1);
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // After comm: state is field 3; utime is field 14, stime 15.
  for (int index = 3; index <= 15 && rest >> field; ++index) {
    if (index == 14) utime = std::stoull(field);
    if (index == 15) stime = std::stoull(field);
  }
  cpu_s = static_cast<double>(utime + stime) / ticks_per_second();
  return true;
}

std::uint64_t read_field(const std::string& path, const std::string& key, std::uint64_t scale) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    return std::stoull(line.substr(key.size())) * scale;
  }
  return 0;
}

}  // namespace

std::optional<ProcessSample> sample_process(pid_t pid) {
  ProcessSample out;
  out.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  const std::string base = "/proc/" + std::to_string(pid);
  std::string comm;
  if (!read_stat(base + "/stat", comm, out.cpu_s)) return std::nullopt;
  out.rss_bytes = read_field(base + "/status", "VmRSS:", 1024);
  out.write_bytes = read_field(base + "/io", "write_bytes: ", 1);
  out.written_chars = read_field(base + "/io", "wchar: ", 1);
  if (DIR* tasks = ::opendir((base + "/task").c_str())) {
    while (const dirent* entry = ::readdir(tasks)) {
      if (entry->d_name[0] == '.') continue;
      ThreadCpu thread;
      if (read_stat(base + "/task/" + entry->d_name + "/stat", thread.name, thread.cpu_s))
        out.threads.emplace(static_cast<pid_t>(std::stoi(entry->d_name)), thread);
    }
    ::closedir(tasks);
  }
  return out;
}

std::map<std::string, double> thread_cpu_by_name(const ProcessSample& from,
                                                 const ProcessSample& to) {
  std::map<std::string, double> out;
  for (const auto& [tid, thread] : to.threads) {
    const auto before = from.threads.find(tid);
    const double start = before == from.threads.end() ? 0.0 : before->second.cpu_s;
    out[thread.name] += thread.cpu_s - start;
  }
  return out;
}

}  // namespace btms::bench
