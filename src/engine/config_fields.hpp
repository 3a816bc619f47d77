// Every settable limit and timing of EngineConfig, described once: name, unit, range and
// meaning. The JSON codec (web settings API), the TOML loader (site file [limits] tables) and
// the settings page all work from this table, so a new limit is added in one place.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/engine_config.hpp"
#include "model/topology.hpp"

namespace btms::engine {

struct ConfigField {
  std::string name;  // path inside a limit set, "battery.temperature_alarm_C", or a top-level
                     // timing, "debounce_count"
  std::string unit;  // "V", "°C", "%", "ms", "" for counts and flags
  double min = 0.0;  // accepted range, inclusive
  double max = 0.0;
  bool per_string = true;  // may be overridden per string (limit-set fields)
  std::string description;
  std::string type = "number";  // "number", "integer" (whole numbers) or "boolean" (0/1)
};

const std::vector<ConfigField>& config_fields();

// Every problem found, one line each: "per_string.3.battery.temperature_alarm_C: 300 is above
// the maximum 100", "defaults.battery.colour: unknown field". Nothing is applied when thrown.
class ConfigValidationError : public std::runtime_error {
 public:
  explicit ConfigValidationError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// {"defaults": {"battery": {...}, "string": {...}}, "per_string": {"3": {"battery": {...},
//  "string": {...}}}, "debounce_count": 3, ..., "equalization_enabled": true,
//  "equalization": {"reference": "lowest", "max_temperature_C": 40, ...},
//  "alarm_outputs": [{"relay": "mc:5", "trigger": "unacknowledged"}]}
// (first_event_id is runtime state, not a setting: neither written nor read.)
nlohmann::json config_to_json(const EngineConfig& config);
// A whole or partial document applied over `base` (missing fields keep base's values; a
// per_string entry starts from base's override of that string, else from the new defaults;
// "per_string": {"3": null} removes the override; "alarm_outputs" replaces the whole list).
// Checks types, unknown fields, ranges and consistency (warning below alarm below trip, reset
// on the right side of its limit) and, with a site, the per-string ids and the alarm outputs'
// relays (engine_config.hpp alarm_output_problems). Throws ConfigValidationError.
EngineConfig config_from_json(const nlohmann::json& document, const EngineConfig& base,
                              const model::Site* site = nullptr);
// The same for the [limits] part of a site file, with "file:line: limits.key: reason" in the
// problems. Tables: [limits.battery], [limits.string] (defaults), [limits.timing] (the
// top-level numbers and flags: debounce_count, latch_trip_alarms, ...), [limits.equalization],
// [limits.string_3.battery] / [limits.string_3.string] (per string), and
// [[limits.alarm_output]] with relay = "mc:5" and trigger = "unacknowledged". Returns base
// unchanged when the file has no [limits]. A file that does not parse is one problem.
EngineConfig config_from_toml_file(const std::string& path, const EngineConfig& base,
                                   const model::Site* site = nullptr);

}  // namespace btms::engine
