#include "app/gateway_runtime.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "app/event_queue.hpp"
#include "engine/engine.hpp"
#include "fieldbus/acquisition.hpp"
#include "history/history_store.hpp"
#include "model/plant_channels.hpp"
#include "model/snapshot.hpp"
#include "scada/scada_server.hpp"
#include "web/web_server.hpp"

namespace btms::app {

struct GatewayRuntime::Impl {
  std::shared_ptr<const model::Site> site;
  GatewayOptions options;
  model::PlantChannels channels;
  std::shared_ptr<model::SnapshotPublisher> plant_snapshots =
      std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<model::SnapshotPublisher> derived_snapshots =
      std::make_shared<model::SnapshotPublisher>();
  std::unique_ptr<fieldbus::Acquisition> acquisition;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<web::WebServer> web;
  std::unique_ptr<scada::ScadaServer> scada;
  std::shared_ptr<history::HistoryStore> history;
  EventQueue events;
  std::thread engine_thread;
  std::thread consumer_thread;
  std::atomic<bool> running{false};

  // The protection path: latest plant snapshot -> engine -> commands straight back to the bus
  // workers. Consumers only ever read the published snapshots; nothing here waits on them.
  void engine_loop() {
    std::uint64_t last_sequence = 0;
    while (running.load()) {
      const auto snapshot = plant_snapshots->latest();
      if (snapshot && snapshot->sequence != last_sequence) {
        last_sequence = snapshot->sequence;
        const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        auto output = engine->step(*snapshot, now_ms);
        for (const auto& command : output.commands) acquisition->submit(command);
        if (output.derived) derived_snapshots->publish(output.derived);
        events.push(output.events);  // consumers take them on their own thread
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Consumers that are not servers: the event log line and the history store. Runs apart from
  // the engine loop so a slow disk can only make this thread late, never the protection path.
  void consumer_loop() {
    std::uint64_t plant_sequence = 0;
    std::uint64_t derived_sequence = 0;
    auto next_retention = std::chrono::steady_clock::now();
    while (running.load()) {
      drain_once(plant_sequence, derived_sequence);
      if (history && std::chrono::steady_clock::now() >= next_retention) {
        next_retention += std::chrono::hours(1);
        history->enforce_retention(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    drain_once(plant_sequence, derived_sequence);
    if (history) history->flush();
  }

  void drain_once(std::uint64_t& plant_sequence, std::uint64_t& derived_sequence) {
    for (const auto& event : events.take_all()) {
      spdlog::info("event {}: {} {}", event.id, event.source, event.text);
      if (history) history->append_event(event);
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
};

GatewayRuntime::GatewayRuntime(const model::Site& site, GatewayOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->site = std::make_shared<const model::Site>(site);
  impl_->options = std::move(options);
  impl_->channels = model::build_plant_channels(site);
  impl_->acquisition =
      std::make_unique<fieldbus::Acquisition>(site, impl_->channels, impl_->plant_snapshots);
  impl_->engine = std::make_unique<engine::Engine>(site, impl_->channels, engine::EngineConfig{});
  if (!impl_->options.data_dir.empty()) {
    std::filesystem::create_directories(impl_->options.data_dir);
    impl_->history = history::open_sqlite_store(impl_->options.data_dir + "/history.db");
  }

  web::WebOptions web_options;
  web_options.bind_address = impl_->options.web_bind;
  web_options.port = impl_->options.web_port;
  web_options.static_dir = impl_->options.static_dir;
  web_options.allow_anonymous_read = impl_->options.allow_anonymous_read;
  web_options.data_dir = impl_->options.data_dir;  // users and audit log live beside the history
  impl_->web = std::make_unique<web::WebServer>(web_options, impl_->plant_snapshots,
                                                impl_->derived_snapshots, impl_->site);
  if (impl_->history) impl_->web->set_history(impl_->history);
  if (impl_->options.scada_port >= 0) {
    scada::ScadaOptions scada_options;
    scada_options.bind_address = impl_->options.scada_bind;
    scada_options.port = impl_->options.scada_port;
    impl_->scada = std::make_unique<scada::ScadaServer>(scada_options, impl_->plant_snapshots,
                                                        impl_->derived_snapshots, impl_->site);
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
  impl_->engine_thread = std::thread([this] { impl_->engine_loop(); });
  impl_->consumer_thread = std::thread([this] { impl_->consumer_loop(); });
}

void GatewayRuntime::stop() {
  if (!impl_) return;
  impl_->running = false;
  if (impl_->engine_thread.joinable()) impl_->engine_thread.join();
  if (impl_->consumer_thread.joinable()) impl_->consumer_thread.join();
  if (impl_->acquisition) impl_->acquisition->stop();
  if (impl_->scada) impl_->scada->stop();
  if (impl_->web) impl_->web->stop();
}

int GatewayRuntime::web_port() const {
  return impl_->web->port();
}
int GatewayRuntime::scada_port() const {
  return impl_->scada ? impl_->scada->port() : -1;
}

}  // namespace btms::app
