#include "plant/scenario.hpp"

#include <toml++/toml.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace btms::plant {

namespace {

const std::map<std::string, ScenarioEventKind, std::less<>>& kinds() {
  using enum ScenarioEventKind;
  static const std::map<std::string, ScenarioEventKind, std::less<>> k{
      {"mains_fail", mains_fail},
      {"mains_restore", mains_restore},
      {"resistance_rise", resistance_rise},
      {"thermal_runaway", thermal_runaway},
      {"open_battery", open_battery},
      {"insulation_fault", insulation_fault},
      {"sensor_silent", sensor_silent},
      {"bus_noise", bus_noise},
      {"input_change", input_change},
      {"relay_welded", relay_welded},
      {"ups_load", ups_load},
      {"ambient", ambient},
      {"heat_source", heat_source},
      {"age", age}};
  return k;
}

// Parses "mc:5" or "lc2:3".
std::optional<model::IoPoint> parse_point(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  const std::string module = text.substr(0, colon);
  model::IoPoint p;
  try {
    if (module == "mc") {
      p.lc = 0;
    } else if (module.rfind("lc", 0) == 0 && module.size() > 2) {
      p.lc = std::stoi(module.substr(2));
    } else {
      return std::nullopt;
    }
    p.index = std::stoi(text.substr(colon + 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return p;
}

class EventReader {
 public:
  EventReader(const toml::table& table, const model::Site& site, const std::string& file, int line,
              std::vector<ScenarioError>& errors)
      : t_(table), site_(site), file_(file), line_(line), errors_(errors) {}

  void fail(const std::string& reason) { errors_.push_back({file_, line_, reason}); }

  template <class T>
  std::optional<T> get(const char* key) {
    used_.insert(key);
    const auto node = t_[key];
    if (!node) {
      fail(std::string("missing '") + key + "'");
      return std::nullopt;
    }
    if constexpr (std::is_same_v<T, double>) {
      if (auto v = node.value<double>()) {  // accepts integers too
        if (std::isfinite(*v)) return v;
        fail(std::string("'") + key + "' must be a finite number");
        return std::nullopt;
      }
    } else {
      if (auto v = node.value_exact<T>()) return v;
    }
    fail(std::string("'") + key + "' has the wrong type");
    return std::nullopt;
  }
  template <class T>
  T get_or(const char* key, T fallback) {
    used_.insert(key);
    return t_.contains(key) ? get<T>(key).value_or(fallback) : fallback;
  }

  bool read_ups(ScenarioEvent& e) {
    const auto ups = get<std::int64_t>("ups");
    if (!ups) return false;
    if (site_.find_ups(static_cast<int>(*ups)) == nullptr) {
      fail("UPS " + std::to_string(*ups) + " does not exist");
      return false;
    }
    e.ups = static_cast<int>(*ups);
    return true;
  }

  // Reads `string` (and `position` if wanted) and checks they exist in the site.
  bool read_string(ScenarioEvent& e, bool with_position) {
    const auto id = get<std::int64_t>("string");
    if (!id) return false;
    const model::String* s = site_.find_string(static_cast<int>(*id));
    if (s == nullptr) {
      fail("string " + std::to_string(*id) + " does not exist");
      return false;
    }
    e.string = s->id;
    if (!with_position) return true;
    const auto pos = get<std::int64_t>("position");
    if (!pos) return false;
    if (*pos < 1 || *pos > s->batteries) {
      fail("string " + std::to_string(s->id) + " has no battery " + std::to_string(*pos));
      return false;
    }
    e.position = static_cast<int>(*pos);
    return true;
  }

  // A key of the event table that read() never looked at: a typo ("positon") or a key of
  // another event type would otherwise be ignored silently.
  bool unknown_keys() {
    bool found = false;
    for (const auto& [key, value] : t_) {
      if (!used_.contains(std::string(key.str()))) {
        fail("unknown key '" + std::string(key.str()) + "' in this event");
        found = true;
      }
    }
    return found;
  }

  std::optional<ScenarioEvent> read() {
    ScenarioEvent e;
    e.line = line_;
    const auto at = get<double>("at_s");
    const auto type = get<std::string>("type");
    if (!at || !type) return std::nullopt;
    if (*at < 0.0) {
      fail("negative time " + std::to_string(*at));
      return std::nullopt;
    }
    e.at_s = *at;
    const auto kind = kinds().find(*type);
    if (kind == kinds().end()) {
      fail("unknown event '" + *type + "'");
      return std::nullopt;
    }
    e.kind = kind->second;
    using enum ScenarioEventKind;
    switch (e.kind) {
      case mains_fail:
      case mains_restore:
        if (!read_ups(e)) return std::nullopt;
        break;
      case resistance_rise: {
        if (!read_string(e, true)) return std::nullopt;
        const auto factor = get<double>("factor");
        if (!factor) return std::nullopt;
        if (*factor <= 0.0) {
          fail("factor must be positive");
          return std::nullopt;
        }
        e.factor = *factor;
        break;
      }
      case thermal_runaway:
      case open_battery:
        if (!read_string(e, true)) return std::nullopt;
        break;
      case insulation_fault: {
        if (!read_string(e, false)) return std::nullopt;
        const auto pos = get<double>("pos_kOhm");
        const auto neg = get<double>("neg_kOhm");
        if (!pos || !neg) return std::nullopt;
        if (*pos <= 0.0 || *neg <= 0.0) {
          fail("insulation resistances must be positive");
          return std::nullopt;
        }
        e.pos_kOhm = *pos;
        e.neg_kOhm = *neg;
        break;
      }
      case sensor_silent:
        if (!read_string(e, true)) return std::nullopt;
        e.flag = get_or<bool>("silent", true);
        break;
      case bus_noise: {
        const auto bus = get<std::string>("bus");
        const auto percent = get<double>("percent");
        if (!bus || !percent) return std::nullopt;
        if (site_.find_bus(*bus) == nullptr) {
          fail("bus '" + *bus + "' does not exist");
          return std::nullopt;
        }
        if (*percent < 0.0 || *percent > 100.0) {
          fail("percent must be 0..100");
          return std::nullopt;
        }
        e.bus = *bus;
        e.percent = *percent;
        break;
      }
      case input_change: {
        const auto text = get<std::string>("point");
        if (!text) return std::nullopt;
        const auto point = parse_point(*text);
        if (!point) {
          fail("point '" + *text + "' is not like \"mc:5\" or \"lc2:3\"");
          return std::nullopt;
        }
        if (!site_.mc.present || point->lc < 0 || point->lc > site_.mc.lc_count ||
            point->index < 1 || point->index > model::kMcInputs) {
          fail("input " + *text + " does not exist");
          return std::nullopt;
        }
        e.point = *point;
        e.flag = get_or<bool>("value", true);
        break;
      }
      case relay_welded:
        if (!read_string(e, false)) return std::nullopt;
        e.flag = get_or<bool>("welded", true);
        break;
      case ups_load: {
        if (!read_ups(e)) return std::nullopt;
        const bool has_kW = t_.contains("kW");
        const bool has_A = t_.contains("current_A");
        if (has_kW == has_A) {
          fail("ups_load needs exactly one of 'kW' (constant power) or 'current_A'");
          return std::nullopt;
        }
        const auto value = get<double>(has_kW ? "kW" : "current_A");
        if (!value) return std::nullopt;
        if (*value < 0.0) {
          fail("the load must be >= 0");
          return std::nullopt;
        }
        (has_kW ? e.load_kW : e.load_A) = *value;
        break;
      }
      case ambient: {
        const auto th = get<std::int64_t>("th");
        const auto temperature = get<double>("temperature_C");
        if (!th || !temperature) return std::nullopt;
        bool known = *th == 0;
        for (const auto& sensor : site_.mc.th) known = known || sensor.index == *th;
        if (!known) {
          fail("ambient sensor " + std::to_string(*th) + " does not exist");
          return std::nullopt;
        }
        if (*temperature < -40.0 || *temperature > 80.0) {
          fail("temperature_C must be -40..80");
          return std::nullopt;
        }
        e.th = static_cast<int>(*th);
        e.temperature_C = *temperature;
        e.humidity_pct = get_or<double>("humidity_pct", -1.0);
        if (t_.contains("humidity_pct") && (e.humidity_pct < 0.0 || e.humidity_pct > 100.0)) {
          fail("humidity_pct must be 0..100");
          return std::nullopt;
        }
        break;
      }
      case heat_source: {
        if (!read_string(e, true)) return std::nullopt;
        const auto watts = get<double>("watts");
        if (!watts) return std::nullopt;
        if (*watts < 0.0 || *watts > 1000.0) {
          fail("watts must be 0..1000");
          return std::nullopt;
        }
        e.watts = *watts;
        break;
      }
      case age: {
        const auto years = get<double>("years");
        if (!years) return std::nullopt;
        if (*years <= 0.0 || *years > 30.0) {
          fail("years must be > 0 and <= 30");
          return std::nullopt;
        }
        e.years = *years;
        break;
      }
    }
    return e;
  }

 private:
  const toml::table& t_;
  const model::Site& site_;
  const std::string& file_;
  int line_;
  std::vector<ScenarioError>& errors_;
  std::set<std::string> used_;  // keys read() looked at
};

void read_expectation(toml::node_view<toml::node> node, const model::Site& site,
                      const std::string& file, ScenarioExpectation& expect,
                      std::vector<ScenarioError>& errors) {
  const int line = static_cast<int>(node.node()->source().begin.line);
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    errors.push_back({file, line, "'expect' must be a table ([expect])"});
    return;
  }
  expect.present = true;
  const auto fail = [&](const std::string& reason) { errors.push_back({file, line, reason}); };
  const auto strings = [&](const char* key, std::vector<std::string>& out) {
    const auto n = (*table)[key];
    if (!n) return;
    const toml::array* a = n.as_array();
    if (a == nullptr) return fail(std::string("expect.") + key + " must be an array of strings");
    for (const auto& v : *a) {
      if (const auto text = v.value<std::string>()) {
        out.push_back(*text);
      } else {
        fail(std::string("expect.") + key + " must be an array of strings");
      }
    }
  };
  const auto string_ids = [&](const char* key, std::vector<int>& out) {
    const auto n = (*table)[key];
    if (!n) return;
    const toml::array* a = n.as_array();
    if (a == nullptr) return fail(std::string("expect.") + key + " must be an array of string ids");
    for (const auto& v : *a) {
      const auto id = v.value<std::int64_t>();
      if (!id || site.find_string(static_cast<int>(*id)) == nullptr) {
        fail(std::string("expect.") + key + ": no such string");
        continue;
      }
      out.push_back(static_cast<int>(*id));
    }
  };
  const auto run = (*table)["run_s"].value<double>();
  if (!run || *run <= 0.0) {
    fail("expect.run_s (simulated seconds to run, > 0) is required");
  } else {
    expect.run_s = *run;
  }
  strings("raised", expect.raised);
  for (const auto& r : expect.raised) {
    if (r.find('@') == std::string::npos) fail("expect.raised: '" + r + "' is not rule@source");
  }
  strings("not_raised", expect.not_raised);
  string_ids("tripped", expect.tripped);
  string_ids("discharges", expect.discharges);
  for (const auto& [key, value] : *table) {
    static const char* const kKnown[] = {"run_s", "raised", "not_raised", "tripped", "discharges"};
    bool known = false;
    for (const char* k : kKnown) known = known || key.str() == k;
    if (!known) fail("unknown key 'expect." + std::string(key.str()) + "'");
  }
}

}  // namespace

ScenarioResult parse_scenario_string(std::string_view toml_text, const model::Site& site,
                                     const std::string& source_name) {
  ScenarioResult result;
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    result.errors.push_back(
        {source_name, static_cast<int>(e.source().begin.line), std::string(e.description())});
    return result;
  }
  Scenario scenario;
  if (const auto node = root["event"]; node && !node.is_array_of_tables()) {
    result.errors.push_back({source_name, static_cast<int>(node.node()->source().begin.line),
                             "'event' must be an array of tables ([[event]])"});
    return result;
  }
  double previous_s = 0.0;
  if (const toml::array* events = root["event"].as_array()) {
    for (const auto& node : *events) {
      if (!node.is_table()) {
        result.errors.push_back({source_name, static_cast<int>(node.source().begin.line),
                                 "'event' must be an array of tables ([[event]])"});
        continue;
      }
      const auto& table = *node.as_table();
      const int line = static_cast<int>(table.source().begin.line);
      EventReader reader(table, site, source_name, line, result.errors);
      auto event = reader.read();
      if (!event || reader.unknown_keys()) continue;
      if (event->at_s < previous_s) {
        reader.fail("time goes backwards: " + std::to_string(event->at_s) + " s after " +
                    std::to_string(previous_s) + " s");
        continue;
      }
      previous_s = event->at_s;
      scenario.events.push_back(std::move(*event));
    }
  }
  if (const auto node = root["expect"]) {
    read_expectation(node, site, source_name, scenario.expect, result.errors);
  }
  for (const auto& [key, value] : root) {
    if (key.str() == "event" && !value.is_array()) {
      result.errors.push_back({source_name, static_cast<int>(value.source().begin.line),
                               "'event' must be an array of tables ([[event]])"});
    } else if (key.str() != "event" && key.str() != "expect") {
      result.errors.push_back({source_name, static_cast<int>(value.source().begin.line),
                               "unknown key '" + std::string(key.str()) + "'"});
    }
  }
  if (result.errors.empty()) result.scenario = std::move(scenario);
  return result;
}

ScenarioResult parse_scenario_file(const std::string& path, const model::Site& site) {
  std::ifstream in(path);
  if (!in) {
    ScenarioResult result;
    result.errors.push_back({path, 0, "cannot open file"});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scenario_string(text.str(), site, path);
}

}  // namespace btms::plant
