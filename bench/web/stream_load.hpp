// Runs bench_web_stream_client (the WebSocket clients) as a separate process and collects its
// figures, so the clients' CPU never counts as the gateway's.
#pragma once

#include <functional>
#include <string>

namespace btms::bench {

struct StreamLoadFigures {
  bool ran = false;  // the process ran, every client connected and reported
  unsigned long long messages = 0;
  unsigned long long bytes = 0;
  double seconds = 0.0;
  double p50_ms = 0.0, p95_ms = 0.0, p99_ms = 0.0, max_ms = 0.0;
  int failed_clients = 0;
  double cpu = 0.0;  // CPU seconds of the client process per wall second (cores)
  double bytes_per_message() const {
    return messages > 0 ? static_cast<double>(bytes) / static_cast<double>(messages) : 0.0;
  }
};

// Spawns `client_binary PORT CLIENTS DURATION_MS PREFIX`, calls while_loaded() once every
// client has its first full message (the measurement window, run on this thread), then reaps
// the process. while_loaded should return well before duration_ms has passed.
StreamLoadFigures run_stream_load(const char* client_binary, int port, int clients, int duration_ms,
                                  const std::string& prefix,
                                  const std::function<void()>& while_loaded);

}  // namespace btms::bench
