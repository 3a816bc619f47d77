#include "engine/config_fields.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "model/config/config_parser.hpp"

namespace btms::engine {

using nlohmann::json;

namespace {

// How one field is read and written: limit-set fields work on a LimitSet, the others on the
// EngineConfig. Every value travels as a double (integers and flags included).
struct Access {
  std::function<double(const LimitSet&)> get_limit;
  std::function<void(LimitSet&, double)> set_limit;
  std::function<double(const EngineConfig&)> get_top;
  std::function<void(EngineConfig&, double)> set_top;
};

struct Entry {
  ConfigField field;
  Access access;
};

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

const std::vector<Entry>& entries() {
  using B = BatteryLimits;
  using S = StringLimits;
  using E = EngineConfig;
  using Q = VoltageEqualizationConfig;
  static const std::vector<Entry> table = {
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
      {limit("string.comm_lost_delay_ms", "ms", 0.0, 3600e3,
             "A string sensor silent this long: comm-lost alarm", "integer"),
       string(&S::comm_lost_delay_ms)},

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
  };
  return table;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// A problem and where it is: path like "per_string.3.battery.temperature_alarm_C".
struct Problem {
  std::string path;
  std::string reason;
};

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

const Entry* find_entry(const std::string& name) {
  for (const auto& e : entries()) {
    if (e.field.name == name) return &e;
  }
  return nullptr;
}

// Reads one value of a field from JSON: type and range checked. nullopt (problem added) if bad.
std::optional<double> read_value(const Entry& e, const json& v, const std::string& path,
                                 std::vector<Problem>& problems) {
  double x = 0.0;
  if (e.field.type == "boolean") {
    if (!v.is_boolean()) {
      problems.push_back({path, "expected true or false"});
      return std::nullopt;
    }
    return v.get<bool>() ? 1.0 : 0.0;
  }
  if (!v.is_number()) {
    problems.push_back({path, "expected a number"});
    return std::nullopt;
  }
  x = v.get<double>();
  if (e.field.type == "integer" && (!std::isfinite(x) || std::floor(x) != x)) {
    problems.push_back({path, number_text(x) + " is not a whole number"});
    return std::nullopt;
  }
  if (!std::isfinite(x)) {
    problems.push_back({path, "not a finite number"});
    return std::nullopt;
  }
  if (x < e.field.min) {
    problems.push_back(
        {path, number_text(x) + " is below the minimum " + number_text(e.field.min)});
    return std::nullopt;
  }
  if (x > e.field.max) {
    problems.push_back(
        {path, number_text(x) + " is above the maximum " + number_text(e.field.max)});
    return std::nullopt;
  }
  return x;
}

// {"battery": {...}, "string": {...}} over `set`.
void read_limit_set(const json& doc, const std::string& path, LimitSet& set,
                    std::vector<Problem>& problems) {
  if (!doc.is_object()) {
    problems.push_back({path, "expected an object"});
    return;
  }
  for (const auto& [group, body] : doc.items()) {
    const auto gpath = join(path, group);
    if (group != "battery" && group != "string") {
      problems.push_back({gpath, "unknown field"});
      continue;
    }
    if (!body.is_object()) {
      problems.push_back({gpath, "expected an object"});
      continue;
    }
    for (const auto& [name, value] : body.items()) {
      const auto* e = find_entry(group + "." + name);
      const auto fpath = join(gpath, name);
      if (e == nullptr) {
        problems.push_back({fpath, "unknown field"});
        continue;
      }
      if (const auto x = read_value(*e, value, fpath, problems)) e->access.set_limit(set, *x);
    }
  }
}

// Warning below alarm below trip, resets on the right side, the two sides of a band apart.
void check_consistency(const LimitSet& l, const std::string& path, std::vector<Problem>& problems) {
  const auto& b = l.battery;
  const auto& s = l.string;
  const auto p = [&](const std::string& field, std::string reason) {
    problems.push_back({join(path, field), std::move(reason)});
  };
  if (!(b.temperature_warning_C < b.temperature_alarm_C &&
        b.temperature_alarm_C < b.temperature_trip_C)) {
    p("battery.temperature_alarm_C",
      "must lie between temperature_warning_C (" + number_text(b.temperature_warning_C) +
          ") and temperature_trip_C (" + number_text(b.temperature_trip_C) + ")");
  }
  if (!(b.temperature_trip_C < b.temperature_fatal_C)) {
    p("battery.temperature_fatal_C",
      "must be above temperature_trip_C (" + number_text(b.temperature_trip_C) + ")");
  }
  if (!(b.voltage_always_low_per_cell_V < b.voltage_low_per_cell_V &&
        b.voltage_high_per_cell_V < b.voltage_always_high_per_cell_V)) {
    p("battery.voltage_always_low_per_cell_V",
      "the always-judged band must lie outside voltage_low/high_per_cell_V");
  }
  if (!(b.resistance_warning_pct < b.resistance_alarm_pct)) {
    p("battery.resistance_warning_pct",
      "must be below resistance_alarm_pct (" + number_text(b.resistance_alarm_pct) + ")");
  }
  if (b.resistance_hysteresis_pct >= b.resistance_warning_pct) {
    p("battery.resistance_hysteresis_pct",
      "must be below resistance_warning_pct: the warning "
      "would never clear");
  }
  if (b.voltage_high_per_cell_V - b.voltage_hysteresis_per_cell_V <=
      b.voltage_low_per_cell_V + b.voltage_hysteresis_per_cell_V) {
    p("battery.voltage_low_per_cell_V",
      "the voltage band (low + hysteresis .. high − hysteresis) is empty");
  }
  if (b.delta_t_hysteresis_K >= b.delta_t_ambient_K) {
    p("battery.delta_t_hysteresis_K", "must be below delta_t_ambient_K: it would never clear");
  }
  if (b.soh_low_pct + b.soh_hysteresis_pct > 100.0) {
    p("battery.soh_hysteresis_pct",
      "soh_low_pct + soh_hysteresis_pct is above 100 %: the "
      "warning would never clear");
  }
  if (s.voltage_high_per_cell_V - s.voltage_hysteresis_per_cell_V <=
      s.voltage_low_per_cell_V + s.voltage_hysteresis_per_cell_V) {
    p("string.voltage_low_per_cell_V",
      "the voltage band (low + hysteresis .. high − hysteresis) is empty");
  }
  if (s.current_hysteresis_C >= s.charge_current_high_C) {
    p("string.current_hysteresis_C", "must be below charge_current_high_C");
  }
  if (s.current_hysteresis_C >= s.discharge_current_high_C) {
    p("string.current_hysteresis_C", "must be below discharge_current_high_C");
  }
  if (!(s.insulation_alarm_ohm_per_V < s.insulation_warning_ohm_per_V)) {
    p("string.insulation_alarm_ohm_per_V", "must be below insulation_warning_ohm_per_V (" +
                                               number_text(s.insulation_warning_ohm_per_V) +
                                               "): a low limit warns first");
  }
  if (s.soc_low_pct + s.soc_hysteresis_pct > 100.0) {
    p("string.soc_hysteresis_pct",
      "soc_low_pct + soc_hysteresis_pct is above 100 %: the "
      "warning would never clear");
  }
  if (s.capacity_test_end_per_cell_V < s.voltage_low_per_cell_V) {
    p("string.capacity_test_end_per_cell_V",
      "below voltage_low_per_cell_V: the string would be alarmed before the test counts");
  }
}

void check_equalization(const VoltageEqualizationConfig& q, std::vector<Problem>& problems) {
  if (q.off_above_mean_per_cell_V > q.on_above_mean_per_cell_V) {
    problems.push_back(
        {"equalization.off_above_mean_per_cell_V", "must not be above on_above_mean_per_cell_V"});
  }
  if (q.off_above_lowest_per_cell_V > q.on_above_lowest_per_cell_V) {
    problems.push_back({"equalization.off_above_lowest_per_cell_V",
                        "must not be above on_above_lowest_per_cell_V"});
  }
}

std::optional<int> string_key(const std::string& key) {
  if (key.empty() || key.size() > 3) return std::nullopt;
  for (const char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const int id = std::stoi(key);
  if (id < 1 || id > model::kMaxStringsPerGateway) return std::nullopt;
  return id;
}

// The whole document over `base`; problems collected, result valid only when none.
EngineConfig apply_document(const json& doc, const EngineConfig& base, const model::Site* site,
                            std::vector<Problem>& problems) {
  EngineConfig out = base;
  if (!doc.is_object()) {
    problems.push_back({"", "expected an object"});
    return out;
  }
  // Defaults first: per-string sets that are new start from the new defaults.
  if (const auto it = doc.find("defaults"); it != doc.end()) {
    read_limit_set(*it, "defaults", out.defaults, problems);
  }
  for (const auto& [key, value] : doc.items()) {
    if (key == "defaults") continue;
    if (key == "per_string") {
      if (!value.is_object()) {
        problems.push_back({"per_string", "expected an object keyed by string id"});
        continue;
      }
      for (const auto& [sid, set] : value.items()) {
        const auto path = "per_string." + sid;
        const auto id = string_key(sid);
        if (!id) {
          problems.push_back(
              {path, "not a string id (1.." + std::to_string(model::kMaxStringsPerGateway) + ")"});
          continue;
        }
        if (site != nullptr && site->find_string(*id) == nullptr) {
          problems.push_back({path, "the site has no string " + sid});
          continue;
        }
        if (set.is_null()) {  // remove the override: the string follows the defaults again
          out.per_string.erase(*id);
          continue;
        }
        const auto existing = out.per_string.find(*id);
        LimitSet l = existing != out.per_string.end() ? existing->second : out.defaults;
        read_limit_set(set, path, l, problems);
        out.per_string[*id] = l;
      }
      continue;
    }
    if (key == "alarm_outputs") {
      if (!value.is_array()) {
        problems.push_back({"alarm_outputs", "expected an array"});
        continue;
      }
      out.alarm_outputs.clear();
      for (std::size_t i = 0; i < value.size(); ++i) {
        const auto path = "alarm_outputs." + std::to_string(i);
        const auto& o = value[i];
        if (!o.is_object()) {
          problems.push_back({path, "expected an object {\"relay\": \"mc:5\", \"trigger\": ...}"});
          continue;
        }
        AlarmOutput ao;
        bool ok = true;
        for (const auto& [name, v] : o.items()) {
          if (name == "relay") {
            const auto point =
                v.is_string() ? model::parse_io_point(v.get<std::string>()) : std::nullopt;
            if (!point) {
              problems.push_back({path + ".relay", "expected \"mc:K\" or \"lcJ:K\""});
              ok = false;
            } else {
              ao.relay = *point;
            }
          } else if (name == "trigger") {
            if (!v.is_string() ||
                !alarm_output_trigger_from_string(v.get<std::string>(), ao.trigger)) {
              problems.push_back({path + ".trigger",
                                  "expected common_alarm, common_warning, unacknowledged, trip "
                                  "or ventilation"});
              ok = false;
            }
          } else {
            problems.push_back({path + "." + name, "unknown field"});
            ok = false;
          }
        }
        if (!o.contains("relay")) {
          problems.push_back({path + ".relay", "missing"});
          ok = false;
        }
        if (!o.contains("trigger")) {
          problems.push_back({path + ".trigger", "missing"});
          ok = false;
        }
        if (ok) out.alarm_outputs.push_back(ao);
      }
      continue;
    }
    if (key == "equalization") {
      if (!value.is_object()) {
        problems.push_back({"equalization", "expected an object"});
        continue;
      }
      for (const auto& [name, v] : value.items()) {
        const auto path = "equalization." + name;
        if (name == "reference") {
          if (v == "mean") {
            out.equalization.reference = EqualizationReference::mean;
          } else if (v == "lowest") {
            out.equalization.reference = EqualizationReference::lowest;
          } else {
            problems.push_back({path, "expected \"mean\" or \"lowest\""});
          }
          continue;
        }
        const auto* e = find_entry(path);
        if (e == nullptr) {
          problems.push_back({path, "unknown field"});
          continue;
        }
        if (const auto x = read_value(*e, v, path, problems)) e->access.set_top(out, *x);
      }
      continue;
    }
    const auto* e = find_entry(key);
    if (e == nullptr || e->field.per_string || key.find('.') != std::string::npos) {
      problems.push_back({key, "unknown field"});
      continue;
    }
    if (const auto x = read_value(*e, value, key, problems)) e->access.set_top(out, *x);
  }
  check_consistency(out.defaults, "defaults", problems);
  for (const auto& [id, set] : out.per_string) {
    check_consistency(set, "per_string." + std::to_string(id), problems);
  }
  check_equalization(out.equalization, problems);
  if (site != nullptr) {
    for (auto& p : alarm_output_problems(out.alarm_outputs, *site)) {
      const auto colon = p.find(": ");
      problems.push_back({p.substr(0, colon), p.substr(colon + 2)});
    }
  }
  return out;
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

// ---- TOML: the [limits] tables become a JSON document of the same shape; every JSON path
// remembers the TOML key and line it came from, for the problem lines.
struct TomlOrigin {
  std::string key;
  int line = 0;
};

int line_of(const toml::node& node) {
  return std::max(1, static_cast<int>(node.source().begin.line));
}

std::optional<json> toml_value(const toml::node& node) {
  if (const auto* b = node.as_boolean()) return json(b->get());
  if (const auto* i = node.as_integer()) return json(i->get());
  if (const auto* f = node.as_floating_point()) return json(f->get());
  if (const auto* s = node.as_string()) return json(s->get());
  return std::nullopt;
}

void toml_scalars(const toml::table& table, const std::string& toml_path,
                  const std::string& json_path, json& into,
                  std::map<std::string, TomlOrigin>& origins, std::vector<Problem>& problems) {
  into = json::object();
  for (const auto& [k, node] : table) {
    const std::string name(k.str());
    const auto tpath = toml_path + "." + name;
    const auto jpath = join(json_path, name);
    origins[jpath] = {tpath, line_of(node)};
    if (const auto v = toml_value(node)) {
      into[name] = *v;
    } else {
      problems.push_back({jpath, "expected a value, not a table or array"});
    }
  }
}

// The TOML spelling of a JSON path: defaults.battery.x -> limits.battery.x, per_string.3.string.x
// -> limits.string_3.string.x, alarm_outputs.0.relay -> limits.alarm_output[1].relay, top-level
// fields -> limits.timing.x.
std::string toml_name(const std::string& path) {
  if (path.rfind("defaults.", 0) == 0) return "limits." + path.substr(9);
  if (path.rfind("per_string.", 0) == 0) return "limits.string_" + path.substr(11);
  if (path.rfind("equalization", 0) == 0) return "limits." + path;
  if (path.rfind("alarm_outputs.", 0) == 0) {
    const auto rest = path.substr(14);
    const auto dot = rest.find('.');
    const int i = std::atoi(rest.substr(0, dot).c_str());
    return "limits.alarm_output[" + std::to_string(i + 1) + "]" +
           (dot == std::string::npos ? "" : rest.substr(dot));
  }
  return "limits.timing." + path;
}

}  // namespace

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

EngineConfig config_from_toml_file(const std::string& path, const EngineConfig& base,
                                   const model::Site* site) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw ConfigValidationError(
        {path + ":" + std::to_string(std::max<int>(1, static_cast<int>(e.source().begin.line))) +
         ": " + std::string(e.description())});
  }
  const auto* limits_node = root.get("limits");
  if (limits_node == nullptr) return base;
  const auto at = [&](int line) { return path + ":" + std::to_string(line) + ": "; };
  const auto* limits = limits_node->as_table();
  if (limits == nullptr) {
    throw ConfigValidationError({at(line_of(*limits_node)) + "limits: expected a table"});
  }
  std::vector<Problem> problems;
  std::map<std::string, TomlOrigin> origins;  // JSON path -> TOML key and line
  json doc = json::object();
  for (const auto& [k, node] : *limits) {
    const std::string name(k.str());
    const auto tpath = "limits." + name;
    const int line = line_of(node);
    if (name == "battery" || name == "string") {
      origins["defaults." + name] = {tpath, line};
      const auto* t = node.as_table();
      if (t == nullptr) {
        problems.push_back({"defaults." + name, "expected a table"});
        continue;
      }
      toml_scalars(*t, tpath, "defaults." + name, doc["defaults"][name], origins, problems);
    } else if (name == "timing") {
      origins["timing"] = {tpath, line};
      const auto* t = node.as_table();
      if (t == nullptr) {
        problems.push_back({"timing", "expected a table"});
        continue;
      }
      json body;
      toml_scalars(*t, tpath, "", body, origins, problems);
      for (const auto& [field, value] : body.items()) {
        const auto* e = find_entry(field);
        if (e == nullptr || e->field.per_string || field.find('.') != std::string::npos) {
          problems.push_back({field, "unknown field"});
          continue;
        }
        doc[field] = value;
      }
    } else if (name == "equalization") {
      origins["equalization"] = {tpath, line};
      const auto* t = node.as_table();
      if (t == nullptr) {
        problems.push_back({"equalization", "expected a table"});
        continue;
      }
      toml_scalars(*t, tpath, "equalization", doc["equalization"], origins, problems);
    } else if (name == "alarm_output") {
      origins["alarm_outputs"] = {tpath, line};
      const auto* arr = node.as_array();
      if (arr == nullptr || !arr->is_array_of_tables()) {
        problems.push_back({"alarm_outputs", "expected [[limits.alarm_output]] tables"});
        continue;
      }
      doc["alarm_outputs"] = json::array();
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const auto& t = *arr->get(i)->as_table();
        const auto jpath = "alarm_outputs." + std::to_string(i);
        const auto tp = tpath + "[" + std::to_string(i + 1) + "]";
        origins[jpath] = {tp, line_of(t)};
        json body;
        toml_scalars(t, tp, jpath, body, origins, problems);
        doc["alarm_outputs"].push_back(body);
      }
    } else if (name.rfind("string_", 0) == 0) {
      const auto sid = name.substr(7);
      const auto jpath = "per_string." + sid;
      origins[jpath] = {tpath, line};
      const auto* t = node.as_table();
      if (t == nullptr) {
        problems.push_back({jpath, "expected a table"});
        continue;
      }
      json set = json::object();
      for (const auto& [gk, gnode] : *t) {
        const std::string group(gk.str());
        const auto jg = jpath + "." + group;
        origins[jg] = {tpath + "." + group, line_of(gnode)};
        const auto* gt = gnode.as_table();
        if (gt == nullptr) {
          problems.push_back({jg, "expected a table"});
          continue;
        }
        toml_scalars(*gt, tpath + "." + group, jg, set[group], origins, problems);
      }
      doc["per_string"][sid] = set;
    } else {
      origins[name] = {tpath, line};
      problems.push_back({name,
                          "unknown table (expected battery, string, timing, "
                          "equalization, string_N or alarm_output)"});
    }
  }
  EngineConfig out = apply_document(doc, base, site, problems);
  if (problems.empty()) return out;
  // Each problem at the line of its key, or of the nearest enclosing table.
  std::vector<std::pair<int, std::string>> lines;
  for (const auto& p : problems) {
    std::string key = p.path;
    TomlOrigin origin{"limits", line_of(*limits_node)};
    bool found = false;
    for (;;) {
      if (const auto it = origins.find(key); it != origins.end()) {
        origin = it->second;
        found = true;
        break;
      }
      const auto dot = key.rfind('.');
      if (dot == std::string::npos) break;
      key.resize(dot);
    }
    // Name the TOML key: the origin's key plus whatever part of the path lies below it.
    std::string toml_key = found ? origin.key + p.path.substr(key.size()) : toml_name(p.path);
    lines.emplace_back(origin.line, at(origin.line) + toml_key + ": " + p.reason);
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> text;
  for (auto& [line, t] : lines) text.push_back(std::move(t));
  throw ConfigValidationError(std::move(text));
}

}  // namespace btms::engine
