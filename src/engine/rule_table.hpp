// The alarm rules of every battery and every string, one row each (foxBMS diagnosis table): the
// key, severity, direction, SCADA alarm bit, limit and reset taken from the limit set, the
// timing, latch, fatality, ventilation and the fact the rule reads. Adding a rule = one row here
// (plus, for a new quantity, one fact in battery_facts.hpp / string_facts.hpp) and its test.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "engine/alarm_rule.hpp"
#include "engine/engine_config.hpp"
#include "model/events.hpp"
#include "model/topology.hpp"

namespace btms::engine {

// What a battery rule reads (BatteryFactsStage fills one value per fact and battery).
enum BatteryFact : std::uint8_t {
  kFactVoltageForHigh,   // V at 25 °C; not judged inside a resistance-test window
  kFactVoltageForLow,    // V at 25 °C; not judged in a discharge or a resistance-test window
  kFactTemperature,      // °C
  kFactDeltaTAmbient,    // K above the string's ambient sensor
  kFactResistanceRise,   // % above the learned baseline
  kFactBatteryCommLost,  // 1/0
  kFactSoh,              // %
  kFactRisingPastTrip,   // 1/0: above the trip limit and still rising
  kBatteryFacts
};
// What a string rule reads.
enum StringFact : std::uint8_t {
  kFactStringVoltage,         // V
  kFactStringCurrent,         // A, + charge
  kFactInsulation,            // Ω/V, the lower of R+ and R-
  kFactThermalRunaway,        // 1/0
  kFactCurrentSensorInvalid,  // 1/0
  kFactStringCommLost,        // 1/0
  kFactRelayMismatch,         // 1/0
  kFactStringSoc,             // %
  kStringFacts
};

enum class RuleScope : std::uint8_t { battery, string };
enum class RuleTiming : std::uint8_t {
  analog,        // EngineConfig debounce and on/off delays
  comm_lost,     // flag, raised after the limit set's comm_lost_delay_ms
  runaway_hold,  // flag, raised after string.runaway_hold_ms
  immediate,     // flag, no delay
};

// What a limit is computed from: per-cell limits times the cells, C-rates times C10.
struct RuleScale {
  const LimitSet& limits;
  double cells_per_battery;
  double cells_in_string;
  double capacity_Ah;
};
using LimitOf = double (*)(const RuleScale&);

struct RuleRow {
  std::string_view key;
  RuleScope scope;
  model::Severity severity;
  Direction direction;
  std::uint16_t alarm_bit;  // battery: BatteryAlarmBit, string: StringAlarmBit
  LimitOf limit;            // nullptr: a flag fed 1/0
  LimitOf reset;
  RuleTiming timing;
  bool latch;        // latches when EngineConfig::latch_trip_alarms
  bool fatal;        // opens even the last closed string of its UPS
  bool ventilation;  // drives AlarmOutputTrigger::ventilation
  std::uint8_t fact;
  // Alarm text: analog rows "<quantity> <value> <unit> above/below <limit_name> <limit> <unit>",
  // flags "<quantity>" as the whole condition.
  std::string_view quantity;
  std::string_view unit;
  int decimals;
  std::string_view limit_name;
};

std::span<const RuleRow> battery_rule_table();
std::span<const RuleRow> string_rule_table();

// Position of the first row of `rows` that reads `fact` (rows.size() when none).
std::size_t row_reading(std::span<const RuleRow> rows, std::uint8_t fact);

// The AlarmRuleConfig of a row for one string's battery type and limit set.
std::shared_ptr<const AlarmRuleConfig> rule_config(const RuleRow& row, const RuleScale& scale,
                                                   const EngineConfig& config);
// A boolean condition fed as 1/0 (digital inputs, system conditions).
std::shared_ptr<const AlarmRuleConfig> flag_config(std::string name, model::Severity severity,
                                                   std::int64_t on_delay_ms,
                                                   std::int64_t off_delay_ms);

}  // namespace btms::engine
