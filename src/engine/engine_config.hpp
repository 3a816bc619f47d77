// Alarm limits and timings of the engine, with the defaults of ANCHORS.md; overridable per
// string. Voltages are per cell so one setting fits 2, 6 and 12 V blocks.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/equalization_config.hpp"
#include "model/topology.hpp"

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
  // Fatal: beyond this a block is a fire risk whatever the UPS's redundancy, so the string is
  // opened even when it is the last closed one of its UPS. So is a block above its trip limit
  // whose temperature is still rising (faster than string.runaway_rise_K_per_h, measured over
  // string.runaway_rise_window_ms): a held trip must not watch it climb to 90 °C.
  double temperature_fatal_C = 65.0;
  double temperature_hysteresis_C = 2.0;
  double delta_t_ambient_K = 10.0;  // battery above its string's ambient
  double delta_t_hysteresis_K = 2.0;
  double resistance_warning_pct = 20.0;  // over the battery's own learned baseline
  double resistance_alarm_pct = 50.0;
  double resistance_hysteresis_pct = 5.0;
  int resistance_baseline_samples = 10;  // baseline = mean of the first N good readings
  // SOH low warning: SOH = the lower of the resistance estimate (100 − 40 × (R/R_ref − 1)) and
  // the capacity measured in the latest full discharge. 80 % = replace (ANCHORS).
  double soh_low_pct = 80.0;
  double soh_hysteresis_pct = 2.0;
  // Float alarms (battery voltage high/low) are suppressed this long after a resistance test:
  // the test's load pulse disturbs the block's voltage. A test is seen as a new resistance
  // reading (the BM-CS changes the value only when it measures). The window delays a lasting
  // float alarm, never drops it; it must stay well below the sensors' test period (the BM-CS
  // measures online every 5 min), so the default is 2 min. Albér's 30 min belongs to a heavy
  // string load test run rarely: set that for sites whose tests are such.
  std::int64_t resistance_test_suppression_ms = 2LL * 60 * 1000;
  // One window per test: readings that change inside a window do not extend it, and a new
  // window opens only this long after the previous one opened (a sensor whose reading changes
  // every cycle would otherwise keep float alarms suppressed for ever).
  std::int64_t resistance_test_min_interval_ms = 5LL * 60 * 1000;
  // Far outside the float band a reading is no test artefact: below the open-circuit voltage of
  // a discharged block (2.00 V/cell, 12.0 V on a 12 V block) or above 2.50 V/cell the voltage
  // rules judge it even inside a suppression window (a discharge still suppresses the low side).
  double voltage_always_low_per_cell_V = 2.00;
  double voltage_always_high_per_cell_V = 2.50;
  std::int64_t comm_lost_delay_ms = 5000;
};

struct StringLimits {
  double voltage_high_per_cell_V = 2.45;
  double voltage_low_per_cell_V = 1.75;  // end of discharge
  double voltage_hysteresis_per_cell_V = 0.02;
  double charge_current_high_C = 0.25;  // A per Ah of C10: charging current high
  // Discharging harder than this = current low alarm. A UPS battery is sized for at least
  // 5 min: a 15-minute constant-power load draws 2.4 C10 at first and close to 3 C10 near the
  // end voltage (virtual plant: 244 A from 100 Ah blocks), while the 5-minute rate of a VRLA
  // block is about 4 C10. 4 C10 flags a load beyond any sane design (or a fault) and stays
  // silent on an ordinary mains outage.
  double discharge_current_high_C = 4.0;
  double current_hysteresis_C = 0.02;
  double insulation_warning_ohm_per_V = 100.0;
  double insulation_alarm_ohm_per_V = 50.0;
  double insulation_reset_factor = 1.25;  // clears 25 % above the response value
  // Thermal runaway: a battery this far above ambient (or, without an ambient sensor, above the
  // string's coolest battery) AND a charging current above the normal float current, both held
  // for runaway_hold_ms -> trip (fatal: opens even the last string of a UPS).
  // ΔT must also be RISING: its slope over runaway_rise_window_ms (two moving averages of ΔT
  // with time constants window/4 and window; a ramp of m K/h puts them m × ¾ window apart)
  // above runaway_rise_K_per_h. A battery that is hot but steady (a heater next to it) is
  // alarmed by its ΔT rule, not tripped as a runaway. The window is longer than the hold
  // because the sensors resolve 0.1 °C: over 60 s at a 1–3 s poll a slope is only known to
  // about ±5 K/h, over 10 min to a fraction of 1 K/h, and a runaway builds up over hours.
  // Until ΔT has been watched for one window (start-up, or a gap in the readings) the rule
  // trips on hot + current alone: a restart during a runaway must not delay the trip.
  double runaway_delta_t_K = 10.0;
  double runaway_rise_K_per_h = 6.0;
  std::int64_t runaway_rise_window_ms = 10LL * 60 * 1000;
  double runaway_float_current_C = 0.01;
  // Float current rising: a block in runaway draws a float current that grows with its
  // temperature, so the string's own float current is the early sign, long before the absolute
  // runaway_float_current_C (1 A on 100 Ah; healthy strings float at 0.2-0.4 A). The string's
  // float baseline is learned (moving average, time constant runaway_float_baseline_ms) while it
  // floats with no battery warmer than half runaway_delta_t_K; the current (filtered over
  // runaway_current_filter_ms against sensor noise) counts as rising above
  // max(factor × baseline, baseline + rise_C × C10), or above the absolute limit.
  double runaway_float_current_rise_factor = 2.0;
  double runaway_float_current_rise_C = 0.003;
  std::int64_t runaway_float_baseline_ms = 30LL * 60 * 1000;
  std::int64_t runaway_current_filter_ms = 30'000;
  std::int64_t runaway_hold_ms = 60'000;
  std::int64_t relay_mismatch_delay_ms = 2000;
  double soc_low_pct = 50.0;  // string SOC low warning
  double soc_hysteresis_pct = 5.0;
  // A discharge measures the string's capacity (and so its batteries' SOH) when it started
  // full (SOC ≥ 95 %), ran at most capacity_test_max_rate_C on average (capacity tests run at
  // C10..C3; Peukert's correction is poor at UPS rates) and reached this end voltage. The Ah
  // out are scaled to the C10 rate by Peukert (exponent by chemistry: AGM 1.10, gel 1.17,
  // flooded 1.25).
  double capacity_test_end_per_cell_V = 1.80;
  double capacity_test_max_rate_C = 0.25;
  // A capacity test passes when the string gave at least this % of its rated C10 capacity
  // (IEEE 1188 and IEEE 450: replace at 80 %); judged in the discharge report.
  double capacity_test_pass_pct = 80.0;
  std::int64_t comm_lost_delay_ms = 5000;
};

struct LimitSet {
  BatteryLimits battery;
  StringLimits string;
};

// Relay outputs of the MC or a BM-LC driven by the alarm state (energized while the trigger
// holds). SetRelay commands go out on change only (and once at the first step).
enum class AlarmOutputTrigger : std::uint8_t {
  common_alarm,    // any active alarm of severity alarm or trip
  common_warning,  // any active warning
  unacknowledged,  // siren: any active alarm not yet acknowledged; silenced by acknowledging
  trip,            // any active trip alarm or any string opened by protection
  ventilation,     // battery temperature (any tier), ΔT to ambient or thermal runaway
};
std::string_view to_string(AlarmOutputTrigger trigger);
bool alarm_output_trigger_from_string(std::string_view text, AlarmOutputTrigger& out);

struct AlarmOutput {
  model::IoPoint relay;
  AlarmOutputTrigger trigger = AlarmOutputTrigger::common_alarm;
  bool operator==(const AlarmOutput&) const = default;
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
  std::vector<AlarmOutput> alarm_outputs;

  const LimitSet& limits(int string_id) const {
    const auto it = per_string.find(string_id);
    return it == per_string.end() ? defaults : it->second;
  }
};

// What is wrong with the alarm outputs on this site, one line each (empty = fine): the relay
// must exist (MC relay 1..16 with an MC, BM-LC output 1..16 of a fitted LC), must not be a
// string's disconnect relay and must not be driven by two outputs.
std::vector<std::string> alarm_output_problems(const std::vector<AlarmOutput>& outputs,
                                               const model::Site& site);

}  // namespace btms::engine
