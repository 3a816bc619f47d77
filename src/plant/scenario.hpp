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
// relay_welded {string, welded = true};
// ups_load {ups, kW = 40 | current_A = 150} (the load the UPS draws from its strings while on
// battery: constant power, or constant current shared by the strings);
// ambient {th = 1, temperature_C, humidity_pct (optional: unchanged)} (holds the room there);
// heat_source {string, position, watts} (0 W removes it);
// age {years} (calendar ageing of every battery: resistance up, capacity down).
//
// An optional [expect] table states what the scenario must produce, and the scenario test
// (tests/system) runs every shipped scenario through plant -> bus -> engine and checks it:
//
//   [expect]
//   run_s = 14400                                   # simulated seconds to run
//   raised = ["string_thermal_runaway@string/2"]    # rule@source raised at least once
//   not_raised = ["battery_voltage_low"]            # rules never raised (any source)
//   tripped = [2]                                   # exactly these strings tripped
//   discharges = [1, 2]                             # a finished discharge recorded on each
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
  ups_load,
  ambient,
  heat_source,
  age,
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
  model::IoPoint point;   // input_change
  bool flag = true;       // sensor_silent: silent; input_change: value; relay_welded: welded
  double load_kW = -1.0;  // ups_load: constant power, or < 0 when a current is given
  double load_A = -1.0;   // ups_load: constant current
  int th = 0;             // ambient
  double temperature_C = 0.0;
  double humidity_pct = -1.0;  // < 0: unchanged
  double watts = 0.0;          // heat_source
  double years = 0.0;          // age
  int line = 0;                // where it was defined
};

// What a scenario must produce ([expect]); empty when the file states nothing.
struct ScenarioExpectation {
  bool present = false;
  double run_s = 0.0;
  std::vector<std::string> raised;      // "rule@source"
  std::vector<std::string> not_raised;  // rule names
  std::vector<int> tripped;             // string ids: exactly these trip
  std::vector<int> discharges;          // string ids with a finished discharge record
};

struct Scenario {
  std::vector<ScenarioEvent> events;  // in time order
  ScenarioExpectation expect;
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
