// In-process system harness (mode a): the physics model driven directly, the engine fed with
// snapshots built from the model through the same PlantChannels, quantized like the sensors'
// registers, and the engine's commands applied back to the model as the devices would. No
// sockets, no threads: long simulated spans run thousands of times faster than real time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "engine/engine.hpp"
#include "model/events.hpp"
#include "model/plant_channels.hpp"
#include "model/topology.hpp"
#include "plant/physics/plant_model.hpp"

namespace btms::system_test {

struct SiteShape {
  int strings = 3;             // all on UPS 1
  int batteries = 12;          // per string
  double capacity_Ah = 100.0;  // 12 V blocks
  int cycle_ms = 1000;         // bus poll cycle
};

// One MC with ambient sensor 1; every string has a BM-GS, a BM-HS and a disconnect relay on
// mc/relay/S fed back on mc/input/S; all on one TCP bus.
model::Site make_site(const SiteShape& shape);

struct SensorNoise {
  double voltage_sigma_V = 0.0;
  double temperature_sigma_C = 0.0;
  double resistance_sigma_pct = 0.0;
  double current_sigma_A = 0.0;
  // Readings lost (comm_lost) for one cycle, like bus errors: a battery lost in one cycle is
  // read again in the next (a single error, not an outage).
  double battery_drop_fraction = 0.0;
};

class FastPlant {
 public:
  FastPlant(const model::Site& site, std::uint64_t seed, engine::EngineConfig config = {});

  // Advances the model by one poll cycle, then builds the snapshot and steps the engine;
  // commands go back to the model. Returns that step's output.
  engine::EngineOutput cycle();
  // Runs cycles until sim time has advanced by span_s; on_cycle sees every output.
  void run_for(double span_s,
               const std::function<void(const engine::EngineOutput&)>& on_cycle = {});

  plant::PlantModel& model() { return *model_; }
  engine::Engine& engine() { return *engine_; }
  const model::Site& site() const { return site_; }
  std::int64_t now_ms() const { return now_ms_; }
  void set_noise(const SensorNoise& noise) { noise_ = noise; }
  void set_cycle_ms(int cycle_ms) { cycle_ms_ = cycle_ms; }
  // Resistance readings change only when a BM-CS measures (the engine sees a new reading as a
  // resistance test): every period_s like the device's own schedule, and on
  // RequestResistanceTest. 0 = a fresh measurement every cycle.
  void set_resistance_test_period_s(double period_s) { resistance_test_period_s_ = period_s; }
  const std::vector<model::Event>& events() const { return events_; }
  int trips() const;

  // Applies one engine command to the model as the BM-CS / MC would.
  void apply(const model::Command& command);
  std::shared_ptr<const model::Snapshot> snapshot();

 private:
  model::Site site_;
  model::PlantChannels channels_;
  std::unique_ptr<plant::PlantModel> model_;
  std::unique_ptr<engine::Engine> engine_;
  SensorNoise noise_;
  std::mt19937_64 rng_;
  int cycle_ms_;
  std::int64_t now_ms_ = 0;
  std::uint64_t sequence_ = 0;
  std::vector<bool> relay_on_;  // mc/relay/K as commanded, [K - 1]
  std::vector<model::Event> events_;
  std::vector<bool> dropped_last_cycle_;  // by battery, strings in site order
  double resistance_test_period_s_;
  std::vector<double> resistance_mOhm_;       // latched reading, by battery
  std::vector<std::int64_t> measured_at_ms_;  // when it was measured, -1 = never / requested
};

// Quantizes to a register resolution (0.001 V, 0.1 °C, ...).
double quantize(double value, double resolution);

}  // namespace btms::system_test
