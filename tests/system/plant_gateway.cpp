#include "plant_gateway.hpp"

#include <chrono>
#include <thread>

#include "model/plant_channels.hpp"

namespace btms::system_test {

PlantGateway::PlantGateway(const model::Site& site, double speed,
                           std::shared_ptr<const plant::Scenario> scenario, std::uint64_t seed) {
  plant::PlantOptions options;
  options.seed = seed;
  options.speed = speed;
  options.tcp_pick_free_ports = true;
  options.scenario = std::move(scenario);
  plant_ = std::make_unique<plant::VirtualPlant>(site, options);
  plant_->start();
  clock_ = plant_->clock();
  const model::Site served = plant_->site_for_gateway();
  const auto channels = model::build_plant_channels(served);
  snapshots_ = std::make_shared<model::SnapshotPublisher>();
  fieldbus::AcquisitionOptions acquisition_options;
  acquisition_options.clock = clock_;
  acquisition_ =
      std::make_unique<fieldbus::Acquisition>(served, channels, snapshots_, acquisition_options);
  engine_ = std::make_unique<engine::Engine>(served, channels);
  acquisition_->start();
  // The engine starts once every bus has been read: connecting takes real milliseconds, which
  // at x500 are simulated seconds, longer than the comm-lost delay. At speed 1 the first cycle
  // is in well before any delay runs out, and that is what this makes every speed see.
  const auto wall_end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (const auto& bus : served.buses) {
    while (acquisition_->cycles(bus.name) < 2 && std::chrono::steady_clock::now() < wall_end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

PlantGateway::~PlantGateway() {
  acquisition_->stop();
  plant_->stop();
}

bool PlantGateway::run_for(double span_s, double wall_limit_s,
                           const std::function<void(plant::PlantModel&)>& on_step) {
  const std::int64_t end_ms = clock_->now_ms() + static_cast<std::int64_t>(span_s * 1000.0);
  const auto wall_end = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<std::int64_t>(wall_limit_s * 1000));
  while (clock_->now_ms() < end_ms) {
    if (std::chrono::steady_clock::now() > wall_end) return false;
    const auto snap = snapshots_->latest();
    if (snap && snap->sequence != last_sequence_) {
      last_sequence_ = snap->sequence;
      // The engine's "now" is the plant's clock, as GatewayOptions::clock gives it in btms demo.
      const auto out = engine_->step(*snap, clock_->now_ms());
      ++steps_;
      for (const auto& c : out.commands) acquisition_->submit(c);
      events_.insert(events_.end(), out.events.begin(), out.events.end());
      if (on_step) plant_->with_model(on_step);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

int count_raised(const std::vector<model::Event>& events, const std::string& rule,
                 const std::string& source) {
  int n = 0;
  for (const auto& e : events) {
    if (e.kind == model::EventKind::alarm_raised && e.rule == rule &&
        (source.empty() || e.source == source)) {
      ++n;
    }
  }
  return n;
}

}  // namespace btms::system_test

#include "sim_harness.hpp"

namespace btms::system_test {

OutageResult run_ten_minute_outage(double speed) {
  constexpr double kFail_s = 30.0;
  constexpr double kOutage_s = 600.0;
  SiteShape shape;
  shape.strings = 2;
  shape.batteries = 12;
  shape.cycle_ms = 1000;
  auto scenario = std::make_shared<plant::Scenario>();
  plant::ScenarioEvent fail;
  fail.at_s = kFail_s;
  fail.kind = plant::ScenarioEventKind::mains_fail;
  fail.ups = 1;
  plant::ScenarioEvent restore = fail;
  restore.at_s = kFail_s + kOutage_s;
  restore.kind = plant::ScenarioEventKind::mains_restore;
  scenario->events = {fail, restore};
  PlantGateway gw(make_site(shape), speed, scenario, 7);
  OutageResult result;
  // Two minutes after the restore: the discharge has ended and the record is closed.
  const double span_s = kFail_s + kOutage_s + 120.0;
  result.finished = gw.run_for(span_s, 3.0 * span_s / speed + 60.0);
  gw.plant().with_model([&](plant::PlantModel& m) {
    for (int s = 1; s <= 2; ++s) result.truth_Ah[s] = m.string(s).discharged_Ah;
  });
  for (int s = 1; s <= 2; ++s) {
    if (const auto record = gw.engine().last_discharge(s); record && record->end_ms != 0) {
      result.duration_s[s] = static_cast<double>(record->end_ms - record->start_ms) / 1000.0;
      result.recorded_Ah[s] = record->ah_out;
    }
  }
  return result;
}

}  // namespace btms::system_test
