#include "engine/string_facts.hpp"

#include <algorithm>
#include <cmath>

namespace btms::engine {

double RunawayWatch::rising_threshold_A(const StringLimits& l, double capacity_Ah) const {
  const double absolute_A = l.runaway_float_current_C * capacity_Ah;
  if (!baseline_A_) return absolute_A;
  const double base = std::max(0.0, *baseline_A_);
  const double relative_A = std::max(l.runaway_float_current_rise_factor * base,
                                     base + l.runaway_float_current_rise_C * capacity_Ah);
  return std::min(absolute_A, relative_A);
}

std::optional<bool> RunawayWatch::update(const Inputs& in, const StringLimits& l,
                                         std::int64_t now_ms) {
  if (!in.current_A) {
    last_ms_.reset();
    filtered_A_.reset();
    return std::nullopt;
  }
  const double dt_ms =
      last_ms_ && now_ms > *last_ms_ ? static_cast<double>(now_ms - *last_ms_) : 0.0;
  last_ms_ = now_ms;
  const auto follow = [dt_ms](std::optional<double>& avg, double value, std::int64_t tau_ms) {
    if (!avg || tau_ms <= 0) {
      avg = value;
    } else {
      *avg += (1.0 - std::exp(-dt_ms / static_cast<double>(tau_ms))) * (value - *avg);
    }
  };
  follow(filtered_A_, *in.current_A, l.runaway_current_filter_ms);
  // The float level is learned only while floating with every battery cool: a runaway's
  // rising current must not become the new normal.
  const bool learn =
      in.state == model::StringState::float_charge && !in.any_warm && *in.current_A >= 0.0;
  if (learn) follow(baseline_A_, *filtered_A_, l.runaway_float_baseline_ms);
  // The absolute limit judges the reading itself (no filter lag: the rule's hold already rides
  // out noise); the relative one, close to the float level, judges the filtered current.
  const bool rising = *in.current_A > l.runaway_float_current_C * in.capacity_Ah ||
                      *filtered_A_ > rising_threshold_A(l, in.capacity_Ah);
  return in.any_hot_and_rising && rising;
}

bool DischargeSuppression::update(model::StringState state, std::optional<double> v_string,
                                  double cells_in_string, double float_per_cell_V,
                                  double band_below_per_cell_V) {
  if (state == model::StringState::discharge) active_ = true;
  if (active_ &&
      (state == model::StringState::float_charge || state == model::StringState::equalizing) &&
      v_string && cells_in_string > 0.0 &&
      *v_string / cells_in_string >= float_per_cell_V - band_below_per_cell_V) {
    active_ = false;
  }
  return active_;
}

std::optional<double> string_voltage_or_sum(std::optional<double> sensor_V,
                                            std::span<const std::optional<double>> batteries_V) {
  if (sensor_V || batteries_V.empty()) return sensor_V;
  double sum = 0.0;
  for (const auto& v : batteries_V) {
    if (!v) return std::nullopt;
    sum += *v;
  }
  return sum;
}

}  // namespace btms::engine
