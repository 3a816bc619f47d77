#include "support/acquisition_windows.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <thread>

#include "support/cpu_time.hpp"

namespace btms::bench {

using namespace std::chrono_literals;

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

double BusFigures::mean() const {
  return cycle_ms.empty() ? 0.0
                          : std::accumulate(cycle_ms.begin(), cycle_ms.end(), 0.0) /
                                static_cast<double>(cycle_ms.size());
}

double BusFigures::p99() const {
  if (cycle_ms.empty()) return 0.0;
  auto sorted = cycle_ms;
  std::sort(sorted.begin(), sorted.end());
  return sorted[static_cast<std::size_t>(0.99 * static_cast<double>(sorted.size() - 1) + 0.5)];
}

namespace {
double channel(const fieldbus::Acquisition& acq, const model::Snapshot& snap,
               const std::string& name) {
  return snap.samples.at(*acq.channels().directory->find(name)).value;
}
}  // namespace

Window measure(const fieldbus::Acquisition& acq, const model::SnapshotPublisher& publisher,
               const model::Site& site, std::chrono::milliseconds duration) {
  Window window;
  std::map<std::string, std::uint64_t> seen;
  std::map<std::string, double> timeouts0;
  for (const auto& bus : site.buses) {
    seen[bus.name] = acq.cycles(bus.name);
    timeouts0[bus.name] = channel(acq, *publisher.latest(), "bus/" + bus.name + "/timeouts");
  }
  const double cpu0 = process_cpu_seconds();
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
  window.gateway_cpu = (process_cpu_seconds() - cpu0) / wall;
  for (const auto& bus : site.buses) {
    window.buses[bus.name].timeouts =
        channel(acq, *publisher.latest(), "bus/" + bus.name + "/timeouts") - timeouts0[bus.name];
  }
  return window;
}

void Pooled::add(const Window& w) {
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

double Pooled::spread(const std::vector<double>& per_window, double pooled) {
  double worst = 0.0;
  for (double v : per_window) worst = std::max(worst, std::abs(v - pooled));
  return worst;
}

double Pooled::mean_noise(const std::string& bus) const {
  return spread(window_means.at(bus), buses.at(bus).mean());
}

double Pooled::p99_noise(const std::string& bus) const {
  return spread(window_p99s.at(bus), buses.at(bus).p99());
}

const char* verdict(bool ok) {
  return ok ? "ok" : "OVER LIMIT";
}

void print_method(const char* without) {
  std::printf(
      "(%d rounds of a %lld s window without %s, then one with; limits: mean <= "
      "no-load x %.2f + %.0f ms, p99 <= no-load x %.2f + %.0f ms, each + 2 x the "
      "no-load windows' own spread)\n",
      kRounds, static_cast<long long>(kWindow.count() / 1000), without, kMeanLimitFactor,
      kMeanSlackMs, kP99LimitFactor, kP99SlackMs);
}

bool judge_buses(const model::Site& site, const Pooled& idle, const Pooled& loaded,
                 const char* indent, const char* idle_label, const char* loaded_label) {
  bool all_ok = true;
  const BusFigures none;  // a bus that completed no cycle under load
  for (const auto& bus : site.buses) {
    const auto& before = idle.buses.at(bus.name);
    const auto found = loaded.buses.find(bus.name);
    const auto& under = found != loaded.buses.end() ? found->second : none;
    const double mean_limit =
        before.mean() * kMeanLimitFactor + kMeanSlackMs + 2.0 * idle.mean_noise(bus.name);
    const double p99_limit =
        before.p99() * kP99LimitFactor + kP99SlackMs + 2.0 * idle.p99_noise(bus.name);
    const bool ok = !under.cycle_ms.empty() && under.mean() <= mean_limit &&
                    under.p99() <= p99_limit && under.timeouts == 0;
    std::printf(
        "%sbus %-5s %s: mean %6.1f ms, p99 %6.1f ms (%zu cycles) | %s: mean %6.1f ms (limit "
        "%6.1f), p99 %6.1f ms (limit %6.1f), %zu cycles, %.0f timeouts (limit 0) -> %s\n",
        indent, bus.name.c_str(), idle_label, before.mean(), before.p99(), before.cycle_ms.size(),
        loaded_label, under.mean(), mean_limit, under.p99(), p99_limit, under.cycle_ms.size(),
        under.timeouts, verdict(ok));
    all_ok = all_ok && ok;
  }
  return all_ok;
}

}  // namespace btms::bench
