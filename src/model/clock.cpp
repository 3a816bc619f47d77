#include "model/clock.hpp"

#include <cmath>
#include <stdexcept>

namespace btms::model {

namespace {

class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  double rate() const override { return 1.0; }
};

}  // namespace

std::chrono::steady_clock::duration Clock::wall_span(std::int64_t span_ms) const {
  const double wall_ns = static_cast<double>(span_ms) * 1e6 / rate();
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(wall_ns)));
}

std::chrono::steady_clock::time_point Clock::wall_deadline(std::int64_t t_ms) const {
  return std::chrono::steady_clock::now() + wall_span(t_ms - now_ms());
}

std::shared_ptr<const Clock> system_clock() {
  static const auto clock = std::make_shared<const SystemClock>();
  return clock;
}

ScaledClock::ScaledClock(std::int64_t start_ms, double rate,
                         std::chrono::steady_clock::time_point wall_start)
    : start_ms_(start_ms), rate_(rate), wall_start_(wall_start) {
  if (!(rate > 0.0) || !std::isfinite(rate)) {
    throw std::invalid_argument("clock rate must be a positive number");
  }
}

std::int64_t ScaledClock::now_ms() const {
  const auto wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - wall_start_)
                           .count();
  return start_ms_ + std::llround(static_cast<double>(wall_ns) * rate_ / 1e6);
}

}  // namespace btms::model
