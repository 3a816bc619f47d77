// Runs a load-client binary as a separate process (so its CPU never counts as the gateway's)
// with the benchmarks' line protocol: the client prints "ready" once its load runs, then one
// report line when it is done.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace btms::bench {

struct LoadProcessRun {
  bool started = false;      // posix_spawn succeeded
  bool ready = false;        // the first line was "ready" (while_loaded ran)
  std::string first_line;    // what the process said instead of "ready" (when not ready)
  std::string report_line;   // the line after "ready" (empty when there was none)
  bool exited_ok = false;    // the process exited with status 0
  double cpu_seconds = 0.0;  // user + system seconds the process used
};

// Spawns `binary args...` with its stdout on a pipe, calls while_loaded() (on this thread) once
// the process printed "ready", reads its report line, then reaps it. while_loaded should return
// well before the process ends its load.
LoadProcessRun run_load_process(const char* binary, const std::vector<std::string>& args,
                                const std::function<void()>& while_loaded);

}  // namespace btms::bench
