// One discharge of one string, as the engine detected and measured it. Written to the history
// store when the discharge ends (kept for the life of the site) and served by the API.
#pragma once

#include <cstdint>
#include <vector>

namespace btms::model {

struct DischargeRecord {
  int string_id = 0;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;  // 0 while running
  double ah_out = 0.0;
  double energy_out_kWh = 0.0;
  double min_string_voltage_V = 0.0;
  double peak_current_A = 0.0;                // largest discharge current seen (positive)
  std::vector<double> min_battery_voltage_V;  // [position - 1], 0 when never read
  int weakest_position = 0;                   // battery with the lowest minimum, 0 = unknown
  // Runtime predicted at the start from SOC and the first load, and the runtime actually had;
  // 0 when unknown. actual < predicted means the string delivered less than expected.
  double predicted_runtime_min = 0.0;
  double actual_runtime_min = 0.0;
  double soc_start_pct = 0.0;
  double soc_end_pct = 0.0;
  // Capacity at the C10 rate in % of rated that this discharge measured, when it was a capacity
  // test (model/capacity_test.hpp); 0 when it was not one.
  double measured_capacity_pct = 0.0;
};

}  // namespace btms::model
