#include "cloud/reconnect_backoff.hpp"

#include <algorithm>

namespace btms::cloud {

std::int64_t reconnect_delay_ms(int attempt, int min_ms, int max_ms, double jitter_unit) {
  const auto lo = static_cast<std::int64_t>(std::max(1, min_ms));
  const auto hi = std::max(lo, static_cast<std::int64_t>(max_ms));
  std::int64_t step = lo;
  // Doubling stops at the cap; the loop is bounded so a huge attempt count cannot overflow.
  for (int i = 0; i < attempt && step < hi; ++i) step *= 2;
  step = std::min(step, hi);
  const double unit = std::clamp(jitter_unit, 0.0, 1.0);
  const auto half = step / 2;
  return half + static_cast<std::int64_t>(unit * static_cast<double>(step - half));
}

}  // namespace btms::cloud
