// One running gateway: acquisition -> snapshot -> engine -> commands and events -> consumers
// (web, SCADA, history). Wiring only; each part lives in its own folder.
#pragma once

#include <memory>
#include <string>

#include "model/topology.hpp"

namespace btms::app {

struct GatewayOptions {
  std::string web_bind = "127.0.0.1";
  int web_port = 8080;  // 0 = pick a free port
  std::string scada_bind = "127.0.0.1";
  int scada_port = 1502;   // 0 = pick a free port, -1 = SCADA off
  std::string static_dir;  // built web UI; empty = built-in page
  std::string data_dir;    // history database lives here; empty = no history
  bool allow_anonymous_read = false;
};

class GatewayRuntime {
 public:
  GatewayRuntime(const model::Site& site, GatewayOptions options);
  ~GatewayRuntime();
  GatewayRuntime(const GatewayRuntime&) = delete;
  GatewayRuntime& operator=(const GatewayRuntime&) = delete;

  void start();  // throws std::runtime_error with a clear reason (port taken, ...)
  void stop();
  int web_port() const;
  int scada_port() const;  // -1 when off

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Blocks until SIGINT or SIGTERM.
void wait_for_stop_signal();

}  // namespace btms::app
