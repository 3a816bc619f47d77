// The settings document (JSON, also the shape the site file's [limits] tables are turned
// into): every field type- and range-checked, then the limits checked against each other.
#include <cmath>
#include <string>

#include "engine/config_fields_detail.hpp"
#include "model/config/config_parser.hpp"

namespace btms::engine::config_detail {

using nlohmann::json;

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

// "per_string": {"3": {...} | null} over `out`.
void read_per_string(const json& value, const model::Site* site, EngineConfig& out,
                     std::vector<Problem>& problems) {
  if (!value.is_object()) {
    problems.push_back({"per_string", "expected an object keyed by string id"});
    return;
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
}

// {"relay": "mc:5", "trigger": "unacknowledged"}; nullopt (problems added) when bad.
std::optional<AlarmOutput> read_alarm_output(const json& o, const std::string& path,
                                             std::vector<Problem>& problems) {
  if (!o.is_object()) {
    problems.push_back({path, "expected an object {\"relay\": \"mc:5\", \"trigger\": ...}"});
    return std::nullopt;
  }
  AlarmOutput ao;
  bool ok = true;
  for (const auto& [name, v] : o.items()) {
    if (name == "relay") {
      const auto point = v.is_string() ? model::parse_io_point(v.get<std::string>()) : std::nullopt;
      if (!point) {
        problems.push_back({path + ".relay", "expected \"mc:K\" or \"lcJ:K\""});
        ok = false;
      } else {
        ao.relay = *point;
      }
    } else if (name == "trigger") {
      if (!v.is_string() || !alarm_output_trigger_from_string(v.get<std::string>(), ao.trigger)) {
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
  for (const char* required : {"relay", "trigger"}) {
    if (!o.contains(required)) {
      problems.push_back({path + "." + required, "missing"});
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return ao;
}

void read_alarm_outputs(const json& value, EngineConfig& out, std::vector<Problem>& problems) {
  if (!value.is_array()) {
    problems.push_back({"alarm_outputs", "expected an array"});
    return;
  }
  out.alarm_outputs.clear();
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (const auto ao = read_alarm_output(value[i], "alarm_outputs." + std::to_string(i), problems))
      out.alarm_outputs.push_back(*ao);
  }
}

void read_equalization(const json& value, EngineConfig& out, std::vector<Problem>& problems) {
  if (!value.is_object()) {
    problems.push_back({"equalization", "expected an object"});
    return;
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
      read_per_string(value, site, out, problems);
    } else if (key == "alarm_outputs") {
      read_alarm_outputs(value, out, problems);
    } else if (key == "equalization") {
      read_equalization(value, out, problems);
    } else if (const auto* e = find_entry(key);
               e == nullptr || e->field.per_string || key.find('.') != std::string::npos) {
      problems.push_back({key, "unknown field"});
    } else if (const auto x = read_value(*e, value, key, problems)) {
      e->access.set_top(out, *x);
    }
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

}  // namespace btms::engine::config_detail
