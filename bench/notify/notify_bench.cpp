// The routing core under the worst storm a gateway can make: every battery of 32 strings x 120
// alarmed at once (3,872 alarms with the strings' own), five recipients. Figures:
// - messages: must be one per string and recipient (160), not one per alarm (19,360);
// - CPU to take the storm in and decide the messages: limit 200 ms (the notifier's own thread;
//   the engine never waits for it, this bounds how late the first message can be);
// - the same for the recovery after everything clears;
// - wall time to keep the storm's messages in the outbox (notify.db, before their first try)
//   and to remove them once sent: limit 2,000 ms each (one committed write per message on the
//   notifier's and the workers' threads; it makes the first message that much later at worst).
// Prints each figure next to its limit and exits 1 when one is missed.
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "notify/alarm_router.hpp"
#include "notify/outbox.hpp"

namespace {

using namespace btms;

class StepClock final : public model::Clock {
 public:
  std::int64_t now_ms() const override { return now; }
  double rate() const override { return 1.0; }
  std::int64_t now = 1'796'472'000'000;
};

double wall_ms(std::chrono::steady_clock::time_point from) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - from).count();
}

double cpu_ms(std::clock_t from) {
  return 1000.0 * static_cast<double>(std::clock() - from) / CLOCKS_PER_SEC;
}

}  // namespace

int main() {
  constexpr int kStrings = 32, kBatteries = 120, kRecipients = 5;
  auto clock = std::make_shared<StepClock>();
  notify::SiteNames names;
  names.site = "bench";
  std::vector<notify::Recipient> recipients;
  for (int r = 0; r < kRecipients; ++r) {
    notify::Recipient recipient;
    recipient.name = "r" + std::to_string(r);
    recipient.min_severity = model::Severity::warning;
    if (r == 4) recipient.sources = {"ups/1"};
    recipients.push_back(recipient);
  }
  for (int s = 1; s <= kStrings; ++s) names.strings[s] = {"S" + std::to_string(s), 1, "UPS 1"};
  notify::RoutingSettings settings;
  settings.base_url = "http://btms.bench";
  notify::AlarmRouter router(settings, recipients, names, clock);

  std::vector<model::Event> storm;
  for (int s = 1; s <= kStrings; ++s) {
    for (int b = 1; b <= kBatteries; ++b) {
      model::Event e;
      e.kind = model::EventKind::alarm_raised;
      e.source = "battery/" + std::to_string(s) + "/" + std::to_string(b);
      e.rule = "battery_voltage_low";
      e.severity = model::Severity::alarm;
      e.time_ms = clock->now;
      e.text = "Battery " + std::to_string(s) + "/" + std::to_string(b) +
               " voltage 11.900 V below low limit 12.6 V";
      storm.push_back(e);
    }
    model::Event e;
    e.kind = model::EventKind::alarm_raised;
    e.source = "string/" + std::to_string(s);
    e.rule = "string_voltage_low";
    e.severity = model::Severity::alarm;
    e.time_ms = clock->now;
    storm.push_back(e);
  }

  auto start = std::clock();
  for (const auto& e : storm) router.on_event(e);
  clock->now += settings.group_wait_ms;
  const auto first = router.take_due();
  const double raise_ms = cpu_ms(start);

  start = std::clock();
  for (auto e : storm) {
    e.kind = model::EventKind::alarm_cleared;
    router.on_event(e);
  }
  clock->now += settings.group_interval_ms;
  const auto recovery = router.take_due();
  const double clear_ms = cpu_ms(start);

  // The outbox on this machine's disk (TMPDIR, else /tmp): the storm's messages kept, then
  // removed as if each had been delivered.
  const auto dir =
      std::filesystem::temp_directory_path() / ("btms_notify_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  double keep_ms = 0.0;
  double remove_ms = 0.0;
  {
    notify::Outbox outbox(dir / "notify.db");
    std::vector<std::uint64_t> rows;
    auto wall = std::chrono::steady_clock::now();
    for (const auto& n : first) rows.push_back(outbox.keep(n, clock->now));
    keep_ms = wall_ms(wall);
    wall = std::chrono::steady_clock::now();
    for (const auto row : rows) outbox.remove(row);
    remove_ms = wall_ms(wall);
  }
  std::filesystem::remove_all(dir);

  const std::size_t expected = static_cast<std::size_t>(kStrings * kRecipients);
  bool ok = true;
  const auto report = [&](const char* what, double value, double limit, const char* unit) {
    const bool pass = value <= limit;
    ok &= pass;
    std::printf("%-58s %10.1f %s (limit <= %.0f) %s\n", what, value, unit, limit,
                pass ? "ok" : "MISSED");
  };
  std::printf("%zu alarms, %d recipients\n", storm.size(), kRecipients);
  const bool count_ok = first.size() == expected && recovery.size() == expected;
  ok &= count_ok;
  std::printf("%-58s %10zu / %zu (limit = %zu, one per string and recipient) %s\n",
              "messages for the storm / for its recovery", first.size(), recovery.size(), expected,
              count_ok ? "ok" : "MISSED");
  report("CPU: take in the storm and decide its messages", raise_ms, 200, "ms");
  report("CPU: take in the clears and decide the recovery", clear_ms, 200, "ms");
  report("wall: keep the storm's messages in the outbox", keep_ms, 2000, "ms");
  report("wall: remove them from the outbox once sent", remove_ms, 2000, "ms");
  report("alarms still tracked after the recovery", static_cast<double>(router.tracked_alarms()), 0,
         "");
  return ok ? 0 : 1;
}
