#include "history/chunk_codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace btms::history {
namespace {

using model::Quality;

void expect_exact_round_trip(const std::vector<RawPoint>& points) {
  const auto decoded = decode_chunk(encode_chunk(points));
  ASSERT_EQ(decoded.size(), points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(decoded[i].time_ms, points[i].time_ms) << i;
    EXPECT_EQ(decoded[i].quality, points[i].quality) << i;
    if (std::isnan(points[i].value)) {
      EXPECT_TRUE(std::isnan(decoded[i].value)) << i;
    } else {
      EXPECT_EQ(decoded[i].value, points[i].value) << i;
    }
  }
}

// A 12 V battery on float at 1 Hz: 13.620 V with +-2 mV noise, read as counts / 1000.
std::vector<RawPoint> float_charge_series(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-2, 2);
  std::vector<RawPoint> points;
  for (std::size_t i = 0; i < n; ++i)
    points.push_back({1'700'000'000'000 + static_cast<std::int64_t>(i) * 1000,
                      (13620 + noise(rng)) / 1000.0, Quality::ok});
  return points;
}

TEST(ChunkCodec, EmptyRoundTrips) {
  EXPECT_TRUE(decode_chunk(encode_chunk({})).empty());
}

TEST(ChunkCodec, OnePointRoundTrips) {
  expect_exact_round_trip({{1'700'000'000'123, 13.617, Quality::stale}});
  expect_exact_round_trip({{5, 1.0 / 3.0, Quality::ok}});  // off-grid value -> xor mode
}

TEST(ChunkCodec, GridDetectionNeverDropsRealDigits) {
  // 0.3001 must not be taken for 0.3 on a 0.1 grid; float noise (0.1 + 0.2) may be.
  const std::vector<RawPoint> points = {{1, 0.3001, Quality::ok},
                                        {2, 0.1 + 0.2, Quality::ok},
                                        {3, 13.62 * 1.0000000000000002, Quality::ok}};
  const auto decoded = decode_chunk(encode_chunk(points));
  ASSERT_EQ(decoded.size(), 3U);
  EXPECT_EQ(decoded[0].value, 0.3001);
  EXPECT_NEAR(decoded[1].value, 0.3, 1e-15);
  EXPECT_NEAR(decoded[2].value, 13.62, 1e-14);
}

TEST(ChunkCodec, EdgeCasesRoundTripExactly) {
  const double big = std::numeric_limits<double>::max();
  expect_exact_round_trip({{0, -1.5, Quality::ok},
                           {1, -1e300, Quality::ok},
                           {1'000'000'000'000, big, Quality::invalid},
                           {999, std::numeric_limits<double>::lowest(), Quality::ok},
                           {std::numeric_limits<std::int64_t>::max(), 0.0, Quality::comm_lost},
                           {std::numeric_limits<std::int64_t>::min(), -0.0, Quality::ok},
                           {7, std::numeric_limits<double>::denorm_min(), Quality::ok},
                           {8, std::nan(""), Quality::invalid},
                           {9, std::numeric_limits<double>::infinity(), Quality::ok}});
  // Grid mode with negative values, big jumps and irregular times.
  expect_exact_round_trip({{100, -20.0, Quality::ok},
                           {101, 85.0, Quality::ok},
                           {5000, -12.5, Quality::ok},
                           {5001, 1e12, Quality::ok},
                           {900'000'000, -1e12, Quality::stale},
                           {900'000'003, 0.0, Quality::ok}});
}

TEST(ChunkCodec, RandomGridSeriesRoundTripWithinResolution) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    const int exponent = static_cast<int>(rng() % 7);
    const double scale = std::pow(10.0, exponent);
    const std::size_t n = rng() % 1500;
    std::vector<RawPoint> points;
    std::int64_t time_ms = static_cast<std::int64_t>(rng() % 2'000'000'000'000ULL);
    std::int64_t count = static_cast<std::int64_t>(rng() % 2'000'000) - 1'000'000;
    for (std::size_t i = 0; i < n; ++i) {
      time_ms += (rng() % 4 == 0) ? static_cast<std::int64_t>(rng() % 100'000) - 10'000 : 1000;
      count += (rng() % 10 == 0) ? static_cast<std::int64_t>(rng() % 10'000'000) - 5'000'000
                                 : static_cast<std::int64_t>(rng() % 9) - 4;
      // Half the series computed as count * step (not bit-identical to count / scale).
      const double value = round % 2 == 0 ? count / scale : count * (1.0 / scale);
      points.push_back({time_ms, value, static_cast<Quality>(rng() % 50 == 0 ? rng() % 4 : 0)});
    }
    const auto decoded = decode_chunk(encode_chunk(points));
    ASSERT_EQ(decoded.size(), points.size());
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(decoded[i].time_ms, points[i].time_ms);
      ASSERT_EQ(decoded[i].quality, points[i].quality);
      ASSERT_NEAR(decoded[i].value, points[i].value, 0.5 / scale);
      if (round % 2 == 0) {
        ASSERT_EQ(decoded[i].value, points[i].value);
      }
    }
  }
}

TEST(ChunkCodec, RandomDoublesRoundTripBitExactly) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<RawPoint> points;
    const std::size_t n = rng() % 1200;
    double value = std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    for (std::size_t i = 0; i < n; ++i) {
      if (rng() % 3 == 0) value += std::normal_distribution<double>(0.0, 1.0)(rng);
      if (rng() % 50 == 0) value = std::bit_cast<double>(rng());  // any bit pattern
      points.push_back({static_cast<std::int64_t>(rng()), value, Quality::ok});
    }
    expect_exact_round_trip(points);
  }
}

TEST(ChunkCodec, FloatChargeBatteryTakesUnderOneBytePerValue) {
  const auto points = float_charge_series(1024, 3);
  const auto blob = encode_chunk(points);
  expect_exact_round_trip(points);
  EXPECT_LE(static_cast<double>(blob.size()) / points.size(), 1.0);
}

TEST(ChunkCodec, CorruptBlobThrows) {
  auto blob = encode_chunk(float_charge_series(100, 1));
  EXPECT_THROW(decode_chunk(std::span(blob).first(blob.size() / 2)), std::runtime_error);
  EXPECT_THROW(decode_chunk(std::vector<std::uint8_t>{}), std::runtime_error);
  blob[0] = 9;
  EXPECT_THROW(decode_chunk(blob), std::runtime_error);
}

}  // namespace
}  // namespace btms::history
