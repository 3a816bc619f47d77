#include "model/battery_rating.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace btms::model {

namespace {

// Peukert exponent by chemistry (first approximation; the virtual plant's constant-current fit
// replaces it).
double peukert_exponent(Chemistry chemistry) {
  switch (chemistry) {
    case Chemistry::vrla_agm:
      return 1.10;
    case Chemistry::vrla_gel:
      return 1.17;
    default:
      return 1.25;
  }
}

// Capacity changes by about 0.6 %/K around 25 °C (IEEE 485 temperature correction).
double temperature_factor(double temperature_C) {
  return std::clamp(1.0 + 0.006 * (temperature_C - 25.0), 0.5, 1.15);
}

}  // namespace

double capacity_at_rate_Ah(const BatteryType& type, double current_A, double temperature_C) {
  const double ten_hour_A = type.capacity_Ah / 10.0;
  double capacity_Ah = type.capacity_Ah * temperature_factor(temperature_C);
  if (current_A > ten_hour_A) {
    capacity_Ah *= std::pow(ten_hour_A / current_A, peukert_exponent(type.chemistry) - 1.0);
  }
  return capacity_Ah;
}

double runtime_to_end_voltage_s(const BatteryType& type, double current_A, double temperature_C,
                                double soc_fraction) {
  if (!(current_A > 0.0)) return std::numeric_limits<double>::infinity();
  const double soc = std::clamp(soc_fraction, 0.0, 1.0);
  return 3600.0 * soc * capacity_at_rate_Ah(type, current_A, temperature_C) / current_A;
}

}  // namespace btms::model
