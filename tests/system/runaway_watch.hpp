// Plant truth of a thermal runaway, as the engine's rule defines it: the battery more than
// runaway_delta_t_K above its ambient while the string charges above the float current. The
// system tests and the latency benchmark time the contactor's opening from the moment this
// becomes true in the model.
#pragma once

#include <cmath>

#include "engine/engine_config.hpp"
#include "model/topology.hpp"
#include "plant/physics/plant_model.hpp"

namespace btms::system_test {

inline bool runaway_condition_true(const plant::PlantModel& m, const model::Site& site,
                                   int string_id, int position,
                                   const engine::StringLimits& limits = {}) {
  const model::String* s = site.find_string(string_id);
  const model::BatteryType* type = site.find_battery_type(s->battery_type);
  // As the sensors resolve it (0.1 °C, 0.01 A): the engine cannot see a change below that.
  const auto q = [](double v, double resolution) {
    return std::round(v / resolution) * resolution;
  };
  const double ambient_C = q(m.ambient_temperature_C(s->ambient_th), 0.1);
  const double battery_C = q(m.battery(string_id, position).temperature_C, 0.1);
  const double current_A = q(m.string(string_id).current_A, 0.01);
  // The same comparisons on the same quantized doubles as the engine: 33.1 - 23.1 is
  // 10.000000000000002 > 10 there too. (A margin here put the watch up to 0.1 K later than the
  // engine, which matters when ΔT climbs 0.6 K/min as a real runaway does at that point.)
  return battery_C - ambient_C > limits.runaway_delta_t_K &&
         current_A > limits.runaway_float_current_C * type->capacity_Ah;
}

}  // namespace btms::system_test
