#include "stream_load.hpp"

#include <cstdio>

#include "support/load_process.hpp"

namespace btms::bench {

StreamLoadFigures run_stream_load(const char* client_binary, int port, int clients, int duration_ms,
                                  const std::string& prefix,
                                  const std::function<void()>& while_loaded) {
  StreamLoadFigures figures;
  const auto run = run_load_process(
      client_binary,
      {std::to_string(port), std::to_string(clients), std::to_string(duration_ms), prefix},
      while_loaded);
  if (!run.started) return figures;
  if (run.ready && !run.report_line.empty()) {
    figures.ran =
        std::sscanf(run.report_line.c_str(),
                    "messages=%llu bytes=%llu seconds=%lf p50_ms=%lf p95_ms=%lf p99_ms=%lf "
                    "max_ms=%lf failed_clients=%d",
                    &figures.messages, &figures.bytes, &figures.seconds, &figures.p50_ms,
                    &figures.p95_ms, &figures.p99_ms, &figures.max_ms,
                    &figures.failed_clients) == 8;
    if (!figures.ran) std::fprintf(stderr, "client process said: %s", run.report_line.c_str());
  } else if (!run.ready && !run.first_line.empty()) {
    std::fprintf(stderr, "client process said: %s", run.first_line.c_str());
  }
  if (figures.seconds > 0) figures.cpu = run.cpu_seconds / figures.seconds;
  figures.ran = figures.ran && run.exited_ok && figures.failed_clients == 0;
  return figures;
}

}  // namespace btms::bench
