#include "model/clock.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace btms::model {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(Clock, SystemClockIsUnixTimeAtRateOne) {
  const auto clock = system_clock();
  const auto now =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  EXPECT_NEAR(static_cast<double>(clock->now_ms()), static_cast<double>(now), 1000.0);
  EXPECT_EQ(clock->rate(), 1.0);
  EXPECT_EQ(clock->wall_span(1000), std::chrono::seconds(1));
}

TEST(Clock, ScaledClockAdvancesRateTimesFaster) {
  // Started 2 real seconds ago at rate 60: it reads 120 s past its start.
  const auto wall_start = steady_clock::now() - std::chrono::seconds(2);
  const ScaledClock clock(1'000'000, 60.0, wall_start);
  EXPECT_NEAR(static_cast<double>(clock.now_ms()), 1'000'000.0 + 120'000.0, 60.0 * 200.0);
  // A 1 s poll interval at rate 60 is 16.7 ms of real time.
  EXPECT_EQ(std::chrono::round<std::chrono::microseconds>(clock.wall_span(1000)).count(), 16'667);
}

TEST(Clock, WallDeadlineOfAPastTimeIsNotInTheFuture) {
  const ScaledClock clock(0, 10.0);
  EXPECT_LE(clock.wall_deadline(clock.now_ms() - 5000), steady_clock::now());
}

TEST(Clock, RefusesANonPositiveRate) {
  EXPECT_THROW(ScaledClock(0, 0.0), std::invalid_argument);
  EXPECT_THROW(ScaledClock(0, -1.0), std::invalid_argument);
}

}  // namespace
}  // namespace btms::model
