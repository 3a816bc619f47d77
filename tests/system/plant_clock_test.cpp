// The gateway on the plant's clock: a 10-minute simulated outage gives the same discharge
// record (duration and Ah within 2 %) at speed 10 and 60 as the plant's truth says, so an
// accelerated demo records what real time would. Speed 1 is in plant_clock_long_test.cpp
// (11 minutes of real time, label "long").
#include <gtest/gtest.h>

#include <cstdio>

#include "plant_gateway.hpp"

namespace btms::system_test {
namespace {

void expect_outage_recorded(const OutageResult& r, double speed) {
  ASSERT_TRUE(r.finished) << "speed " << speed << ": did not finish in time";
  for (int s = 1; s <= 2; ++s) {
    std::printf(
        "speed x%-4g string %d: discharge %.1f s (limit 600 s +-2 %%), %.2f Ah recorded, "
        "truth %.2f Ah (%+.2f %%)\n",
        speed, s, r.duration_s[s], r.recorded_Ah[s], r.truth_Ah[s],
        100.0 * (r.recorded_Ah[s] / r.truth_Ah[s] - 1.0));
    EXPECT_NEAR(r.duration_s[s], 600.0, 0.02 * 600.0) << "speed " << speed;
    EXPECT_GT(r.truth_Ah[s], 10.0);
    EXPECT_NEAR(r.recorded_Ah[s], r.truth_Ah[s], 0.02 * r.truth_Ah[s]) << "speed " << speed;
  }
}

TEST(SystemClock, TenMinuteOutageRecordsTheSameAtSpeed10And60) {
  const OutageResult fast = run_ten_minute_outage(60.0);
  expect_outage_recorded(fast, 60.0);
  const OutageResult slow = run_ten_minute_outage(10.0);
  expect_outage_recorded(slow, 10.0);
  for (int s = 1; s <= 2; ++s) {
    EXPECT_NEAR(fast.duration_s[s], slow.duration_s[s], 0.02 * slow.duration_s[s]);
    EXPECT_NEAR(fast.recorded_Ah[s], slow.recorded_Ah[s], 0.02 * slow.recorded_Ah[s]);
  }
}

}  // namespace
}  // namespace btms::system_test
