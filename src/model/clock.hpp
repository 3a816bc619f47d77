// The time the gateway lives on. A real gateway runs on the system clock; with a virtual plant it
// runs on the plant's clock (simulated time, possibly accelerated), so an accelerated run records
// what a real-time run would: every sample stamp, alarm delay, rate (K/h), SOC integration,
// discharge record and poll interval is measured on this one clock, injected everywhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

namespace btms::model {

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix epoch milliseconds on this clock.
  virtual std::int64_t now_ms() const = 0;
  // Clock seconds per real (steady) second: 1 for the system clock, the plant's speed otherwise.
  virtual double rate() const = 0;
  // The steady wall-clock point at which this clock reads t_ms (for timed waits and schedules).
  std::chrono::steady_clock::time_point wall_deadline(std::int64_t t_ms) const;
  // A span of this clock as a span of real time (a 1 s poll interval at rate 60 is 16.7 ms).
  std::chrono::steady_clock::duration wall_span(std::int64_t span_ms) const;
};

// The system clock (Unix time, rate 1). Shared, never null.
std::shared_ptr<const Clock> system_clock();

// A clock that reads start_ms at `wall_start` and advances `rate` times faster than real time.
// A gateway following a virtual plant in another process builds one from the plant's announced
// epoch and speed.
class ScaledClock final : public Clock {
 public:
  ScaledClock(std::int64_t start_ms, double rate,
              std::chrono::steady_clock::time_point wall_start = std::chrono::steady_clock::now());
  std::int64_t now_ms() const override;
  double rate() const override { return rate_; }

 private:
  std::int64_t start_ms_;
  double rate_;
  std::chrono::steady_clock::time_point wall_start_;
};

}  // namespace btms::model
