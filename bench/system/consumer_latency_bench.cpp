// Time from a plant value changing (the acquisition publishing the snapshot that carries it) to
// that value being visible to each consumer: the web stream (a WebSocket client on loopback),
// the SCADA register (a Modbus TCP client on loopback) and the history store's queue (the
// store's append()). Full-size gateway: 32 strings x 120 batteries, one snapshot a second (1 s
// polling), the real engine stepping every snapshot. Then the gateway's CPU at idle: with no
// clients, (a) nothing published for 10 s (what the consumers cost by themselves), (b) one
// snapshot a second for 10 s.
//
// Targets: p99 < 50 ms for each consumer; CPU with nothing published < 0.2 % of a core (a
// consumer waking on a timer to look for changes costs more than that by itself).
// The "before" figure: this file copied into a tree of the code before the publication bus and
// built with -DBTMS_BENCH_POLLING_WIRING, which wires the consumers as src/app did then (the
// history thread looking every 100 ms, take_events()); that branch does not compile against the
// current engine runner. Figures of both are in the commit that added the warm-up cycles.
#include <modbus/modbus.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "engine/engine.hpp"
#include "engine/engine_runner.hpp"
#include "history/history_store.hpp"
#include "model/plant_channels.hpp"
#include "scada/scada_server.hpp"
#include "support/cpu_time.hpp"
#include "test_client.hpp"
#include "web/web_server.hpp"
#ifndef BTMS_BENCH_POLLING_WIRING
#include "history/history_recorder.hpp"
#endif

namespace {

using namespace btms;
using namespace std::chrono;
using steady = steady_clock;

constexpr int kCycles = 60;
constexpr double kP99Limit_ms = 50.0;
constexpr double kIdleCpuLimit_pct = 0.2;

std::int64_t wall_ms() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// The acquisition's side: a full-size plant snapshot a second; battery/1/1/voltage takes a new
// value in every snapshot (12.001, 12.002, ... V: distinct in SCADA's 1 mV register too).
struct Plant {
  std::shared_ptr<model::Site> site = std::make_shared<model::Site>();
  model::PlantChannels channels;
  std::shared_ptr<model::SnapshotPublisher> publisher =
      std::make_shared<model::SnapshotPublisher>();
  model::ChannelId probe = 0;
  std::uint64_t sequence = 0;

  Plant() {
    site->name = "bench";
    site->battery_types.push_back(model::BatteryType{"T", 12.0, 6, 100.0, {}, 2.27, 0.0});
    site->upses.push_back(model::Ups{1, "UPS", 400.0});
    for (int s = 1; s <= model::kMaxStringsPerGateway; ++s) {
      model::String str;
      str.id = s;
      str.ups_id = 1;
      str.battery_type = "T";
      str.batteries = model::kMaxBatteriesPerString;
      site->strings.push_back(str);
    }
    channels = model::build_plant_channels(*site);
    probe = *channels.directory->find("battery/1/1/voltage");
  }
  void publish(int k) {
    auto snap = std::make_shared<model::Snapshot>();
    snap->channels = channels.directory;
    snap->samples.resize(channels.directory->size());
    const auto now = wall_ms();
    for (std::size_t i = 0; i < snap->samples.size(); ++i) {
      snap->samples[i] =
          model::Sample{13.5 + static_cast<double>(i % 7) * 0.001, now, model::Quality::ok};
    }
    snap->samples[probe].value = 12.0 + 0.001 * k;
    snap->sequence = ++sequence;
    snap->time_ms = now;
    publisher->publish(snap);
  }
};

// When each probe value was published, and when each consumer first saw it.
struct Arrivals {
  std::mutex mutex;
  std::map<int, steady::time_point> published;
  std::map<std::string, std::map<int, steady::time_point>> seen;  // consumer -> k -> time

  void publish(int k) {
    std::lock_guard lock(mutex);
    published[k] = steady::now();
  }
  void see(const std::string& consumer, double value_V) {
    const auto now = steady::now();
    const int k = static_cast<int>(std::lround((value_V - 12.0) * 1000.0));
    if (k < 1 || k > kCycles) return;
    std::lock_guard lock(mutex);
    seen[consumer].emplace(k, now);
  }
  std::vector<double> latencies_ms(const std::string& consumer) {
    std::lock_guard lock(mutex);
    std::vector<double> out;
    for (const auto& [k, t] : seen[consumer]) {
      if (auto p = published.find(k); p != published.end())
        out.push_back(duration<double, std::milli>(t - p->second).count());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

// Forwards to the real store; notes when the probe's value reaches the store's queue.
class ProbeStore final : public history::HistoryStore {
 public:
  ProbeStore(std::unique_ptr<history::HistoryStore> inner, Arrivals& arrivals,
             std::shared_ptr<const model::ChannelDirectory> plant_channels, model::ChannelId probe)
      : inner_(std::move(inner)),
        arrivals_(arrivals),
        plant_channels_(std::move(plant_channels)),
        probe_(probe) {}
  void append(const model::Snapshot& s) override {
    note(s);
    inner_->append(s);
  }
  void append(std::shared_ptr<const model::Snapshot> s) override {
    note(*s);
    inner_->append(std::move(s));
  }
  void append_event(const model::Event& e) override { inner_->append_event(e); }
  bool flush() override { return inner_->flush(); }
  std::vector<history::ChannelSeries> query(const std::vector<std::string>& c, std::int64_t f,
                                            std::int64_t t, int p) override {
    return inner_->query(c, f, t, p);
  }
  std::vector<model::Event> events(std::int64_t f, std::int64_t t, std::size_t l) override {
    return inner_->events(f, t, l);
  }
  void append_discharge(const model::DischargeRecord& r) override { inner_->append_discharge(r); }
  std::vector<model::DischargeRecord> discharges(std::int64_t f, std::int64_t t, int s,
                                                 std::size_t l) override {
    return inner_->discharges(f, t, s, l);
  }
  history::HistoryHealth health() override { return inner_->health(); }
  void enforce_retention(std::int64_t now_ms) override { inner_->enforce_retention(now_ms); }
  history::HistoryStats stats() const override { return inner_->stats(); }

 private:
  void note(const model::Snapshot& s) {
    if (s.channels == plant_channels_)  // the plant snapshot (not the derived one)
      arrivals_.see("history queue", s.samples[probe_].value);
  }
  std::unique_ptr<history::HistoryStore> inner_;
  Arrivals& arrivals_;
  std::shared_ptr<const model::ChannelDirectory> plant_channels_;
  model::ChannelId probe_;
};

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 1e9;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

class NullSink : public model::CommandSink {
 public:
  void submit(const model::Command&) override {}
};

}  // namespace

int main() {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("btms-consumer-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Plant plant;
  Arrivals arrivals;
  auto derived = std::make_shared<model::SnapshotPublisher>();
  NullSink sink;
  auto store =
      std::make_shared<ProbeStore>(history::open_sqlite_store((dir / "history.db").string()),
                                   arrivals, plant.channels.directory, plant.probe);

  auto runner = std::make_shared<engine::EngineRunner>(
      std::make_unique<engine::Engine>(*plant.site, plant.channels), plant.publisher, derived,
      sink);
  web::WebOptions web_options;
  web_options.port = 0;
  web_options.allow_anonymous_read = true;
  web::WebServer web(web_options, plant.publisher, derived, plant.site);
  web.set_engine(runner);
  scada::ScadaOptions scada_options;
  scada_options.port = 0;
  scada::ScadaServer scada(scada_options, plant.publisher, derived, plant.site);
#ifndef BTMS_BENCH_POLLING_WIRING
  web.set_publication(runner->publication());
  web.set_event_log(runner->event_log());
  scada.set_publication(runner->publication());
  history::HistoryRecorder recorder(
      store,
      history::RecorderSources{runner->publication(), runner->event_log(), runner->discharge_log(),
                               runner},
      nullptr);
  recorder.start();
#else
  // As src/app/gateway_runtime.cpp's consumer thread did: look every 100 ms.
  std::atomic<bool> consuming{true};
  std::thread recorder_thread([&] {
    std::uint64_t plant_sequence = 0, derived_sequence = 0;
    while (consuming) {
      for (const auto& e : runner->take_events()) store->append_event(e);
      if (auto s = plant.publisher->latest(); s && s->sequence != plant_sequence) {
        plant_sequence = s->sequence;
        store->append(s);
      }
      if (auto s = derived->latest(); s && s->sequence != derived_sequence) {
        derived_sequence = s->sequence;
        store->append(s);
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
#endif
  runner->start();
  web.start();
  scada.start();

  // The consumers' far ends.
  std::atomic<bool> probing{true};
  std::thread ws_thread([&] {
    web::test::WsClient ws;
    if (ws.connect(web.port(), "/api/v1/stream") != 101) return;
    ws.send_text(R"({"subscribe": ["battery/1/1/"]})");
    while (probing) {
      const auto text = ws.read_text(milliseconds(200));
      if (!text) continue;
      const auto m = nlohmann::json::parse(*text, nullptr, false);
      if (m.is_discarded() || m.value("type", "") != "values") continue;
      const auto& ch = m["channels"];
      if (ch.contains("battery/1/1/voltage") && ch["battery/1/1/voltage"]["value"].is_number())
        arrivals.see("web stream", ch["battery/1/1/voltage"]["value"].get<double>());
    }
  });
  std::thread scada_thread([&] {
    modbus_t* ctx = modbus_new_tcp("127.0.0.1", scada.port());
    modbus_set_slave(ctx, 101);
    if (modbus_connect(ctx) != 0) return;
    std::uint16_t last = 0;
    // The probe reads every millisecond: its own resolution, not the server's.
    while (probing) {
      std::uint16_t reg = 0;
      if (modbus_read_registers(ctx, 101, 1, &reg) == 1 && reg != last) {
        last = reg;
        arrivals.see("SCADA register", reg / 1000.0);
      }
      std::this_thread::sleep_for(milliseconds(1));
    }
    modbus_close(ctx);
    modbus_free(ctx);
  });

  // Three warm-up cycles (values outside the probe's range): the engine's first steps build its
  // derived channels and every consumer its first full state; the figures are steady state.
  auto next = steady::now();
  for (int w = 0; w < 3; ++w) {
    next += seconds(1);
    std::this_thread::sleep_until(next);
    plant.publish(-100 - w);
  }
  for (int k = 1; k <= kCycles; ++k) {
    next += seconds(1);
    std::this_thread::sleep_until(next);
    arrivals.publish(k);
    plant.publish(k);
  }
  std::this_thread::sleep_for(milliseconds(1500));
  probing = false;
  ws_thread.join();
  scada_thread.join();

  bool ok = true;
  std::printf(
      "consumer latency, plant snapshot published -> value visible, %d cycles at 1 s, "
      "%zu plant channels\n",
      kCycles, plant.channels.directory->size());
  for (const char* consumer : {"web stream", "SCADA register", "history queue"}) {
    const auto l = arrivals.latencies_ms(consumer);
    const double p99 = percentile(l, 0.99);
    const bool pass = l.size() + 2 >= static_cast<std::size_t>(kCycles) && p99 < kP99Limit_ms;
    ok = ok && pass;
    std::printf(
        "  %-15s seen %2zu/%d  p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  (limit p99 < "
        "%.0f ms) %s\n",
        consumer, l.size(), kCycles, percentile(l, 0.5), percentile(l, 0.9), p99, kP99Limit_ms,
        pass ? "ok" : "MISSED");
  }

  // CPU at idle: no clients. (a) nothing published, (b) one snapshot a second.
  const auto cpu_over = [&](int seconds_, bool publishing) {
    const double cpu0 = bench::process_cpu_seconds();
    const auto t0 = steady::now();
    auto tick = t0;
    for (int i = 0; i < seconds_; ++i) {
      tick += seconds(1);
      std::this_thread::sleep_until(tick);
      if (publishing) plant.publish(kCycles + 1 + i);
    }
    return 100.0 * (bench::process_cpu_seconds() - cpu0) /
           duration<double>(steady::now() - t0).count();
  };
  std::this_thread::sleep_for(seconds(1));
  const double idle_pct = cpu_over(10, false);
  const double publishing_pct = cpu_over(10, true);
  const bool idle_ok = idle_pct < kIdleCpuLimit_pct;
  ok = ok && idle_ok;
  std::printf("  CPU, nothing published     %6.3f %% of a core  (limit < %.1f %%) %s\n", idle_pct,
              kIdleCpuLimit_pct, idle_ok ? "ok" : "MISSED");
  std::printf(
      "  CPU, 1 snapshot a second   %6.3f %% of a core  (plant snapshot building and the "
      "engine included; for comparison)\n",
      publishing_pct);

  scada.stop();
  web.stop();
  runner->stop();
#ifndef BTMS_BENCH_POLLING_WIRING
  recorder.stop();
#else
  consuming = false;
  recorder_thread.join();
#endif
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
