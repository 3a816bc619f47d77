#include "history/rollup_codec.hpp"

#include <gtest/gtest.h>

#include <random>

namespace btms::history {
namespace {

constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01 00:00:00 UTC

// An hour of minute rollups of a floating battery's voltage (1 mV grid, 60 samples each).
std::vector<RollupDelta> float_hour() {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> noise(-2, 2);
  std::vector<RollupDelta> rows;
  for (int m = 0; m < 60; ++m) {
    RollupDelta row;
    row.bucket_ms = kT0 + m * 60'000LL;
    for (int s = 0; s < 60; ++s) row.add((13'600 + noise(rng)) / 1000.0);
    rows.push_back(row);
  }
  return rows;
}

// Min, max, count and times exactly; sums within a few ulps (a sum of grid values is stored
// on the grid, see chunk_codec.hpp).
TEST(RollupCodec, RoundTripsEveryField) {
  const std::vector<std::vector<RollupDelta>> cases = {
      {},
      {{kT0, -1.5, 2.25, 0.75, 3}},
      float_hour(),
      {{kT0, 1e300, -1e-300, 0.1 + 0.2, 1}, {kT0 + 7, 0.0, 0.0, 0.0, 1ULL << 40}},
  };
  for (const auto& rows : cases) {
    const auto decoded = decode_rollups(encode_rollups(rows));
    ASSERT_EQ(decoded.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(decoded[i].bucket_ms, rows[i].bucket_ms);
      EXPECT_EQ(decoded[i].min, rows[i].min);
      EXPECT_EQ(decoded[i].max, rows[i].max);
      EXPECT_DOUBLE_EQ(decoded[i].sum, rows[i].sum);
      EXPECT_EQ(decoded[i].count, rows[i].count);
    }
  }
}

TEST(RollupCodec, FloatBatteryMinuteTakesFarLessThanATableRow) {
  const auto rows = float_hour();
  const double bytes_per_row = static_cast<double>(encode_rollups(rows).size()) / rows.size();
  EXPECT_LT(bytes_per_row, 14.0);  // a SQLite row of min, max, sum, count takes ~41 B
}

TEST(RollupCodec, CorruptBlobThrows) {
  auto blob = encode_rollups(float_hour());
  EXPECT_THROW(decode_rollups(std::span(blob).first(blob.size() - 1)), std::runtime_error);
  EXPECT_THROW(decode_rollups(std::span(blob).first(3)), std::runtime_error);
  blob.push_back(0);
  EXPECT_THROW(decode_rollups(blob), std::runtime_error);
}

}  // namespace
}  // namespace btms::history
