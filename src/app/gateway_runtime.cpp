#include "app/gateway_runtime.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/engine.hpp"
#include "engine/engine_runner.hpp"
#include "fieldbus/acquisition.hpp"
#include "history/history_store.hpp"
#include "model/plant_channels.hpp"
#include "model/snapshot.hpp"
#include "scada/scada_server.hpp"
#include "web/web_server.hpp"

namespace btms::app {

namespace {

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::int64_t kDay_ms = 86'400'000;
// Alarm state is rebuilt from this much of the stored event log at start-up.
constexpr std::int64_t kRestoreSpan_ms = 90 * kDay_ms;
constexpr std::size_t kRestoreMaxEvents = 10'000;
constexpr auto kHealthInterval = std::chrono::seconds(10);

}  // namespace

struct GatewayRuntime::Impl {
  std::shared_ptr<const model::Site> site;
  GatewayOptions options;
  model::PlantChannels channels;
  std::shared_ptr<model::SnapshotPublisher> plant_snapshots =
      std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<model::SnapshotPublisher> derived_snapshots =
      std::make_shared<model::SnapshotPublisher>();
  std::unique_ptr<fieldbus::Acquisition> acquisition;
  std::shared_ptr<engine::EngineRunner> engine;
  std::unique_ptr<web::WebServer> web;
  std::unique_ptr<scada::ScadaServer> scada;
  std::shared_ptr<history::HistoryStore> history;
  std::thread consumer_thread;
  std::atomic<bool> running{false};
  history::HistoryHealth last_health;

  std::shared_ptr<history::HistoryStore> open_history() const {
    if (!options.history_postgres.empty()) {
      return history::open_postgres_store(options.history_postgres);
    }
    if (options.data_dir.empty()) return nullptr;
    std::filesystem::create_directories(options.data_dir);
    return history::open_sqlite_store(options.data_dir + "/history.db");
  }

  // The engine comes back as it was: event ids continue, and alarms raised (or latched) before
  // the restart are active again with their acknowledgement, without being raised twice.
  std::unique_ptr<engine::Engine> make_engine() const {
    auto config = options.engine_config;
    std::vector<model::Event> log;
    if (history) {
      const auto now_ms = unix_now_ms();
      log = history->events(now_ms - kRestoreSpan_ms, now_ms + 1, kRestoreMaxEvents);
      const auto newest = history->events(now_ms - 20LL * 366 * kDay_ms, now_ms + 1, 1);
      if (!newest.empty()) config.first_event_id = newest.back().id + 1;
    }
    auto e = std::make_unique<engine::Engine>(*site, channels, config);
    if (!log.empty()) {
      e->restore(log);
      spdlog::info("engine: alarm state restored from {} stored events", log.size());
    }
    return e;
  }

  // Consumers that are not servers: the event log line and the history store. Runs apart from
  // the engine thread so a slow disk can only make this thread late, never the protection path.
  void consumer_loop() {
    std::uint64_t plant_sequence = 0;
    std::uint64_t derived_sequence = 0;
    auto next_retention = std::chrono::steady_clock::now();
    auto next_health = std::chrono::steady_clock::now() + kHealthInterval;
    while (running.load()) {
      drain_once(plant_sequence, derived_sequence);
      const auto now = std::chrono::steady_clock::now();
      if (history && now >= next_retention) {
        next_retention += std::chrono::hours(1);
        history->enforce_retention(unix_now_ms());
      }
      if (history && now >= next_health) {
        next_health = now + kHealthInterval;
        report_history_health();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    drain_once(plant_sequence, derived_sequence);
    if (history) history->flush();
  }

  void drain_once(std::uint64_t& plant_sequence, std::uint64_t& derived_sequence) {
    for (const auto& event : engine->take_events()) {
      spdlog::info("event {}: {} {}", event.id, event.source, event.text);
      if (history) history->append_event(event);
    }
    for (const auto& record : engine->take_finished_discharges()) {
      spdlog::info("discharge of string {} recorded: {:.1f} Ah, weakest battery {}",
                   record.string_id, record.ah_out, record.weakest_position);
      if (history) history->append_discharge(record);
    }
    if (!history) return;
    if (auto s = plant_snapshots->latest(); s && s->sequence != plant_sequence) {
      plant_sequence = s->sequence;
      history->append(s);
    }
    if (auto s = derived_snapshots->latest(); s && s->sequence != derived_sequence) {
      derived_sequence = s->sequence;
      history->append(s);
    }
  }

  // The store's trouble becomes an alarm like any other (the engine owns alarms); only changes
  // are sent, and nothing here waits for the engine to take them.
  void report_history_health() {
    const auto health = history->health();
    const auto send = [&](const char* rule, bool active, bool was, const std::string& text) {
      if (active == was) return;
      engine->submit(
          engine::SetSystemCondition{"history", rule, active, model::Severity::warning, text},
          engine::Actor{"system", "history"});
    };
    send("history_falling_behind", health.falling_behind, last_health.falling_behind,
         health.text.empty() ? "History store falling behind: data is being dropped" : health.text);
    send("history_disk_low", health.disk_low, last_health.disk_low,
         health.text.empty() ? "History disk low: oldest raw data is being removed" : health.text);
    last_health = health;
  }
};

GatewayRuntime::GatewayRuntime(const model::Site& site, GatewayOptions options)
    : impl_(std::make_unique<Impl>()) {
  auto& im = *impl_;
  im.site = std::make_shared<const model::Site>(site);
  im.options = std::move(options);
  im.channels = model::build_plant_channels(site);
  fieldbus::AcquisitionOptions acquisition_options;
  acquisition_options.clock = im.options.clock;
  im.acquisition = std::make_unique<fieldbus::Acquisition>(site, im.channels, im.plant_snapshots,
                                                           acquisition_options);
  im.history = im.open_history();
  engine::EngineRunnerOptions runner_options;
  runner_options.clock = [clock = im.options.clock] { return clock->now_ms(); };
  if (!im.options.data_dir.empty())
    runner_options.config_path = engine_config_path(im.options.data_dir);
  im.engine = std::make_shared<engine::EngineRunner>(
      im.make_engine(), im.plant_snapshots, im.derived_snapshots, *im.acquisition, runner_options);

  web::WebOptions web_options;
  web_options.bind_address = im.options.web_bind;
  web_options.port = im.options.web_port;
  web_options.static_dir = im.options.static_dir;
  web_options.allow_anonymous_read = im.options.allow_anonymous_read;
  web_options.data_dir = im.options.data_dir;  // users and audit log live beside the history
  web_options.tls.enabled = im.options.tls;
  web_options.tls.cert_file = im.options.tls_cert_file;
  web_options.tls.key_file = im.options.tls_key_file;
  im.web = std::make_unique<web::WebServer>(web_options, im.plant_snapshots, im.derived_snapshots,
                                            im.site);
  if (im.history) im.web->set_history(im.history);
  im.web->set_engine(im.engine);
  if (im.options.scada_port >= 0) {
    scada::ScadaOptions scada_options;
    scada_options.bind_address = im.options.scada_bind;
    scada_options.port = im.options.scada_port;
    scada_options.allow_writes = !im.options.scada_write_allow.empty();
    scada_options.write_allow_list = im.options.scada_write_allow;
    im.scada = std::make_unique<scada::ScadaServer>(scada_options, im.plant_snapshots,
                                                    im.derived_snapshots, im.site);
    im.scada->set_engine(im.engine);
  }
}

GatewayRuntime::~GatewayRuntime() {
  stop();
}

void GatewayRuntime::start() {
  // Listeners first: a taken port fails before any bus traffic starts.
  impl_->web->start();
  if (impl_->scada) impl_->scada->start();
  impl_->acquisition->start();
  impl_->running = true;
  impl_->engine->start();
  impl_->consumer_thread = std::thread([this] { impl_->consumer_loop(); });
}

void GatewayRuntime::stop() {
  if (!impl_) return;
  impl_->running = false;
  // Servers first, so no action arrives for an engine that is gone.
  if (impl_->scada) impl_->scada->stop();
  if (impl_->web) impl_->web->stop();
  if (impl_->engine) impl_->engine->stop();
  if (impl_->consumer_thread.joinable()) impl_->consumer_thread.join();
  if (impl_->acquisition) impl_->acquisition->stop();
}

int GatewayRuntime::web_port() const {
  return impl_->web->port();
}
int GatewayRuntime::scada_port() const {
  return impl_->scada ? impl_->scada->port() : -1;
}

bool tls_wanted(const std::string& mode, const std::string& bind_address) {
  if (mode == "on") return true;
  if (mode == "off") return false;
  if (mode == "auto") return !web::is_loopback_address(bind_address);
  throw std::invalid_argument("--tls must be auto, on or off, not '" + mode + "'");
}

std::string scada_access(const std::vector<std::string>& write_allow) {
  if (write_allow.empty()) return "read-only";
  std::string out = "acknowledgement writes from ";
  for (std::size_t i = 0; i < write_allow.size(); ++i) out += (i ? ", " : "") + write_allow[i];
  return out;
}

std::string engine_config_path(const std::string& data_dir) {
  return data_dir + "/engine-config.json";
}

}  // namespace btms::app
