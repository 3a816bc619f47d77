// Alarm limits and timings of the engine, with the defaults of ANCHORS.md; overridable per
// string. Voltages are per cell so one setting fits 2, 6 and 12 V blocks.
#pragma once

#include <cstdint>
#include <map>

#include "engine/equalization.hpp"

namespace btms::engine {

struct BatteryLimits {
  // Battery voltage, compensated to 25 °C (the reading is corrected by −comp × (T − 25) per
  // cell before the comparison, so the band follows the float voltage with temperature).
  double voltage_high_per_cell_V = 2.40;
  double voltage_low_per_cell_V = 2.18;  // on float; suppressed during a discharge until recovery
  double voltage_hysteresis_per_cell_V = 0.02;
  double temp_comp_per_cell_V_per_C = -0.003;
  double temperature_warning_C = 35.0;
  double temperature_alarm_C = 45.0;
  double temperature_trip_C = 55.0;
  double temperature_hysteresis_C = 2.0;
  double delta_t_ambient_K = 10.0;  // battery above its string's ambient
  double delta_t_hysteresis_K = 2.0;
  double resistance_warning_pct = 20.0;  // over the battery's own learned baseline
  double resistance_alarm_pct = 50.0;
  double resistance_hysteresis_pct = 5.0;
  int resistance_baseline_samples = 10;  // baseline = mean of the first N good readings
  std::int64_t comm_lost_delay_ms = 5000;
};

struct StringLimits {
  double voltage_high_per_cell_V = 2.45;
  double voltage_low_per_cell_V = 1.75;  // end of discharge
  double voltage_hysteresis_per_cell_V = 0.02;
  double charge_current_high_C = 0.25;    // A per Ah of C10: charging current high
  double discharge_current_high_C = 1.5;  // discharging harder than this = current low alarm
  double current_hysteresis_C = 0.02;
  double insulation_warning_ohm_per_V = 100.0;
  double insulation_alarm_ohm_per_V = 50.0;
  double insulation_reset_factor = 1.25;  // clears 25 % above the response value
  // Thermal runaway: a battery this far above ambient (or, without an ambient sensor, above the
  // string's coolest battery) AND a charging current above the normal float current, both held
  // for runaway_hold_ms -> trip (fatal: opens even the last string of a UPS).
  double runaway_delta_t_K = 10.0;
  double runaway_float_current_C = 0.01;
  std::int64_t runaway_hold_ms = 60'000;
  std::int64_t relay_mismatch_delay_ms = 2000;
  double soc_low_pct = 50.0;  // string SOC low warning
  double soc_hysteresis_pct = 5.0;
  std::int64_t comm_lost_delay_ms = 5000;
};

struct LimitSet {
  BatteryLimits battery;
  StringLimits string;
};

struct EngineConfig {
  LimitSet defaults;
  std::map<int, LimitSet> per_string;  // string id -> limits replacing the defaults
  int debounce_count = 3;              // analog rules: consecutive good readings both ways
  std::int64_t analog_on_delay_ms = 0;
  std::int64_t analog_off_delay_ms = 2000;
  std::int64_t input_debounce_ms = 500;  // digital inputs and the MC watchdog
  bool latch_trip_alarms = true;         // trip alarms clear only once acknowledged
  double runtime_low_min = 10.0;         // UPS runtime low alarm bit
  // Event ids continue from here (the app passes the last stored id + 1 across restarts).
  std::uint64_t first_event_id = 1;
  bool equalization_enabled = true;
  // Referenced to the lowest battery: the only way bypass balancing lifts the low ones.
  VoltageEqualizationConfig equalization{.reference = EqualizationReference::lowest};

  const LimitSet& limits(int string_id) const {
    const auto it = per_string.find(string_id);
    return it == per_string.end() ? defaults : it->second;
  }
};

}  // namespace btms::engine
