// The gateway's HTTP + WebSocket server: REST API under /api/v1, live stream at /api/v1/stream,
// Prometheus text at /metrics, the web UI at /. It only reads published snapshots, on its own
// io thread, so a slow or hostile client can never delay acquisition or the engine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/append_log.hpp"
#include "model/clock.hpp"
#include "model/events.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"
#include "web/auth_handlers.hpp"
#include "web/cloud_settings_handlers.hpp"

namespace btms::engine {
class EngineService;
class StepPublication;
class EventDurability;
}  // namespace btms::engine

namespace btms::history {
class HistoryStore;
}  // namespace btms::history

namespace btms::notify {
class Notifier;
class RecipientsControl;
}  // namespace btms::notify

namespace btms::web {

// HTTPS for the listener (and WSS for the stream). Plain HTTP stays for the loopback demo.
struct TlsOptions {
  bool enabled = false;
  // PEM certificate (chain) and private key. Both empty = a self-signed pair generated on the
  // first start into WebOptions::data_dir (tls-cert.pem, tls-key.pem with mode 0600) and
  // reused afterwards. Giving only one of them is an error.
  std::string cert_file;
  std::string key_file;
  // Subject CN and DNS/IP name of a generated certificate; empty = the bind address, or the
  // host name when binding to every address.
  std::string common_name;
};

// The files a generated certificate and key are written to inside data_dir.
std::string tls_cert_path(const std::string& data_dir);
std::string tls_key_path(const std::string& data_dir);

struct WebOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8080;         // 0 = pick a free port
  std::string static_dir;  // served at /; empty = built-in placeholder page
  // Reads (live, topology, history, stream, metrics) without login, but only for loopback
  // peers: the local demo. Writes always need a session.
  bool allow_anonymous_read = false;
  // Holds users.sqlite and audit.sqlite. Empty = no user store: only the anonymous loopback
  // reads above are served and every route needing a session answers 503.
  std::string data_dir;
  AuthTuning auth;  // Argon2 cost, lockout and session timeouts (defaults = production)
  int ws_ping_interval_ms = 15'000;  // idle time before a ping; no answer in as long = dropped
  int io_threads = 1;
  // Connections open at once (HTTP and WebSocket); more are closed at once, so a flood cannot
  // take every file descriptor of the gateway.
  int max_connections = 512;
  TlsOptions tls;  // enabled: HTTPS/WSS only (TLS 1.2+), session cookies Secure
  // The gateway's clock for data: values' ages, default history and discharge ranges. Logins,
  // sessions and the audit log stay on system time (real people, real expiry).
  std::shared_ptr<const model::Clock> clock = model::system_clock();
};

struct WebConnectionStats {
  int open = 0;
  std::uint64_t refused = 0;        // over max_connections
  std::uint64_t accept_errors = 0;  // accept() failed (EMFILE, ENFILE, ...): backed off
};

class WebServer {
 public:
  WebServer(WebOptions options, std::shared_ptr<const model::SnapshotPublisher> plant,
            std::shared_ptr<const model::SnapshotPublisher> derived,  // may be null
            std::shared_ptr<const model::Site> site);
  ~WebServer();  // stops
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Binds and starts serving; throws std::runtime_error ("port N is already in use", "TLS
  // certificate file '...' cannot be read", ...).
  void start();
  // Closes the listener and every connection, joins the io threads. Idempotent.
  void stop();
  // The bound port (useful with port 0); 0 before start().
  int port() const;
  WebConnectionStats connection_stats() const;

  // History endpoints (/api/v1/history, /history.csv, /events) read this store; without one
  // they answer 503. Call before start().
  void set_history(std::shared_ptr<history::HistoryStore> store);
  // Alarm, string, discharge and configuration endpoints act through this; without it they
  // answer 503. Call before start().
  void set_engine(std::shared_ptr<engine::EngineService> engine);
  // The engine's step bundles: the stream is woken by each and sends the plant and derived
  // snapshots of one step. Without it, each snapshot publisher's publish wakes the stream.
  // Call before start().
  void set_publication(std::shared_ptr<const engine::StepPublication> publication);
  // The engine's event log: each stream client reads it with a cursor of its own (events and
  // how many it missed). Without it the stream sends no events. Call before start().
  void set_event_log(std::shared_ptr<const engine::AppendLog<model::Event>> event_log);
  // Operator actions are answered once their events are committed (see OperatorContext).
  // Call before start().
  void set_durability(std::shared_ptr<engine::EventDurability> durability);
  // Delivery log and test messages (/api/v1/notifications/...) and the recipient list's edits
  // (/api/v1/notify/recipients; null recipients = read from the notifier's list only through
  // the delivery log); without them they answer 404. Call before start().
  void set_notifier(std::shared_ptr<notify::Notifier> notifier,
                    std::shared_ptr<notify::RecipientsControl> recipients = nullptr);
  // The cloud link's settings and connection test (/api/v1/cloud/...); without them they
  // answer 404. Call before start().
  void set_cloud_settings(CloudSettingsContext cloud);
  // Appends another part's Prometheus text to /metrics (called on a web thread per scrape; it
  // must only read). Call before start().
  void add_metrics_source(std::function<std::string()> metrics);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace btms::web
