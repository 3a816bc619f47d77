#include "app/gateway_runtime.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "cloud/cloud_link.hpp"
#include "cloud/cloud_link_control.hpp"
#include "cloud/cloud_settings_store.hpp"
#include "engine/alarm_restore.hpp"
#include "engine/engine_config_store.hpp"
#include "engine/engine_runner.hpp"
#include "engine/event_durability.hpp"
#include "engine/event_logger.hpp"
#include "fieldbus/acquisition.hpp"
#include "history/history_recorder.hpp"
#include "history/history_store.hpp"
#include "model/plant_channels.hpp"
#include "model/snapshot.hpp"
#include "notify/notifier.hpp"
#include "notify/recipients_control.hpp"
#include "notify/recipients_store.hpp"
#include "notify/snmp_subagent.hpp"
#include "ops/systemd_notifier.hpp"
#include "scada/scada_server.hpp"
#include "web/web_server.hpp"

namespace btms::app {

namespace {
// How long the start waits for every bus's first cycle before the engine judges what it has.
constexpr auto kFirstReadBound = std::chrono::seconds(10);
}  // namespace

struct GatewayRuntime::Impl {
  std::shared_ptr<const model::Site> site;
  GatewayOptions options;
  model::PlantChannels channels;
  std::shared_ptr<model::SnapshotPublisher> plant_snapshots =
      std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<model::SnapshotPublisher> derived_snapshots =
      std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<engine::EventDurability> durability = std::make_shared<engine::EventDurability>();
  std::unique_ptr<fieldbus::Acquisition> acquisition;
  std::shared_ptr<engine::EngineRunner> engine;
  std::unique_ptr<web::WebServer> web;
  std::unique_ptr<scada::ScadaServer> scada;
  std::shared_ptr<history::HistoryStore> history;
  std::unique_ptr<history::HistoryRecorder> recorder;
  std::shared_ptr<notify::Notifier> notifier;         // null without [notify]
  std::unique_ptr<notify::SnmpSubagent> snmp_agent;   // null without [notify.snmp_agent]
  std::unique_ptr<cloud::CloudLinkControl> cloud;     // the link, replaced when its settings change
  std::unique_ptr<ops::SystemdNotifier> systemd;      // READY and the watchdog fed by engine steps
  std::unique_ptr<engine::EventLogger> event_logger;  // null unless options.log_events

  std::shared_ptr<history::HistoryStore> open_history() const {
    if (!options.history_postgres.empty()) {
      return history::open_postgres_store(options.history_postgres);
    }
    if (options.data_dir.empty()) return nullptr;
    std::filesystem::create_directories(options.data_dir);
    return history::open_sqlite_store(options.data_dir + "/history.db");
  }
};

GatewayRuntime::GatewayRuntime(const model::Site& site, GatewayOptions options)
    : impl_(std::make_unique<Impl>()) {
  auto& im = *impl_;
  im.site = std::make_shared<const model::Site>(site);
  im.options = std::move(options);
  if (!im.options.clock) im.options.clock = model::system_clock();
  im.channels = model::build_plant_channels(site);
  fieldbus::AcquisitionOptions acquisition_options;
  acquisition_options.clock = im.options.clock;
  im.acquisition = std::make_unique<fieldbus::Acquisition>(site, im.channels, im.plant_snapshots,
                                                           acquisition_options);
  im.history = im.open_history();

  engine::StoredEvents stored;
  if (im.history) {
    stored = [store = im.history](std::int64_t from_ms, std::int64_t to_ms, std::size_t limit) {
      return store->events(from_ms, to_ms, limit);
    };
  }
  engine::EngineRunnerOptions runner_options;
  runner_options.clock = im.options.clock;
  if (!im.options.data_dir.empty())
    runner_options.config_path = engine::saved_config_path(im.options.data_dir);
  im.engine = std::make_shared<engine::EngineRunner>(
      engine::make_restored_engine(site, im.channels, im.options.engine_config, stored,
                                   im.options.clock->now_ms()),
      im.plant_snapshots, im.derived_snapshots, *im.acquisition, runner_options);

  // Consumers join the engine's publication; none of them is called by the engine.
  // Each event is logged once, by the event logger (with fields under the journal).
  if (im.options.log_events)
    im.event_logger = std::make_unique<engine::EventLogger>(im.engine->event_log());
  history::HistoryRecorderOptions recorder_options;
  recorder_options.clock = im.options.clock;
  im.recorder = std::make_unique<history::HistoryRecorder>(
      im.history,
      history::RecorderSources{im.engine->publication(), im.engine->event_log(),
                               im.engine->discharge_log(), im.engine},
      im.durability, recorder_options);

  web::WebOptions web_options;
  web_options.bind_address = im.options.web_bind;
  web_options.port = im.options.web_port;
  web_options.static_dir = im.options.static_dir;
  web_options.allow_anonymous_read = im.options.allow_anonymous_read;
  web_options.data_dir = im.options.data_dir;  // users and audit log live beside the history
  web_options.tls.enabled = im.options.tls;
  web_options.tls.cert_file = im.options.tls_cert_file;
  web_options.tls.key_file = im.options.tls_key_file;
  web_options.clock = im.options.clock;
  im.web = std::make_unique<web::WebServer>(web_options, im.plant_snapshots, im.derived_snapshots,
                                            im.site);
  if (im.history) im.web->set_history(im.history);
  im.web->set_engine(im.engine);
  im.web->set_publication(im.engine->publication());
  im.web->set_event_log(im.engine->event_log());
  if (im.history) im.web->set_durability(im.durability);
  if (im.options.notify.enabled) {
    // UPS-MIB's alarm table: one for the subagent's polls and the notifier's traps.
    auto ups_alarms = std::make_shared<notify::UpsAlarmBoard>(*im.site);
    // Recipients saved on the settings page replace the site file's list as a whole; a file
    // that cannot be read stops the start (throws, naming it) rather than alarming the wrong
    // people.
    const auto store = im.options.data_dir.empty()
                           ? std::string{}
                           : notify::recipients_store_path(im.options.data_dir);
    auto running = im.options.notify;
    const auto edited = store.empty() ? std::nullopt : notify::load_edited_recipients(store);
    if (edited) {
      spdlog::info("notify: {} recipients edited on the settings page ({}) replace the site file's",
                   edited->size(), store);
      running.recipients = *edited;
    }
    im.notifier = std::make_shared<notify::Notifier>(
        running, notify::SiteNames::from(site),
        notify::NotifierSources{im.engine->event_log(), im.engine, im.engine->publication(),
                                im.options.data_dir.empty()
                                    ? std::filesystem::path{}
                                    : std::filesystem::path(im.options.data_dir) / "notify.db",
                                ups_alarms},
        im.options.clock);
    im.web->set_notifier(im.notifier,
                         std::make_shared<notify::RecipientsControl>(im.notifier, im.options.notify,
                                                                     store, edited.has_value()));
    if (im.options.notify.snmp_agent.enabled) {
      im.snmp_agent = std::make_unique<notify::SnmpSubagent>(im.options.notify.snmp_agent, *im.site,
                                                             im.engine->publication(), ups_alarms);
    }
  }
  // The cloud link: the site file's settings with the admin's edits from the data folder; the
  // settings page may change them, turn the link on or off while the gateway runs.
  if (im.options.cloud.enabled && im.options.data_dir.empty())
    throw std::runtime_error("the cloud link needs a data folder for its outbox");
  im.cloud = std::make_unique<cloud::CloudLinkControl>(
      im.options.cloud,
      im.options.data_dir.empty() ? std::string() : cloud::cloud_settings_path(im.options.data_dir),
      [site = im.site, engine = im.engine, data_dir = im.options.data_dir,
       clock = im.options.clock](const cloud::CloudConfig& config) {
        std::filesystem::create_directories(data_dir);
        return std::make_unique<cloud::CloudLink>(
            config, *site, cloud::CloudSources{engine->publication(), engine->event_log(), engine},
            data_dir + "/cloud-outbox.db", clock);
      });
  im.web->add_metrics_source([control = im.cloud.get()] { return control->metrics_text(); });
  // The settings page's view of the link, its changes and "test connection" (also without a
  // link: the test helps to set one up).
  auto* control = im.cloud.get();
  web::CloudSettingsContext cloud_settings;
  cloud_settings.settings = [control] { return control->settings_json(); };
  cloud_settings.test_connection = [control](const std::string& body) {
    return control->test_connection(body);
  };
  if (!im.options.data_dir.empty()) {
    cloud_settings.change = [control](const std::string& body) {
      auto a = control->change(body);
      return web::CloudSettingsChange{a.status, std::move(a.body), std::move(a.audit_detail)};
    };
    cloud_settings.revert = [control] {
      auto a = control->revert();
      return web::CloudSettingsChange{a.status, std::move(a.body), std::move(a.audit_detail)};
    };
  }
  im.web->set_cloud_settings(std::move(cloud_settings));
  if (im.options.scada_port >= 0) {
    scada::ScadaOptions scada_options;
    scada_options.bind_address = im.options.scada_bind;
    scada_options.port = im.options.scada_port;
    scada_options.allow_writes = !im.options.scada_write_allow.empty();
    scada_options.write_allow_list = im.options.scada_write_allow;
    im.scada = std::make_unique<scada::ScadaServer>(scada_options, im.plant_snapshots,
                                                    im.derived_snapshots, im.site);
    im.scada->set_engine(im.engine);
    im.scada->set_publication(im.engine->publication());
  }
}

GatewayRuntime::~GatewayRuntime() {
  stop();
}

void GatewayRuntime::start() {
  // Listeners first: a taken port fails before any bus traffic starts.
  impl_->web->start();
  if (impl_->scada) impl_->scada->start();
  impl_->recorder->start();
  if (impl_->event_logger) impl_->event_logger->start();
  if (impl_->cloud) impl_->cloud->start();
  impl_->acquisition->start();
  // The engine starts once every bus has been read once: before that a device is not yet
  // known, which is no communication loss (at a fast plant clock, connecting alone takes
  // clock seconds). A bus that does not answer within the bound is judged as it is.
  const auto wall_end = std::chrono::steady_clock::now() + kFirstReadBound;
  for (const auto& bus : impl_->site->buses) {
    while (impl_->acquisition->cycles(bus.name) < 1 && std::chrono::steady_clock::now() < wall_end)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->engine->start();
  if (impl_->snmp_agent) impl_->snmp_agent->start();  // before the notifier: sets net-snmp up
  if (impl_->notifier) impl_->notifier->start();
  impl_->systemd = std::make_unique<ops::SystemdNotifier>(impl_->engine->publication());
  impl_->systemd->ready("serving on web port " + std::to_string(impl_->web->port()));
}

void GatewayRuntime::stop() {
  if (!impl_) return;
  if (impl_->systemd) impl_->systemd->stopping();
  impl_->systemd.reset();
  // Servers first, so no action arrives for an engine that is gone; the recorder after the
  // engine, so it stores the engine's last events.
  if (impl_->scada) impl_->scada->stop();
  if (impl_->web) impl_->web->stop();
  if (impl_->engine) impl_->engine->stop();
  if (impl_->notifier) impl_->notifier->stop();
  if (impl_->snmp_agent) impl_->snmp_agent->stop();
  if (impl_->recorder) impl_->recorder->stop();
  if (impl_->event_logger) impl_->event_logger->stop();  // after the engine: its last events
  if (impl_->cloud) impl_->cloud->stop();  // after the engine: its last events still go out
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

}  // namespace btms::app
