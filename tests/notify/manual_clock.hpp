// A clock the test moves by hand, so routing decisions are checked at exact instants.
#pragma once

#include <atomic>
#include <cstdint>

#include "model/clock.hpp"

namespace btms::notify::test {

class ManualClock final : public model::Clock {
 public:
  explicit ManualClock(std::int64_t start_ms) : now_(start_ms) {}
  std::int64_t now_ms() const override { return now_.load(); }
  double rate() const override { return 1.0; }
  void set(std::int64_t t_ms) { now_.store(t_ms); }
  void advance(std::int64_t span_ms) { now_.fetch_add(span_ms); }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace btms::notify::test
