// What /proc says about another process: CPU (whole process and per thread, by thread name),
// resident memory and bytes written to storage. The full-scale benchmark samples the gateway
// with it; nothing here runs inside the measured process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace btms::bench {

struct ThreadCpu {
  std::string name;    // comm, e.g. "fb:s12", "hist:writer"
  double cpu_s = 0.0;  // user + system seconds so far
};

struct ProcessSample {
  double wall_s = 0.0;                 // steady clock seconds when taken
  double cpu_s = 0.0;                  // user + system seconds of the whole process
  std::uint64_t rss_bytes = 0;         // VmRSS
  std::uint64_t write_bytes = 0;       // /proc/PID/io write_bytes: what reached the storage layer
  std::uint64_t written_chars = 0;     // /proc/PID/io wchar: every byte handed to write()
  std::map<pid_t, ThreadCpu> threads;  // by thread id
};

// nullopt when the process is gone.
std::optional<ProcessSample> sample_process(pid_t pid);

// CPU seconds per thread name between two samples (threads of one name summed; a thread that
// started in between counts from zero).
std::map<std::string, double> thread_cpu_by_name(const ProcessSample& from,
                                                 const ProcessSample& to);

}  // namespace btms::bench
