// Proof that the acquisition cycle time is unchanged while 50 WebSocket clients stream every
// battery value (issue 7). A virtual plant (one RTU string of 120 batteries at 115200 baud
// polled back to back, four TCP strings on free loopback ports polled every 250 ms), the real
// acquisition and the real web server fed from its snapshots, all in this process as in the
// gateway; the 50 clients run in ANOTHER process (bench_web_stream_client), as browsers do on
// their own machines. Same method as bench/scada/acquisition_under_load.cpp: windows without and
// with the clients alternate so that a drift of the shared machine's load falls on both, the
// limits widen by the no-load windows' own spread, and every figure stands next to its limit.
//
// Demo size (5 strings, 600 batteries), not the full 32 x 120: the plant simulator, the
// acquisition, the server and the 50 clients share the machine's 2 cores; the full-size
// fan-out itself is measured by bench_web.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "fieldbus/acquisition.hpp"
#include "model/plant_channels.hpp"
#include "plant/virtual_plant.hpp"
#include "stream_load.hpp"
#include "web/web_server.hpp"

using namespace btms;
using namespace std::chrono_literals;

namespace {

constexpr int kClients = 50;
constexpr auto kWindow = 5000ms;  // per measurement
constexpr int kRounds = 3;
// Limits (as bench/scada): the acquisition may not get slower with the clients beyond these.
constexpr double kMeanLimitFactor = 1.05;  // mean <= no-load mean * 1.05 + 1 ms
constexpr double kMeanSlackMs = 1.0;
constexpr double kP99LimitFactor = 1.10;  // p99 <= no-load p99 * 1.10 + 2 ms
constexpr double kP99SlackMs = 2.0;

model::Site make_site() {
  model::Site site;
  site.name = "bench";
  model::BatteryType bt;
  bt.name = "12V100";
  site.battery_types.push_back(bt);
  site.upses.push_back(model::Ups{1, "UPS 1", 200.0});
  for (int s = 1; s <= 5; ++s) {
    model::Bus bus;
    bus.name = s == 1 ? "rtu1" : "tcp" + std::to_string(s);
    bus.kind = s == 1 ? model::BusKind::rtu : model::BusKind::tcp;
    bus.baud = 115200;
    bus.cycle_ms = s == 1 ? 0 : 250;  // the RTU bus polls back to back: most sensitive
    bus.timeout_ms = 200;
    bus.broadcast_sample = bus.kind == model::BusKind::tcp;
    site.buses.push_back(bus);
    model::String str;
    str.id = s;
    str.ups_id = 1;
    str.name = "S" + std::to_string(s);
    str.battery_type = "12V100";
    str.batteries = 120;
    str.bus = bus.name;
    str.first_cs_address = 1;
    site.strings.push_back(str);
  }
  return site;
}

struct BusFigures {
  std::vector<double> cycle_ms;  // one per completed cycle
  double timeouts = 0.0;         // bus/<name>/timeouts gained during the window
  double mean() const {
    return cycle_ms.empty() ? 0.0
                            : std::accumulate(cycle_ms.begin(), cycle_ms.end(), 0.0) /
                                  static_cast<double>(cycle_ms.size());
  }
  double p99() const {
    if (cycle_ms.empty()) return 0.0;
    auto sorted = cycle_ms;
    std::sort(sorted.begin(), sorted.end());
    return sorted[static_cast<std::size_t>(0.99 * static_cast<double>(sorted.size() - 1) + 0.5)];
  }
};

struct Window {
  std::map<std::string, BusFigures> buses;
  double gateway_cpu = 0.0;  // CPU seconds of this process per wall second
};

double channel(const fieldbus::Acquisition& acq, const model::Snapshot& snap,
               const std::string& name) {
  return snap.samples.at(*acq.channels().directory->find(name)).value;
}

// Every bus/<name>/cycle_ms of the cycles completed during `duration`.
Window measure(const fieldbus::Acquisition& acq, const model::SnapshotPublisher& publisher,
               const model::Site& site, std::chrono::milliseconds duration) {
  Window window;
  std::map<std::string, std::uint64_t> seen;
  std::map<std::string, double> timeouts0;
  for (const auto& bus : site.buses) {
    seen[bus.name] = acq.cycles(bus.name);
    timeouts0[bus.name] = channel(acq, *publisher.latest(), "bus/" + bus.name + "/timeouts");
  }
  const double cpu0 = bench::process_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + duration;
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(5ms);
    const auto snap = publisher.latest();
    for (const auto& bus : site.buses) {
      const auto cycles = acq.cycles(bus.name);
      if (cycles <= seen[bus.name]) continue;
      seen[bus.name] = cycles;
      const auto id = *acq.channels().directory->find("bus/" + bus.name + "/cycle_ms");
      window.buses[bus.name].cycle_ms.push_back(snap->samples.at(id).value);
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  window.gateway_cpu = (bench::process_cpu_seconds() - cpu0) / wall;
  for (const auto& bus : site.buses) {
    window.buses[bus.name].timeouts =
        channel(acq, *publisher.latest(), "bus/" + bus.name + "/timeouts") - timeouts0[bus.name];
  }
  return window;
}

// Cycle samples of several windows of one condition, pooled, and each window's own figures
// (how much windows of the same condition differ: the run-to-run noise).
struct Pooled {
  std::map<std::string, BusFigures> buses;
  std::map<std::string, std::vector<double>> window_means;
  std::map<std::string, std::vector<double>> window_p99s;
  double cpu_sum = 0.0;
  int windows = 0;
  void add(const Window& w) {
    for (const auto& [name, f] : w.buses) {
      auto& pooled = buses[name];
      pooled.cycle_ms.insert(pooled.cycle_ms.end(), f.cycle_ms.begin(), f.cycle_ms.end());
      pooled.timeouts += f.timeouts;
      window_means[name].push_back(f.mean());
      window_p99s[name].push_back(f.p99());
    }
    cpu_sum += w.gateway_cpu;
    ++windows;
  }
  double cpu() const { return windows > 0 ? cpu_sum / windows : 0.0; }
  // Largest distance of one window's figure from the pooled figure.
  static double spread(const std::vector<double>& per_window, double pooled) {
    double worst = 0.0;
    for (double v : per_window) worst = std::max(worst, std::abs(v - pooled));
    return worst;
  }
  double mean_noise(const std::string& bus) const {
    return spread(window_means.at(bus), buses.at(bus).mean());
  }
  double p99_noise(const std::string& bus) const {
    return spread(window_p99s.at(bus), buses.at(bus).p99());
  }
};

const char* verdict(bool ok) {
  return ok ? "ok" : "OVER LIMIT";
}

}  // namespace

int main() {
  plant::PlantOptions plant_options;
  plant_options.tcp_pick_free_ports = true;
  plant::VirtualPlant plant(make_site(), plant_options);
  plant.start();
  const auto site = std::make_shared<const model::Site>(plant.site_for_gateway());
  auto publisher = std::make_shared<model::SnapshotPublisher>();
  fieldbus::Acquisition acq(*site, model::build_plant_channels(*site), publisher);
  acq.start();
  for (const auto& bus : site->buses) {
    while (acq.cycles(bus.name) < 2) std::this_thread::sleep_for(10ms);  // past identity reads
  }
  web::WebOptions options;
  options.port = 0;
  options.allow_anonymous_read = true;  // loopback reads without a session, as the demo
  web::WebServer server(options, publisher, nullptr, site);
  server.start();
  const auto battery_channels = acq.channels().directory->with_prefix("battery/").size();

  std::printf(
      "Acquisition cycle time with and without %d WebSocket clients (another process) each "
      "subscribed to all %zu battery channels\n",
      kClients, battery_channels);
  std::printf(
      "(%d rounds of a %lld s window without clients, then one with; limits: mean <= "
      "no-load x %.2f + %.0f ms, p99 <= no-load x %.2f + %.0f ms, each + 2 x the "
      "no-load windows' own spread)\n",
      kRounds, static_cast<long long>(kWindow.count() / 1000), kMeanLimitFactor, kMeanSlackMs,
      kP99LimitFactor, kP99SlackMs);
  Pooled idle;
  Pooled loaded;
  bool clients_ran = true;
  double clients_cpu = 0.0;
  unsigned long long messages = 0, bytes = 0;
  double seconds = 0.0, p95_worst = 0.0, p99_worst = 0.0;
  // Clients streaming before the window opens (and after it closes): longer than the slowest
  // bus cycle (the RTU's ~0.8 s), so no cycle counted in the window began while 50 clients
  // were still connecting and receiving their first full message.
  const auto ramp = 1500ms;
  for (int round = 0; round < kRounds; ++round) {
    idle.add(measure(acq, *publisher, *site, kWindow));
    Window w;
    const auto c =
        bench::run_stream_load(BTMS_WEB_STREAM_CLIENT, server.port(), kClients,
                               static_cast<int>((kWindow + 2 * ramp).count()), "battery/", [&] {
                                 std::this_thread::sleep_for(ramp);
                                 w = measure(acq, *publisher, *site, kWindow);
                               });
    clients_ran = clients_ran && c.ran;
    loaded.add(w);
    clients_cpu += c.cpu / kRounds;
    messages += c.messages;
    bytes += c.bytes;
    seconds += c.seconds;
    p95_worst = std::max(p95_worst, c.p95_ms);
    p99_worst = std::max(p99_worst, c.p99_ms);
  }
  bool all_ok = clients_ran;
  if (!clients_ran) std::printf("  the client process did not run, or a client failed\n");
  std::printf(
      "  CPU (cores): gateway process (plant simulator + acquisition + server) %.2f without "
      "clients, %.2f with; client process %.2f\n",
      idle.cpu(), loaded.cpu(), clients_cpu);
  std::printf(
      "  stream: %.1f messages per client per s, %.0f bytes per message, latency "
      "measurement -> client p95 %.1f ms, p99 %.1f ms (worst window; reported, not judged "
      "here)\n",
      seconds > 0 ? static_cast<double>(messages) / kClients / seconds : 0.0,
      messages > 0 ? static_cast<double>(bytes) / static_cast<double>(messages) : 0.0, p95_worst,
      p99_worst);
  for (const auto& bus : site->buses) {
    const auto& before = idle.buses.at(bus.name);
    const auto& under = loaded.buses[bus.name];
    const double mean_limit =
        before.mean() * kMeanLimitFactor + kMeanSlackMs + 2.0 * idle.mean_noise(bus.name);
    const double p99_limit =
        before.p99() * kP99LimitFactor + kP99SlackMs + 2.0 * idle.p99_noise(bus.name);
    const bool ok = !under.cycle_ms.empty() && under.mean() <= mean_limit &&
                    under.p99() <= p99_limit && under.timeouts == 0;
    std::printf(
        "  bus %-5s no clients: mean %6.1f ms, p99 %6.1f ms (%zu cycles) | with clients: "
        "mean %6.1f ms (limit %6.1f), p99 %6.1f ms (limit %6.1f), %zu cycles, %.0f "
        "timeouts (limit 0) -> %s\n",
        bus.name.c_str(), before.mean(), before.p99(), before.cycle_ms.size(), under.mean(),
        mean_limit, under.p99(), p99_limit, under.cycle_ms.size(), under.timeouts, verdict(ok));
    all_ok = all_ok && ok;
  }
  std::printf("Result: %s\n", all_ok ? "every judged figure within its limit"
                                     : "SOME JUDGED FIGURE OVER ITS LIMIT");
  server.stop();
  acq.stop();
  return all_ok ? 0 : 1;
}
