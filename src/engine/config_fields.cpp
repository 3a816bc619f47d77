#include "engine/config_fields.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "engine/config_fields_detail.hpp"
#include "model/config/config_parser.hpp"

namespace btms::engine {

using nlohmann::json;

namespace config_detail {

template <typename T>
Access battery(T BatteryLimits::*member) {
  return {[member](const LimitSet& l) { return static_cast<double>(l.battery.*member); },
          [member](LimitSet& l, double v) { l.battery.*member = static_cast<T>(v); },
          {},
          {}};
}
template <typename T>
Access string(T StringLimits::*member) {
  return {[member](const LimitSet& l) { return static_cast<double>(l.string.*member); },
          [member](LimitSet& l, double v) { l.string.*member = static_cast<T>(v); },
          {},
          {}};
}
template <typename T>
Access top(T EngineConfig::*member) {
  return {{},
          {},
          [member](const EngineConfig& c) { return static_cast<double>(c.*member); },
          [member](EngineConfig& c, double v) {
            if constexpr (std::is_same_v<T, bool>) {
              c.*member = v != 0.0;
            } else {
              c.*member = static_cast<T>(v);
            }
          }};
}
template <typename T>
Access equalization(T VoltageEqualizationConfig::*member) {
  return {{},
          {},
          [member](const EngineConfig& c) { return static_cast<double>(c.equalization.*member); },
          [member](EngineConfig& c, double v) { c.equalization.*member = static_cast<T>(v); }};
}

constexpr double kDay_ms = 24.0 * 3600e3;

ConfigField limit(std::string name, std::string unit, double min, double max,
                  std::string description, std::string type = "number") {
  return ConfigField{std::move(name),        std::move(unit), min, max, true,
                     std::move(description), std::move(type)};
}
ConfigField global(std::string name, std::string unit, double min, double max,
                   std::string description, std::string type = "number") {
  return ConfigField{std::move(name),        std::move(unit), min, max, false,
                     std::move(description), std::move(type)};
}

// The limit set's battery fields.
void add_battery_entries(std::vector<Entry>& table) {
  using B = BatteryLimits;
  const Entry rows[] = {
      {limit("battery.voltage_high_per_cell_V", "V", 2.0, 2.7,
             "Battery voltage high, per cell at 25 °C"),
       battery(&B::voltage_high_per_cell_V)},
      {limit("battery.voltage_low_per_cell_V", "V", 1.6, 2.4,
             "Battery voltage low on float, per cell at 25 °C"),
       battery(&B::voltage_low_per_cell_V)},
      {limit("battery.voltage_hysteresis_per_cell_V", "V", 0.0, 0.2,
             "Battery voltage alarms clear this far inside their limit"),
       battery(&B::voltage_hysteresis_per_cell_V)},
      {limit("battery.temp_comp_per_cell_V_per_C", "V/°C", -0.01, 0.0,
             "Temperature compensation of the voltage band, per cell"),
       battery(&B::temp_comp_per_cell_V_per_C)},
      {limit("battery.temperature_warning_C", "°C", 0.0, 100.0, "Battery temperature warning"),
       battery(&B::temperature_warning_C)},
      {limit("battery.temperature_alarm_C", "°C", 0.0, 100.0, "Battery temperature alarm"),
       battery(&B::temperature_alarm_C)},
      {limit("battery.temperature_trip_C", "°C", 0.0, 100.0,
             "Battery temperature trip: opens the string"),
       battery(&B::temperature_trip_C)},
      {limit("battery.temperature_fatal_C", "°C", 0.0, 120.0,
             "Battery temperature fatal: opens even the last closed string of its UPS"),
       battery(&B::temperature_fatal_C)},
      {limit("battery.temperature_hysteresis_C", "°C", 0.0, 20.0,
             "Temperature alarms clear this far below their limit"),
       battery(&B::temperature_hysteresis_C)},
      {limit("battery.delta_t_ambient_K", "K", 1.0, 50.0,
             "Battery this far above its string's ambient: alarm"),
       battery(&B::delta_t_ambient_K)},
      {limit("battery.delta_t_hysteresis_K", "K", 0.0, 20.0, "ΔT alarm clears this far below"),
       battery(&B::delta_t_hysteresis_K)},
      {limit("battery.resistance_warning_pct", "%", 1.0, 500.0,
             "Internal resistance above the battery's own baseline: warning"),
       battery(&B::resistance_warning_pct)},
      {limit("battery.resistance_alarm_pct", "%", 1.0, 500.0,
             "Internal resistance above the battery's own baseline: alarm"),
       battery(&B::resistance_alarm_pct)},
      {limit("battery.resistance_hysteresis_pct", "%", 0.0, 100.0,
             "Resistance alarms clear this far below their limit"),
       battery(&B::resistance_hysteresis_pct)},
      {limit("battery.resistance_baseline_samples", "", 1.0, 1000.0,
             "Good readings averaged into the learned resistance baseline", "integer"),
       battery(&B::resistance_baseline_samples)},
      {limit("battery.soh_low_pct", "%", 0.0, 100.0, "Battery state of health low: warning"),
       battery(&B::soh_low_pct)},
      {limit("battery.soh_hysteresis_pct", "%", 0.0, 50.0, "SOH low clears this far above"),
       battery(&B::soh_hysteresis_pct)},
      {limit("battery.resistance_test_suppression_ms", "ms", 0.0, kDay_ms,
             "Float voltage alarms suppressed this long after a resistance test", "integer"),
       battery(&B::resistance_test_suppression_ms)},
      {limit("battery.resistance_test_min_interval_ms", "ms", 0.0, kDay_ms,
             "A new suppression window opens at most this often (one window per test)", "integer"),
       battery(&B::resistance_test_min_interval_ms)},
      {limit("battery.voltage_always_low_per_cell_V", "V", 1.5, 2.3,
             "Below this the voltage low alarm is judged even right after a resistance test"),
       battery(&B::voltage_always_low_per_cell_V)},
      {limit("battery.voltage_always_high_per_cell_V", "V", 2.2, 3.0,
             "Above this the voltage high alarm is judged even right after a resistance test"),
       battery(&B::voltage_always_high_per_cell_V)},
      {limit("battery.comm_lost_delay_ms", "ms", 0.0, 3600e3,
             "A battery sensor silent this long: comm-lost alarm", "integer"),
       battery(&B::comm_lost_delay_ms)},
  };
  table.insert(table.end(), std::begin(rows), std::end(rows));
}

// The limit set's string fields.
void add_string_entries(std::vector<Entry>& table) {
  using S = StringLimits;
  const Entry rows[] = {
      {limit("string.voltage_high_per_cell_V", "V", 2.0, 2.8, "String voltage high, per cell"),
       string(&S::voltage_high_per_cell_V)},
      {limit("string.voltage_low_per_cell_V", "V", 1.5, 2.3,
             "String voltage low (end of discharge), per cell"),
       string(&S::voltage_low_per_cell_V)},
      {limit("string.voltage_hysteresis_per_cell_V", "V", 0.0, 0.2,
             "String voltage alarms clear this far inside their limit"),
       string(&S::voltage_hysteresis_per_cell_V)},
      {limit("string.charge_current_high_C", "C10", 0.01, 2.0,
             "Charging current high, in A per Ah of C10"),
       string(&S::charge_current_high_C)},
      {limit("string.discharge_current_high_C", "C10", 0.1, 20.0,
             "Discharging harder than this: current low alarm, in A per Ah of C10"),
       string(&S::discharge_current_high_C)},
      {limit("string.current_hysteresis_C", "C10", 0.0, 1.0,
             "Current alarms clear this far inside their limit"),
       string(&S::current_hysteresis_C)},
      {limit("string.insulation_warning_ohm_per_V", "Ω/V", 1.0, 100000.0,
             "Insulation resistance low: warning"),
       string(&S::insulation_warning_ohm_per_V)},
      {limit("string.insulation_alarm_ohm_per_V", "Ω/V", 1.0, 100000.0,
             "Insulation resistance low: alarm"),
       string(&S::insulation_alarm_ohm_per_V)},
      {limit("string.insulation_reset_factor", "", 1.0, 5.0,
             "Insulation alarms clear at this multiple of their response value"),
       string(&S::insulation_reset_factor)},
      {limit("string.runaway_delta_t_K", "K", 1.0, 50.0,
             "Thermal runaway: battery this far above ambient (and rising, with float current)"),
       string(&S::runaway_delta_t_K)},
      {limit("string.runaway_rise_K_per_h", "K/h", 0.0, 1000.0,
             "Thermal runaway: ΔT rising at least this fast"),
       string(&S::runaway_rise_K_per_h)},
      {limit("string.runaway_rise_window_ms", "ms", 10e3, 24.0 * 3600e3,
             "Thermal runaway: the ΔT slope is taken over this window", "integer"),
       string(&S::runaway_rise_window_ms)},
      {limit("string.runaway_float_current_C", "C10", 0.0, 1.0,
             "Thermal runaway: charging current above this"),
       string(&S::runaway_float_current_C)},
      {limit("string.runaway_float_current_rise_factor", "", 1.0, 100.0,
             "Thermal runaway: float current above this multiple of the string's own baseline"),
       string(&S::runaway_float_current_rise_factor)},
      {limit("string.runaway_float_current_rise_C", "C10", 0.0, 1.0,
             "Thermal runaway: and at least this much above the baseline"),
       string(&S::runaway_float_current_rise_C)},
      {limit("string.runaway_float_baseline_ms", "ms", 60e3, kDay_ms,
             "Time constant of the learned float current baseline", "integer"),
       string(&S::runaway_float_baseline_ms)},
      {limit("string.runaway_current_filter_ms", "ms", 0.0, 3600e3,
             "String current filtered this long against sensor noise (runaway rule)", "integer"),
       string(&S::runaway_current_filter_ms)},
      {limit("string.runaway_hold_ms", "ms", 0.0, 3600e3,
             "Thermal runaway condition held this long: trip", "integer"),
       string(&S::runaway_hold_ms)},
      {limit("string.relay_mismatch_delay_ms", "ms", 0.0, 600e3,
             "Contactor feedback may lag its command this long", "integer"),
       string(&S::relay_mismatch_delay_ms)},
      {limit("string.soc_low_pct", "%", 0.0, 100.0, "String state of charge low: warning"),
       string(&S::soc_low_pct)},
      {limit("string.soc_hysteresis_pct", "%", 0.0, 50.0, "SOC low clears this far above"),
       string(&S::soc_hysteresis_pct)},
      {limit("string.capacity_test_end_per_cell_V", "V", 1.6, 2.0,
             "A discharge down to this measures the capacity"),
       string(&S::capacity_test_end_per_cell_V)},
      {limit("string.capacity_test_max_rate_C", "C10", 0.01, 5.0,
             "A discharge measures the capacity only at this average rate or slower"),
       string(&S::capacity_test_max_rate_C)},
      {limit("string.capacity_test_pass_pct", "%", 50.0, 100.0,
             "A capacity test passes at this % of the rated capacity or more"),
       string(&S::capacity_test_pass_pct)},
      {limit("string.comm_lost_delay_ms", "ms", 0.0, 3600e3,
             "A string sensor silent this long: comm-lost alarm", "integer"),
       string(&S::comm_lost_delay_ms)},
  };
  table.insert(table.end(), std::begin(rows), std::end(rows));
}

// Top-level timings, flags and the equalization settings.
void add_global_entries(std::vector<Entry>& table) {
  using E = EngineConfig;
  using Q = VoltageEqualizationConfig;
  const Entry rows[] = {
      {global("debounce_count", "", 1.0, 100.0,
              "Analog rules: consecutive good readings needed both ways", "integer"),
       top(&E::debounce_count)},
      {global("analog_on_delay_ms", "ms", 0.0, 3600e3, "Analog rules: on-delay", "integer"),
       top(&E::analog_on_delay_ms)},
      {global("analog_off_delay_ms", "ms", 0.0, 3600e3, "Analog rules: off-delay", "integer"),
       top(&E::analog_off_delay_ms)},
      {global("input_debounce_ms", "ms", 0.0, 600e3, "Digital inputs and the MC watchdog: debounce",
              "integer"),
       top(&E::input_debounce_ms)},
      {global("latch_trip_alarms", "", 0.0, 1.0, "Trip alarms stay until acknowledged", "boolean"),
       top(&E::latch_trip_alarms)},
      {global("runtime_low_min", "min", 0.0, 1440.0, "UPS runtime low alarm bit below this"),
       top(&E::runtime_low_min)},
      {global("equalization_enabled", "", 0.0, 1.0, "Equalization (balancing) on", "boolean"),
       top(&E::equalization_enabled)},
      {global("equalization.on_above_mean_per_cell_V", "V", 0.0, 0.2,
              "Reference mean: balance a battery this far above the string mean, per cell"),
       equalization(&Q::on_above_mean_per_cell_V)},
      {global("equalization.off_above_mean_per_cell_V", "V", 0.0, 0.2,
              "Reference mean: stop balancing below this, per cell"),
       equalization(&Q::off_above_mean_per_cell_V)},
      {global("equalization.on_above_lowest_per_cell_V", "V", 0.0, 0.2,
              "Reference lowest: balance a battery this far above the lowest, per cell"),
       equalization(&Q::on_above_lowest_per_cell_V)},
      {global("equalization.off_above_lowest_per_cell_V", "V", 0.0, 0.2,
              "Reference lowest: stop balancing below this, per cell"),
       equalization(&Q::off_above_lowest_per_cell_V)},
      {global("equalization.max_temperature_C", "°C", 0.0, 80.0,
              "No balancing while any battery of the string is warmer"),
       equalization(&Q::max_temperature_C)},
      {global("equalization.average_ms", "ms", 0.0, 3600e3,
              "Balancing decides on each battery's voltage averaged over this time constant",
              "integer"),
       equalization(&Q::average_ms)},
  };
  table.insert(table.end(), std::begin(rows), std::end(rows));
}

const std::vector<Entry>& entries() {
  static const std::vector<Entry> table = [] {
    std::vector<Entry> t;
    add_battery_entries(t);
    add_string_entries(t);
    add_global_entries(t);
    return t;
  }();
  return table;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

const Entry* find_entry(const std::string& name) {
  for (const auto& e : entries()) {
    if (e.field.name == name) return &e;
  }
  return nullptr;
}

json limit_set_json(const LimitSet& set) {
  json j = {{"battery", json::object()}, {"string", json::object()}};
  for (const auto& e : entries()) {
    if (!e.field.per_string) continue;
    const auto dot = e.field.name.find('.');
    const auto group = e.field.name.substr(0, dot);
    const auto name = e.field.name.substr(dot + 1);
    const double v = e.access.get_limit(set);
    if (e.field.type == "integer") {
      j[group][name] = static_cast<std::int64_t>(v);
    } else {
      j[group][name] = v;
    }
  }
  return j;
}

std::string format_problem(const Problem& p) {
  return p.path.empty() ? p.reason : p.path + ": " + p.reason;
}

}  // namespace config_detail

using namespace config_detail;

ConfigValidationError::ConfigValidationError(std::vector<std::string> problems)
    : std::runtime_error(problems.empty()
                             ? "invalid engine configuration"
                             : "invalid engine configuration: " + problems.front() +
                                   (problems.size() > 1
                                        ? " (and " + std::to_string(problems.size() - 1) + " more)"
                                        : "")),
      problems_(std::move(problems)) {}

const std::vector<ConfigField>& config_fields() {
  static const std::vector<ConfigField> fields = [] {
    std::vector<ConfigField> f;
    for (const auto& e : entries()) f.push_back(e.field);
    return f;
  }();
  return fields;
}

json config_to_json(const EngineConfig& config) {
  json j;
  j["defaults"] = limit_set_json(config.defaults);
  j["per_string"] = json::object();
  for (const auto& [id, set] : config.per_string) {
    j["per_string"][std::to_string(id)] = limit_set_json(set);
  }
  for (const auto& e : entries()) {
    if (e.field.per_string) continue;
    const double v = e.access.get_top(config);
    json value;
    if (e.field.type == "boolean") {
      value = v != 0.0;
    } else if (e.field.type == "integer") {
      value = static_cast<std::int64_t>(v);
    } else {
      value = v;
    }
    const auto dot = e.field.name.find('.');
    if (dot == std::string::npos) {
      j[e.field.name] = value;
    } else {
      j[e.field.name.substr(0, dot)][e.field.name.substr(dot + 1)] = value;
    }
  }
  j["equalization"]["reference"] =
      config.equalization.reference == EqualizationReference::mean ? "mean" : "lowest";
  j["alarm_outputs"] = json::array();
  for (const auto& o : config.alarm_outputs) {
    j["alarm_outputs"].push_back({{"relay", model::format_io_point(o.relay)},
                                  {"trigger", std::string(to_string(o.trigger))}});
  }
  return j;
}

EngineConfig config_from_json(const json& document, const EngineConfig& base,
                              const model::Site* site) {
  std::vector<Problem> problems;
  auto out = apply_document(document, base, site, problems);
  if (!problems.empty()) {
    std::vector<std::string> lines;
    for (const auto& p : problems) lines.push_back(format_problem(p));
    throw ConfigValidationError(std::move(lines));
  }
  return out;
}

}  // namespace btms::engine
