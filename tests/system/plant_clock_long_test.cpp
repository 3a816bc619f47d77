// The same 10-minute outage in real time (speed 1): 11+ minutes of wall time, so it carries
// the ctest label "long" only (ctest -L long runs it; -L system does not).
#include <gtest/gtest.h>

#include <cstdio>

#include "plant_gateway.hpp"

namespace btms::system_test {
namespace {

TEST(SystemClockLong, TenMinuteOutageInRealTimeMatchesSpeed60) {
  const OutageResult real_time = run_ten_minute_outage(1.0);
  const OutageResult fast = run_ten_minute_outage(60.0);
  ASSERT_TRUE(real_time.finished);
  ASSERT_TRUE(fast.finished);
  for (int s = 1; s <= 2; ++s) {
    std::printf("string %d: x1 %.1f s %.2f Ah (truth %.2f) | x60 %.1f s %.2f Ah (truth %.2f)\n", s,
                real_time.duration_s[s], real_time.recorded_Ah[s], real_time.truth_Ah[s],
                fast.duration_s[s], fast.recorded_Ah[s], fast.truth_Ah[s]);
    EXPECT_NEAR(real_time.duration_s[s], 600.0, 12.0);
    EXPECT_NEAR(real_time.recorded_Ah[s], real_time.truth_Ah[s], 0.02 * real_time.truth_Ah[s]);
    EXPECT_NEAR(fast.duration_s[s], real_time.duration_s[s], 0.02 * real_time.duration_s[s]);
    EXPECT_NEAR(fast.recorded_Ah[s], real_time.recorded_Ah[s], 0.02 * real_time.recorded_Ah[s]);
  }
}

}  // namespace
}  // namespace btms::system_test
