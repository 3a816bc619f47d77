#include "engine/rule_table.hpp"

#include <array>

#include "model/derived_channels.hpp"

namespace btms::engine {

namespace {

using model::Severity;
using S = RuleScale;

constexpr RuleRow battery_row(std::string_view key, Severity severity, Direction direction,
                              std::uint16_t bit, LimitOf limit, LimitOf reset, BatteryFact fact,
                              std::string_view quantity, std::string_view unit, int decimals,
                              std::string_view limit_name) {
  return RuleRow{key,      RuleScope::battery,
                 severity, direction,
                 bit,      limit,
                 reset,    RuleTiming::analog,
                 false,    false,
                 false,    fact,
                 quantity, unit,
                 decimals, limit_name};
}

constexpr RuleRow with(RuleRow row, RuleTiming timing, bool latch, bool fatal, bool ventilation) {
  row.timing = timing;
  row.latch = latch;
  row.fatal = fatal;
  row.ventilation = ventilation;
  return row;
}

constexpr RuleRow flag_row(std::string_view key, RuleScope scope, Severity severity,
                           std::uint16_t bit, RuleTiming timing, std::uint8_t fact,
                           std::string_view condition) {
  return RuleRow{key,   scope, severity, Direction::high, bit, nullptr, nullptr, timing, false,
                 false, false, fact,     condition,       "",  0,       ""};
}

// Battery voltage band compensated to 25 °C; temperature tiers; ΔT to ambient; resistance over
// the learned baseline; SOH.
const std::array kBatteryRules{
    battery_row(
        "battery_voltage_high", Severity::alarm, Direction::high, model::kBatteryVoltageHigh,
        [](const S& s) { return s.limits.battery.voltage_high_per_cell_V * s.cells_per_battery; },
        [](const S& s) {
          const auto& b = s.limits.battery;
          return (b.voltage_high_per_cell_V - b.voltage_hysteresis_per_cell_V) *
                 s.cells_per_battery;
        },
        kFactVoltageForHigh, "voltage", "V", 3, "high limit"),
    battery_row(
        "battery_voltage_low", Severity::alarm, Direction::low, model::kBatteryVoltageLow,
        [](const S& s) { return s.limits.battery.voltage_low_per_cell_V * s.cells_per_battery; },
        [](const S& s) {
          const auto& b = s.limits.battery;
          return (b.voltage_low_per_cell_V + b.voltage_hysteresis_per_cell_V) * s.cells_per_battery;
        },
        kFactVoltageForLow, "voltage", "V", 3, "low limit"),
    with(battery_row(
             "battery_temperature_warning", Severity::warning, Direction::high,
             model::kBatteryTemperatureHigh,
             [](const S& s) { return s.limits.battery.temperature_warning_C; },
             [](const S& s) {
               return s.limits.battery.temperature_warning_C -
                      s.limits.battery.temperature_hysteresis_C;
             },
             kFactTemperature, "temperature", "°C", 1, "warning limit"),
         RuleTiming::analog, false, false, true),
    with(battery_row(
             "battery_temperature_alarm", Severity::alarm, Direction::high,
             model::kBatteryTemperatureHigh,
             [](const S& s) { return s.limits.battery.temperature_alarm_C; },
             [](const S& s) {
               return s.limits.battery.temperature_alarm_C -
                      s.limits.battery.temperature_hysteresis_C;
             },
             kFactTemperature, "temperature", "°C", 1, "alarm limit"),
         RuleTiming::analog, false, false, true),
    with(battery_row(
             "battery_temperature_trip", Severity::trip, Direction::high,
             model::kBatteryTemperatureHigh,
             [](const S& s) { return s.limits.battery.temperature_trip_C; },
             [](const S& s) {
               return s.limits.battery.temperature_trip_C -
                      s.limits.battery.temperature_hysteresis_C;
             },
             kFactTemperature, "temperature", "°C", 1, "trip limit"),
         RuleTiming::analog, true, false, true),
    with(battery_row(
             "battery_temperature_fatal", Severity::trip, Direction::high,
             model::kBatteryTemperatureHigh,
             [](const S& s) { return s.limits.battery.temperature_fatal_C; },
             [](const S& s) {
               return s.limits.battery.temperature_fatal_C -
                      s.limits.battery.temperature_hysteresis_C;
             },
             kFactTemperature, "temperature", "°C", 1, "fatal limit"),
         RuleTiming::analog, true, true, true),
    with(flag_row("battery_temperature_rising_past_trip", RuleScope::battery, Severity::trip,
                  model::kBatteryTemperatureHigh, RuleTiming::immediate, kFactRisingPastTrip,
                  "temperature above its trip limit and still rising"),
         RuleTiming::immediate, true, true, true),
    with(battery_row(
             "battery_delta_t_ambient", Severity::alarm, Direction::high,
             model::kBatteryDeltaTAmbient,
             [](const S& s) { return s.limits.battery.delta_t_ambient_K; },
             [](const S& s) {
               return s.limits.battery.delta_t_ambient_K - s.limits.battery.delta_t_hysteresis_K;
             },
             kFactDeltaTAmbient, "temperature above ambient", "K", 1, "limit"),
         RuleTiming::analog, false, false, true),
    battery_row(
        "battery_resistance_warning", Severity::warning, Direction::high,
        model::kBatteryResistanceWarning,
        [](const S& s) { return s.limits.battery.resistance_warning_pct; },
        [](const S& s) {
          return s.limits.battery.resistance_warning_pct -
                 s.limits.battery.resistance_hysteresis_pct;
        },
        kFactResistanceRise, "resistance over its baseline", "%", 1, "warning limit"),
    battery_row(
        "battery_resistance_alarm", Severity::alarm, Direction::high,
        model::kBatteryResistanceAlarm,
        [](const S& s) { return s.limits.battery.resistance_alarm_pct; },
        [](const S& s) {
          return s.limits.battery.resistance_alarm_pct - s.limits.battery.resistance_hysteresis_pct;
        },
        kFactResistanceRise, "resistance over its baseline", "%", 1, "alarm limit"),
    flag_row("battery_comm_lost", RuleScope::battery, Severity::alarm, model::kBatteryCommLost,
             RuleTiming::comm_lost, kFactBatteryCommLost, "sensor not answering"),
    battery_row(
        "battery_soh_low", Severity::warning, Direction::low, model::kBatterySohLow,
        [](const S& s) { return s.limits.battery.soh_low_pct; },
        [](const S& s) {
          return s.limits.battery.soh_low_pct + s.limits.battery.soh_hysteresis_pct;
        },
        kFactSoh, "state of health", "%", 0, "low limit"),
};

constexpr RuleRow string_row(std::string_view key, Severity severity, Direction direction,
                             std::uint16_t bit, LimitOf limit, LimitOf reset, StringFact fact,
                             std::string_view quantity, std::string_view unit, int decimals,
                             std::string_view limit_name) {
  auto row = battery_row(key, severity, direction, bit, limit, reset, kFactVoltageForHigh, quantity,
                         unit, decimals, limit_name);
  row.scope = RuleScope::string;
  row.fact = fact;
  return row;
}

const std::array kStringRules{
    string_row(
        "string_voltage_high", Severity::alarm, Direction::high, model::kStringVoltageHigh,
        [](const S& s) { return s.limits.string.voltage_high_per_cell_V * s.cells_in_string; },
        [](const S& s) {
          const auto& l = s.limits.string;
          return (l.voltage_high_per_cell_V - l.voltage_hysteresis_per_cell_V) * s.cells_in_string;
        },
        kFactStringVoltage, "voltage", "V", 2, "high limit"),
    string_row(
        "string_voltage_low", Severity::alarm, Direction::low, model::kStringVoltageLow,
        [](const S& s) { return s.limits.string.voltage_low_per_cell_V * s.cells_in_string; },
        [](const S& s) {
          const auto& l = s.limits.string;
          return (l.voltage_low_per_cell_V + l.voltage_hysteresis_per_cell_V) * s.cells_in_string;
        },
        kFactStringVoltage, "voltage", "V", 2, "low limit"),
    string_row(
        "string_current_high", Severity::alarm, Direction::high, model::kStringCurrentHigh,
        [](const S& s) { return s.limits.string.charge_current_high_C * s.capacity_Ah; },
        [](const S& s) {
          const auto& l = s.limits.string;
          return (l.charge_current_high_C - l.current_hysteresis_C) * s.capacity_Ah;
        },
        kFactStringCurrent, "charging current", "A", 2, "high limit"),
    string_row(
        "string_current_low", Severity::alarm, Direction::low, model::kStringCurrentLow,
        [](const S& s) { return -s.limits.string.discharge_current_high_C * s.capacity_Ah; },
        [](const S& s) {
          const auto& l = s.limits.string;
          return -(l.discharge_current_high_C - l.current_hysteresis_C) * s.capacity_Ah;
        },
        kFactStringCurrent, "current", "A", 2, "discharge limit"),
    string_row(
        "string_insulation_warning", Severity::warning, Direction::low, model::kStringInsulationLow,
        [](const S& s) { return s.limits.string.insulation_warning_ohm_per_V; },
        [](const S& s) {
          return s.limits.string.insulation_warning_ohm_per_V *
                 s.limits.string.insulation_reset_factor;
        },
        kFactInsulation, "insulation resistance", "Ω/V", 0, "warning limit"),
    string_row(
        "string_insulation_alarm", Severity::alarm, Direction::low, model::kStringInsulationLow,
        [](const S& s) { return s.limits.string.insulation_alarm_ohm_per_V; },
        [](const S& s) {
          return s.limits.string.insulation_alarm_ohm_per_V *
                 s.limits.string.insulation_reset_factor;
        },
        kFactInsulation, "insulation resistance", "Ω/V", 0, "alarm limit"),
    with(flag_row("string_thermal_runaway", RuleScope::string, Severity::trip,
                  model::kStringThermalRunaway, RuleTiming::runaway_hold, kFactThermalRunaway,
                  "thermal runaway: a battery's temperature above ambient rising with the float "
                  "current"),
         RuleTiming::runaway_hold, true, true, true),
    flag_row("string_current_sensor_invalid", RuleScope::string, Severity::alarm,
             model::kStringCurrentSensorDisconnected, RuleTiming::comm_lost,
             kFactCurrentSensorInvalid, "current sensor disconnected or invalid"),
    flag_row("string_comm_lost", RuleScope::string, Severity::alarm, model::kStringCommLost,
             RuleTiming::comm_lost, kFactStringCommLost, "string or current sensor not answering"),
    flag_row("string_relay_mismatch", RuleScope::string, Severity::alarm,
             model::kStringRelayMismatch, RuleTiming::immediate, kFactRelayMismatch,
             "contactor feedback differs from the command"),
    string_row(
        "string_soc_low", Severity::warning, Direction::low, model::kStringSocLow,
        [](const S& s) { return s.limits.string.soc_low_pct; },
        [](const S& s) { return s.limits.string.soc_low_pct + s.limits.string.soc_hysteresis_pct; },
        kFactStringSoc, "state of charge", "%", 0, "low limit"),
};

}  // namespace

std::span<const RuleRow> battery_rule_table() {
  return kBatteryRules;
}
std::span<const RuleRow> string_rule_table() {
  return kStringRules;
}

std::size_t row_reading(std::span<const RuleRow> rows, std::uint8_t fact) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].fact == fact) return i;
  }
  return rows.size();
}

std::shared_ptr<const AlarmRuleConfig> flag_config(std::string name, Severity severity,
                                                   std::int64_t on_delay_ms,
                                                   std::int64_t off_delay_ms) {
  auto c = std::make_shared<AlarmRuleConfig>();
  c->name = std::move(name);
  c->severity = severity;
  c->direction = Direction::high;
  c->limit = 0.5;
  c->reset = 0.5;
  c->boolean_condition = true;
  c->on_delay_ms = on_delay_ms;
  c->off_delay_ms = off_delay_ms;
  return c;
}

std::shared_ptr<const AlarmRuleConfig> rule_config(const RuleRow& row, const RuleScale& scale,
                                                   const EngineConfig& config) {
  const bool battery = row.scope == RuleScope::battery;
  std::shared_ptr<AlarmRuleConfig> c;
  switch (row.timing) {
    case RuleTiming::analog:
      c = std::make_shared<AlarmRuleConfig>();
      c->name = std::string(row.key);
      c->severity = row.severity;
      c->direction = row.direction;
      c->limit = row.limit(scale);
      c->reset = row.reset(scale);
      c->debounce_count = config.debounce_count;
      c->on_delay_ms = config.analog_on_delay_ms;
      c->off_delay_ms = config.analog_off_delay_ms;
      break;
    case RuleTiming::comm_lost:
      c = std::const_pointer_cast<AlarmRuleConfig>(
          flag_config(std::string(row.key), row.severity,
                      battery ? scale.limits.battery.comm_lost_delay_ms
                              : scale.limits.string.comm_lost_delay_ms,
                      0));
      break;
    case RuleTiming::runaway_hold:
      c = std::const_pointer_cast<AlarmRuleConfig>(
          flag_config(std::string(row.key), row.severity, scale.limits.string.runaway_hold_ms, 0));
      break;
    case RuleTiming::immediate:
      c = std::const_pointer_cast<AlarmRuleConfig>(
          flag_config(std::string(row.key), row.severity, 0, 0));
      break;
  }
  c->latching = row.latch && config.latch_trip_alarms;
  return c;
}

}  // namespace btms::engine
