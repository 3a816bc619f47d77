// Whether a discharge measured a string's capacity, and what it measured. A discharge is a
// capacity test (IEEE 450 / IEEE 1188 practice, IEC 60896-21 §6.3) only when the string started
// full, was discharged at a test rate (C10..C3; Peukert's correction is poor at the minutes-long
// UPS rates) and reached the end voltage; the Ah out are then scaled to the C10 rate by the
// blocks' rating (model/battery_rating.hpp) and compared with the rated C10 capacity. The same
// function decides for the engine (SOH, runtime) and explains the decision in the API, so the two
// never disagree.
#pragma once

#include <optional>
#include <string>

#include "model/discharge_record.hpp"
#include "model/topology.hpp"

namespace btms::model {

struct CapacityTestLimits {
  double end_per_cell_V = 1.80;     // the string must get down to this
  double max_rate_C = 0.25;         // average current at most this × C10
  double min_start_soc_pct = 95.0;  // started full (float before the test)
};

struct CapacityMeasurement {
  std::optional<double> capacity_pct;  // at the C10 rate, % of the rated C10 capacity
  std::string not_measured_because;    // for people, set when capacity_pct is empty
};

// Capacity at the C10 rate from a discharge of ah_out at an average current:
// ah_out × C10 / capacity_at_rate(I) at 25 °C (ah_out when the rate is unknown).
double capacity_at_c10_Ah(double ah_out, double average_current_A, const BatteryType& battery);

// A finished discharge (end_ms set) of a string of `cells_in_string` cells of `battery`.
CapacityMeasurement measure_capacity(const DischargeRecord& discharge, const BatteryType& battery,
                                     int cells_in_string, const CapacityTestLimits& limits);

}  // namespace btms::model
