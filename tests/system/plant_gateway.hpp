// The gateway's acquisition and engine on the virtual plant's clock, over the full path: the
// plant served on loopback Modbus TCP at accelerated time, fieldbus::Acquisition polling it with
// the plant's clock (sample stamps and poll schedule in simulated time), the engine stepped with
// that clock's "now" and its commands sent back to the devices. What `btms demo` wires, minus
// the consumers. Used by the clock test (same records at any speed) and the scenario test.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "engine/engine.hpp"
#include "fieldbus/acquisition.hpp"
#include "model/events.hpp"
#include "plant/scenario.hpp"
#include "plant/virtual_plant.hpp"

namespace btms::system_test {

class PlantGateway {
 public:
  PlantGateway(const model::Site& site, double speed,
               std::shared_ptr<const plant::Scenario> scenario, std::uint64_t seed = 1);
  ~PlantGateway();

  // Runs until the plant's clock has advanced span_s from now (or wall_limit_s of real time
  // passed: returns false then). on_step sees the plant after every engine step.
  bool run_for(double span_s, double wall_limit_s,
               const std::function<void(plant::PlantModel&)>& on_step = {});

  plant::VirtualPlant& plant() { return *plant_; }
  engine::Engine& engine() { return *engine_; }
  const model::Clock& clock() const { return *clock_; }
  const std::vector<model::Event>& events() const { return events_; }
  std::uint64_t engine_steps() const { return steps_; }

 private:
  std::unique_ptr<plant::VirtualPlant> plant_;
  std::shared_ptr<const model::Clock> clock_;
  std::shared_ptr<model::SnapshotPublisher> snapshots_;
  std::unique_ptr<fieldbus::Acquisition> acquisition_;
  std::unique_ptr<engine::Engine> engine_;
  std::vector<model::Event> events_;
  std::uint64_t last_sequence_ = 0;
  std::uint64_t steps_ = 0;
};

// Times an alarm rule was raised (any source when source is empty).
int count_raised(const std::vector<model::Event>& events, const std::string& rule,
                 const std::string& source = "");

}  // namespace btms::system_test

namespace btms::system_test {

// A 10-minute mains outage of UPS 1 (a 2 x 12 battery site, 1 s poll cycle) through the full
// path at `speed`, the gateway on the plant's clock: what the engine recorded and the truth.
struct OutageResult {
  double duration_s[3] = {0, 0, 0};  // [string id], from the discharge record
  double recorded_Ah[3] = {0, 0, 0};
  double truth_Ah[3] = {0, 0, 0};  // the plant's own integral of the string current
  bool finished = false;
};
OutageResult run_ten_minute_outage(double speed);

}  // namespace btms::system_test
