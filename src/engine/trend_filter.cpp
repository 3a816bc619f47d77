#include "engine/trend_filter.hpp"

#include <algorithm>
#include <cmath>

namespace btms::engine {

void TrendFilter::update(double value, std::int64_t now_ms, std::int64_t window_ms) {
  const double window = static_cast<double>(std::max<std::int64_t>(window_ms, 4));
  const double tau_fast_ms = window / 4.0;
  const double tau_slow_ms = window;
  if (!primed_ || now_ms < last_ms_ || static_cast<double>(now_ms - last_ms_) > tau_fast_ms) {
    fast_ = slow_ = value;
    primed_ = true;
    watched_since_ms_ = last_ms_ = now_ms;
    slope_per_h_.reset();
    return;
  }
  const double dt_ms = static_cast<double>(now_ms - last_ms_);
  fast_ += (1.0 - std::exp(-dt_ms / tau_fast_ms)) * (value - fast_);
  slow_ += (1.0 - std::exp(-dt_ms / tau_slow_ms)) * (value - slow_);
  last_ms_ = now_ms;
  if (static_cast<double>(now_ms - watched_since_ms_) >= window) {
    slope_per_h_ = (fast_ - slow_) / (tau_slow_ms - tau_fast_ms) * 3600e3;
  } else {
    slope_per_h_.reset();
  }
}

}  // namespace btms::engine
