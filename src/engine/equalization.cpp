#include "engine/equalization.hpp"

#include <algorithm>
#include <cmath>

namespace btms::engine {

VoltageStats voltage_stats(const std::vector<std::optional<double>>& voltage_V) {
  VoltageStats s;
  double sum = 0.0;
  for (std::size_t i = 0; i < voltage_V.size(); ++i) {
    const auto& v = voltage_V[i];
    if (!v) continue;
    const int position = static_cast<int>(i) + 1;
    if (s.count == 0 || *v < s.min_V) {
      s.min_V = *v;
      s.min_position = position;
    }
    if (s.count == 0 || *v > s.max_V) {
      s.max_V = *v;
      s.max_position = position;
    }
    sum += *v;
    ++s.count;
  }
  if (s.count == 0) return s;
  s.mean_V = sum / s.count;
  s.spread_V = s.max_V - s.min_V;
  double sq = 0.0;
  for (const auto& v : voltage_V) {
    if (v) sq += (*v - s.mean_V) * (*v - s.mean_V);
  }
  s.stddev_V = std::sqrt(sq / s.count);
  return s;
}

double balance_index_pct(double stddev_V, int cells_per_battery) {
  const double full_scale_V = kFloatTolerancePerCell_V * std::max(1, cells_per_battery);
  return std::clamp(100.0 * (1.0 - stddev_V / full_scale_V), 0.0, 100.0);
}

std::vector<model::SetBalancing> VoltageEqualization::decide(const EqualizationInput& in) {
  const auto n = in.voltage_V.size();
  std::vector<bool> want(n, false);
  const auto stats = voltage_stats(in.voltage_V);
  const bool lowest = config_.reference == EqualizationReference::lowest;
  const double on_V =
      (lowest ? config_.on_above_lowest_per_cell_V : config_.on_above_mean_per_cell_V) *
      in.cells_per_battery;
  const double off_V =
      (lowest ? config_.off_above_lowest_per_cell_V : config_.off_above_mean_per_cell_V) *
      in.cells_per_battery;
  double lowest_V = 0.0;
  for (const auto& v : in.voltage_V) {
    if (v && (lowest_V == 0.0 || *v < lowest_V)) lowest_V = *v;
  }
  const double reference_V = lowest ? lowest_V : stats.mean_V;
  bool allowed = in.state == model::StringState::float_charge &&
                 stats.count == static_cast<int>(n) && n > 1 && stats.spread_V > on_V;
  for (std::size_t i = 0; allowed && i < n; ++i) {
    const auto& t = i < in.temperature_C.size() ? in.temperature_C[i] : std::nullopt;
    if (!t || *t > config_.max_temperature_C) allowed = false;
  }
  if (allowed) {
    for (std::size_t i = 0; i < n; ++i) {
      const double above = *in.voltage_V[i] - reference_V;
      const bool on_now = i < in.balancing_on.size() && in.balancing_on[i];
      want[i] = on_now ? above > off_V : above > on_V;
    }
  }
  std::vector<model::SetBalancing> out;
  for (std::size_t i = 0; i < n; ++i) {
    const bool on_now = i < in.balancing_on.size() && in.balancing_on[i];
    if (want[i] != on_now)
      out.push_back(model::SetBalancing{in.string_id, static_cast<int>(i) + 1, want[i]});
  }
  return out;
}

}  // namespace btms::engine
