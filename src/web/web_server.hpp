// The gateway's HTTP + WebSocket server: REST API under /api/v1, live stream at /api/v1/stream,
// Prometheus text at /metrics, the web UI at /. It only reads published snapshots, on its own
// io thread, so a slow or hostile client can never delay acquisition or the engine.
#pragma once

#include <memory>
#include <string>

#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::web {

struct WebOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8080;                    // 0 = pick a free port
  std::string static_dir;             // served at /; empty = built-in placeholder page
  bool allow_anonymous_read = false;  // for the login step; no authentication exists yet
  int stream_poll_ms = 100;           // how often the stream looks for new snapshots
  int ws_ping_interval_ms = 15'000;   // idle time before a ping; no answer in as long = dropped
  int io_threads = 1;
};

class WebServer {
 public:
  WebServer(WebOptions options, std::shared_ptr<const model::SnapshotPublisher> plant,
            std::shared_ptr<const model::SnapshotPublisher> derived,  // may be null
            std::shared_ptr<const model::Site> site);
  ~WebServer();  // stops
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Binds and starts serving; throws std::runtime_error ("port N is already in use", ...).
  void start();
  // Closes the listener and every connection, joins the io threads. Idempotent.
  void stop();
  // The bound port (useful with port 0); 0 before start().
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace btms::web
