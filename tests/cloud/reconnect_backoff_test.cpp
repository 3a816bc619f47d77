#include "cloud/reconnect_backoff.hpp"

#include <gtest/gtest.h>

namespace btms::cloud {
namespace {

// Every row: attempt, min, max, jitter -> delay. The step doubles from min to max; the delay is
// between half the step (jitter 0) and the whole step (jitter 1).
TEST(ReconnectBackoff, DoublesToTheCapWithJitterBetweenHalfAndAll) {
  struct Row {
    int attempt, min_ms, max_ms;
    double jitter;
    std::int64_t delay_ms;
  };
  for (const auto& r : {
           Row{0, 1000, 60000, 0.0, 500}, Row{0, 1000, 60000, 1.0, 1000},
           Row{0, 1000, 60000, 0.5, 750}, Row{1, 1000, 60000, 0.0, 1000},
           Row{1, 1000, 60000, 1.0, 2000}, Row{2, 1000, 60000, 1.0, 4000},
           Row{5, 1000, 60000, 1.0, 32000}, Row{6, 1000, 60000, 1.0, 60000},
           Row{6, 1000, 60000, 0.0, 30000}, Row{100, 1000, 60000, 1.0, 60000},
           Row{1'000'000, 1000, 60000, 0.0, 30000}, Row{3, 50, 200, 1.0, 200},
           Row{0, 0, 0, 1.0, 1},         // min clamps to 1 ms
           Row{0, 1000, 10, 1.0, 1000},  // max below min: min wins
           Row{0, 1000, 60000, -3.0, 500}, Row{0, 1000, 60000, 7.0, 1000},  // jitter clamped
       }) {
    EXPECT_EQ(reconnect_delay_ms(r.attempt, r.min_ms, r.max_ms, r.jitter), r.delay_ms)
        << "attempt " << r.attempt << " min " << r.min_ms << " max " << r.max_ms << " jitter "
        << r.jitter;
  }
}

}  // namespace
}  // namespace btms::cloud
