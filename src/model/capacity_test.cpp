#include "model/capacity_test.hpp"

#include <fmt/format.h>

#include "model/battery_rating.hpp"

namespace btms::model {

double capacity_at_c10_Ah(double ah_out, double average_current_A, const BatteryType& battery) {
  if (average_current_A <= 0.0 || battery.capacity_Ah <= 0.0) return ah_out;
  const double at_rate_Ah = capacity_at_rate_Ah(battery, average_current_A, 25.0);
  if (at_rate_Ah <= 0.0) return ah_out;
  return ah_out * battery.capacity_Ah / at_rate_Ah;
}

CapacityMeasurement measure_capacity(const DischargeRecord& r, const BatteryType& battery,
                                     int cells_in_string, const CapacityTestLimits& limits) {
  const auto no = [](std::string why) { return CapacityMeasurement{std::nullopt, std::move(why)}; };
  if (r.end_ms == 0) return no("still running");
  const double hours = static_cast<double>(r.end_ms - r.start_ms) / 3600e3;
  if (hours <= 0.0 || r.ah_out <= 0.0) return no("no charge was taken out");
  if (battery.capacity_Ah <= 0.0 || cells_in_string <= 0)
    return no("the string's rated capacity is not configured");
  if (r.soc_start_pct < limits.min_start_soc_pct)
    return no(fmt::format("it started at {:.1f} % state of charge, not full (at least {:.0f} %)",
                          r.soc_start_pct, limits.min_start_soc_pct));
  const double end_per_cell_V =
      r.min_string_voltage_V > 0.0 ? r.min_string_voltage_V / cells_in_string : 0.0;
  if (end_per_cell_V <= 0.0) return no("the string voltage was not read during it");
  if (end_per_cell_V > limits.end_per_cell_V)
    return no(fmt::format("it ended at {:.3f} V per cell, above the test's end voltage {:.2f} V",
                          end_per_cell_V, limits.end_per_cell_V));
  const double average_A = r.ah_out / hours;
  const double rate_C = average_A / battery.capacity_Ah;
  if (rate_C > limits.max_rate_C)
    return no(fmt::format(
        "it averaged {:.2f} C10, faster than a capacity test ({:.2f} C10 at most): the rating "
        "says little at such rates",
        rate_C, limits.max_rate_C));
  return {100.0 * capacity_at_c10_Ah(r.ah_out, average_A, battery) / battery.capacity_Ah, {}};
}

}  // namespace btms::model
