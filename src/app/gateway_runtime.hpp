// One running gateway: acquisition -> snapshot -> engine -> commands and events -> consumers
// (web, SCADA, history). Wiring only; each part lives in its own folder.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cloud/cloud_config.hpp"
#include "engine/engine_config.hpp"
#include "model/clock.hpp"
#include "model/topology.hpp"
#include "notify/notify_settings.hpp"

namespace btms::app {

struct GatewayOptions {
  std::string web_bind = "127.0.0.1";
  int web_port = 8080;  // 0 = pick a free port
  std::string scada_bind = "127.0.0.1";
  int scada_port = 1502;  // 0 = pick a free port, -1 = SCADA off
  // Acknowledgement writes from these SCADA clients (IPv4 or CIDR); empty = read-only.
  std::vector<std::string> scada_write_allow;
  std::string static_dir;  // built web UI; empty = built-in page
  std::string data_dir;    // history database lives here; empty = no history
  bool allow_anonymous_read = false;
  // HTTPS/WSS only (TLS 1.2+). Without files a self-signed pair is generated into data_dir on
  // the first start and reused.
  bool tls = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Limits and timings (engine::load_engine_config: defaults, site file [limits], saved changes).
  engine::EngineConfig engine_config;
  // libpq connection string: history in PostgreSQL instead of data_dir/history.db.
  std::string history_postgres;
  // "Now" for the engine, the history recorder (retention), the web's value ages and default
  // ranges and SCADA: the system clock, or the virtual plant's (accelerated) clock. Logins,
  // sessions and the audit log stay on real time (they are about real people). Never null.
  std::shared_ptr<const model::Clock> clock = model::system_clock();
  // Alarm notifications (site file [notify], docs/notifications.md); off unless enabled.
  notify::NotifySettings notify;
  // MQTT uplink (load_cloud_config: the site file's [cloud], --mqtt); its outbox lives in
  // data_dir. Off unless enabled.
  cloud::CloudConfig cloud;
  // The engine's events as log lines (engine/event_logger.hpp): "event N: source text", with
  // string, battery, rule and value as fields where the log is the journal. The one place
  // events are logged (off only in tests that want a quiet log).
  bool log_events = true;
};

// TLS for a bind address: "on", "off", or "auto" = on unless the address is loopback (a gateway
// reachable from the network never sends passwords in clear). Throws std::invalid_argument for
// another word.
bool tls_wanted(const std::string& mode, const std::string& bind_address);

// "read-only", or "acknowledgement writes from 10.0.0.5, 10.0.1.0/24" for the start-up banner.
std::string scada_access(const std::vector<std::string>& write_allow);

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
