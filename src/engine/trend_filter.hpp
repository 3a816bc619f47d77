// Slope of a slowly changing reading (K/h) from two moving averages with time constants
// window/4 and window: a ramp of m per hour leaves them m × (τ_slow − τ_fast) apart. Sensors
// resolve 0.1 °C, so a slope is only known to a fraction of 1 K/h over a window of minutes; a
// runaway builds up over hours. Until the reading has been watched for one window (after the
// start, or after a gap longer than window/4) the slope is unknown. Pure: time comes in.
#pragma once

#include <cstdint>
#include <optional>

namespace btms::engine {

class TrendFilter {
 public:
  void update(double value, std::int64_t now_ms, std::int64_t window_ms);
  // Per hour; nullopt until watched for one window.
  std::optional<double> slope_per_h() const { return slope_per_h_; }
  // Watched for one window: a rise could be told from a steady reading.
  bool known() const { return slope_per_h_.has_value(); }
  void forget() { *this = TrendFilter{}; }

 private:
  double fast_ = 0.0;
  double slow_ = 0.0;
  bool primed_ = false;
  std::int64_t watched_since_ms_ = 0;
  std::int64_t last_ms_ = 0;
  std::optional<double> slope_per_h_;
};

}  // namespace btms::engine
