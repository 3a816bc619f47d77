// Scenarios: timed fault and operating events applied to a running virtual plant, read from
// TOML. One [[event]] table per event, in time order:
//
//   [[event]]
//   at_s = 120              # simulated seconds since the plant started, >= 0, non-decreasing
//   type = "mains_fail"     # see ScenarioEventKind
//   ups = 1
//
// Keys per type: mains_fail / mains_restore {ups}; resistance_rise {string, position, factor};
// thermal_runaway {string, position}; open_battery {string, position};
// insulation_fault {string, pos_kOhm, neg_kOhm}; sensor_silent {string, position, silent = true};
// bus_noise {bus, percent}; input_change {point = "mc:5" | "lc2:3", value = true};
// relay_welded {string, welded = true}.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/topology.hpp"

namespace btms::plant {

enum class ScenarioEventKind {
  mains_fail,
  mains_restore,
  resistance_rise,
  thermal_runaway,
  open_battery,
  insulation_fault,
  sensor_silent,
  bus_noise,
  input_change,
  relay_welded,
};

struct ScenarioEvent {
  double at_s = 0.0;
  ScenarioEventKind kind = ScenarioEventKind::mains_fail;
  int ups = 0;
  int string = 0;
  int position = 0;
  double factor = 1.0;    // resistance_rise
  double pos_kOhm = 0.0;  // insulation_fault
  double neg_kOhm = 0.0;
  std::string bus;  // bus_noise
  double percent = 0.0;
  model::IoPoint point;  // input_change
  bool flag = true;      // sensor_silent: silent; input_change: value; relay_welded: welded
  int line = 0;          // where it was defined
};

struct Scenario {
  std::vector<ScenarioEvent> events;  // in time order
};

struct ScenarioError {
  std::string file;
  int line = 0;
  std::string reason;
};

struct ScenarioResult {
  std::optional<Scenario> scenario;  // set only when there are no errors
  std::vector<ScenarioError> errors;
  bool ok() const { return errors.empty(); }
};

ScenarioResult parse_scenario_string(std::string_view toml_text, const model::Site& site,
                                     const std::string& source_name = "<scenario>");
ScenarioResult parse_scenario_file(const std::string& path, const model::Site& site);

}  // namespace btms::plant
