// The cloud link's throughput and cost against a real local mosquitto broker, for a full
// gateway (32 strings x 120 batteries = 3,840 batteries):
//   1. outbox bytes per value: every battery's values stored while the broker is down
//      (SQLite file + WAL growth / values stored);
//   2. messages per second: that backlog sent to the broker when it comes back (QoS 1, every
//      message acknowledged and deleted from the outbox);
//   3. CPU per 1,000 batteries: steady operation, one engine step per plant second, values
//      drifting so each battery is due about once a minute (deadband or interval).
// Each figure is printed next to its limit; exit 1 when one is missed.
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cloud/cloud_link.hpp"
#include "model/derived_channels.hpp"
#include "model/plant_channels.hpp"
#include "mqtt_test_broker.hpp"
#include "process.hpp"

using namespace btms;
using namespace std::chrono_literals;

namespace {

constexpr int kStrings = 32;
constexpr int kBatteries = 120;
constexpr int kTotal = kStrings * kBatteries;
// Limits.
constexpr double kMaxBytesPerValue = 96;        // 1 day of a 3,840-battery outage < 512 MB
constexpr double kMinMessagesPerSecond = 2000;  // an hour's backlog (230,400) in < 2 min
constexpr double kMaxCorePercentPer1000 = 1.0;  // at one step per second

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::int64_t file_size(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::int64_t>(n);
}

struct Plant {
  model::Site site;
  model::PlantChannels plant;
  model::DerivedChannels derived;
  Plant() {
    site.name = "Bench";
    for (int i = 1; i <= kStrings; ++i) {
      model::String s;
      s.id = i;
      s.ups_id = 1;
      s.batteries = kBatteries;
      site.strings.push_back(s);
    }
    plant = model::build_plant_channels(site);
    derived = model::build_derived_channels(site);
  }
  // drift_all: every battery moves past its deadband; else one in 60 does per step.
  std::shared_ptr<const engine::StepBundle> bundle(std::uint64_t step, std::int64_t t,
                                                   bool drift_all) const {
    auto p = std::make_shared<model::Snapshot>();
    p->channels = plant.directory;
    p->samples.assign(plant.directory->size(), {0, t, model::Quality::ok});
    auto d = std::make_shared<model::Snapshot>();
    d->channels = derived.directory;
    d->samples.assign(derived.directory->size(), {0, t, model::Quality::ok});
    for (std::size_t si = 0; si < plant.strings.size(); ++si) {
      for (std::size_t b = 0; b < plant.strings[si].batteries.size(); ++b) {
        const auto& ch = plant.strings[si].batteries[b];
        const auto moves = drift_all ? step : (step + b) / 60;
        p->samples[ch.voltage] = {13.0 + 0.02 * static_cast<double>(moves % 50), t,
                                  model::Quality::ok};
        p->samples[ch.temperature] = {25.0, t, model::Quality::ok};
        p->samples[ch.resistance] = {4.0, t, model::Quality::ok};
        d->samples[derived.strings[si].batteries[b].soc] = {90.0, t, model::Quality::ok};
        d->samples[derived.strings[si].batteries[b].soh] = {100.0, t, model::Quality::ok};
      }
    }
    p->time_ms = d->time_ms = t;
    auto bundle = std::make_shared<engine::StepBundle>();
    bundle->step = step;
    bundle->time_ms = t;
    bundle->plant = p;
    bundle->derived = d;
    bundle->alarms = std::make_shared<const engine::AlarmList>();
    return bundle;
  }
};

bool wait_until(const std::function<bool()>& pred, std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

bool report(const char* what, double value, const char* unit, const char* relation, double limit) {
  const bool ok = relation[0] == '<' ? value <= limit : value >= limit;
  fmt::print("{:<44} {:>10.2f} {:<10} limit {} {:g}  {}\n", what, value, unit, relation, limit,
             ok ? "ok" : "MISSED");
  return ok;
}

}  // namespace

int main() {
  e2e::TempFolder folder;
  const Plant plant;
  cloud::test::MosquittoBroker broker(folder.path(), {});
  broker.stop();  // phase 1 runs with the broker down

  cloud::CloudConfig config;
  config.enabled = true;
  config.broker = {"127.0.0.1", broker.port(), false};
  config.site_id = "bench";
  config.gateway_id = "gw";
  config.reconnect_min_ms = 20;
  config.reconnect_max_ms = 50;
  config.backlog_messages_per_s = 100'000;  // measure the link, not the pacing
  config.max_in_flight = 256;
  auto publication = std::make_shared<engine::StepPublication>();
  auto events = std::make_shared<engine::AppendLog<model::Event>>();
  const std::string outbox = folder.path() + "/outbox.db";
  cloud::CloudLink link(config, plant.site, {publication, events, nullptr}, outbox,
                        model::system_clock());
  link.start();

  // 1. Outbox bytes per value while the broker is down.
  constexpr int kOutageSteps = 30;  // long enough that the WAL's fixed size is amortized
  std::int64_t t = 1'700'000'000'000;
  for (int i = 1; i <= kOutageSteps; ++i) {
    const auto before = link.health().outbox.newest_mid;
    publication->publish(plant.bundle(static_cast<std::uint64_t>(i), t += 1000, true));
    // Wait for each step to be stored: the link reads the latest bundle, not every one.
    wait_until([&] { return link.health().outbox.newest_mid >= before + kTotal; }, 60s);
  }
  const auto stored = link.health().outbox;
  const double values = static_cast<double>(kOutageSteps) * kTotal * 5;
  const double bytes_per_value =
      static_cast<double>(file_size(outbox) + file_size(outbox + "-wal")) / values;
  fmt::print(
      "outbox: {} messages, {} topic+payload bytes ({:.1f} B/value), file {} + WAL {} bytes\n",
      stored.rows, stored.bytes, static_cast<double>(stored.bytes) / values, file_size(outbox),
      file_size(outbox + "-wal"));

  // 2. Messages per second: the backlog drains into the broker.
  broker.start();
  const auto drain_start = std::chrono::steady_clock::now();
  const auto acked_before = link.health().acknowledged;
  const bool drained = wait_until([&] { return link.health().outbox.rows == 0; }, 300s);
  const double drain_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - drain_start).count();
  const double messages_per_s =
      static_cast<double>(link.health().acknowledged - acked_before) / drain_s;

  // 3. CPU per 1,000 batteries at one step per plant second (replayed as fast as the link
  // keeps up: CPU time per step is what counts).
  constexpr int kSteadySteps = 120;
  std::vector<std::shared_ptr<const engine::StepBundle>> steps;
  for (int i = 1; i <= kSteadySteps; ++i)
    steps.push_back(plant.bundle(static_cast<std::uint64_t>(1000 + i), t += 1000, false));
  const auto mid_before = link.health().outbox.newest_mid;
  const double cpu_before = cpu_seconds();
  std::int64_t last_mid = mid_before;
  for (const auto& s : steps) {
    publication->publish(s);
    // Each step is stored before the next is published (as at 1 step/s).
    wait_until([&] { return link.health().outbox.newest_mid > last_mid; }, 10s);
    last_mid = link.health().outbox.newest_mid;
  }
  wait_until([&] { return link.health().outbox.rows == 0; }, 60s);
  const double cpu_s = cpu_seconds() - cpu_before;
  const auto steady_messages = link.health().outbox.newest_mid - mid_before;
  const double core_percent_per_1000 = cpu_s / kSteadySteps * 100.0 / (kTotal / 1000.0);
  link.stop();

  fmt::print(
      "gateway of {} batteries; backlog {} messages sent in {:.2f} s; steady {} steps, "
      "{} messages, {:.3f} CPU s\n",
      kTotal, stored.rows, drain_s, kSteadySteps, steady_messages, cpu_s);
  bool ok = drained;
  if (!drained) fmt::print("backlog not drained within 300 s: MISSED\n");
  ok &=
      report("outbox bytes per value (file + WAL)", bytes_per_value, "B", "<=", kMaxBytesPerValue);
  ok &= report("messages per second to the broker (QoS 1)", messages_per_s, "msg/s",
               ">=", kMinMessagesPerSecond);
  ok &= report("CPU per 1,000 batteries at 1 step/s", core_percent_per_1000, "% core",
               "<=", kMaxCorePercentPer1000);
  return ok ? 0 : 1;
}
