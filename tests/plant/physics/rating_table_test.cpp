// model::capacity_at_rate_Ah / runtime_to_end_voltage_s: the constant-current table of a
// 12 V 100 Ah AGM block to 1.80 V/cell (docs/battery-physics.md), the shared model of the
// plant's batteries and the engine's runtime prediction. Table-driven: every point of the table,
// between points, beyond both ends, chemistry, temperature and SOC.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "model/battery_rating.hpp"

namespace btms::model {
namespace {

BatteryType block(double capacity_Ah, Chemistry chemistry = Chemistry::vrla_agm) {
  BatteryType type;
  type.capacity_Ah = capacity_Ah;
  type.chemistry = chemistry;
  return type;
}

struct TablePoint {
  const char* name;
  double current_A;  // for a 100 Ah block
  double runtime_h;  // the maker's table
};

class RatingTable : public ::testing::TestWithParam<TablePoint> {};

TEST_P(RatingTable, RuntimeAtTableCurrentsIsTheTablesTime) {
  const TablePoint& p = GetParam();
  const double h = runtime_to_end_voltage_s(block(100.0), p.current_A, 25.0, 1.0) / 3600.0;
  EXPECT_NEAR(h, p.runtime_h, 0.01 * p.runtime_h) << p.name;
  // The table scales with the block: a 200 Ah block at twice the current lasts as long.
  const double h200 = runtime_to_end_voltage_s(block(200.0), 2.0 * p.current_A, 25.0, 1.0) / 3600.0;
  EXPECT_NEAR(h200, h, 1e-9);
}

INSTANTIATE_TEST_SUITE_P(
    Agm100Ah, RatingTable,
    ::testing::Values(TablePoint{"Min5", 300.0, 5.0 / 60.0},
                      TablePoint{"Min10", 192.0, 10.0 / 60.0}, TablePoint{"Min15", 150.0, 0.25},
                      TablePoint{"Min30", 96.0, 0.5}, TablePoint{"H1", 60.0, 1.0},
                      TablePoint{"H2", 34.0, 2.0}, TablePoint{"H3", 24.3, 3.0},
                      TablePoint{"H5", 16.4, 5.0}, TablePoint{"H8", 11.8, 8.0},
                      TablePoint{"H10", 10.0, 10.0}, TablePoint{"H20", 5.3, 20.0}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Rating, CapacityFallsMonotonicallyWithRateAndStaysBetweenTablePoints) {
  double previous = std::numeric_limits<double>::infinity();
  for (double current_A = 1.0; current_A <= 500.0; current_A *= 1.05) {
    const double c = capacity_at_rate_Ah(block(100.0), current_A, 25.0);
    EXPECT_LE(c, previous + 1e-9) << current_A;
    previous = c;
  }
  // Between 15 min (37.5 Ah) and 30 min (48 Ah).
  const double c = capacity_at_rate_Ah(block(100.0), 120.0, 25.0);
  EXPECT_GT(c, 37.5);
  EXPECT_LT(c, 48.0);
}

TEST(Rating, BelowTheTwentyHourRateHoldsTheTwentyHourCapacity) {
  EXPECT_NEAR(capacity_at_rate_Ah(block(100.0), 1.0, 25.0), 106.0, 1e-9);
  EXPECT_NEAR(capacity_at_rate_Ah(block(100.0), 0.0, 25.0), 106.0, 1e-9);
}

TEST(Rating, AboveTheFiveMinuteRateContinuesTheLastSlope) {
  const double at_300 = capacity_at_rate_Ah(block(100.0), 300.0, 25.0);
  const double at_600 = capacity_at_rate_Ah(block(100.0), 600.0, 25.0);
  EXPECT_LT(at_600, at_300);
  EXPECT_GT(at_600, 0.5 * at_300);
}

TEST(Rating, GelAndFloodedGiveLessAtHighRatesAndTheSameAtTenHours) {
  const double agm = capacity_at_rate_Ah(block(100.0), 150.0, 25.0);
  const double gel = capacity_at_rate_Ah(block(100.0, Chemistry::vrla_gel), 150.0, 25.0);
  const double flooded = capacity_at_rate_Ah(block(100.0, Chemistry::flooded), 150.0, 25.0);
  EXPECT_LT(gel, agm);
  EXPECT_LT(flooded, gel);
  EXPECT_NEAR(gel, 28.0, 1.5);
  EXPECT_NEAR(flooded, 23.0, 1.5);
  for (const auto chem : {Chemistry::vrla_agm, Chemistry::vrla_gel, Chemistry::flooded}) {
    EXPECT_NEAR(capacity_at_rate_Ah(block(100.0, chem), 10.0, 25.0), 100.0, 1e-9);
  }
}

struct TemperatureCase {
  double temperature_C;
  double factor;
};

class RatingTemperature : public ::testing::TestWithParam<TemperatureCase> {};

TEST_P(RatingTemperature, CapacityFollowsTheIeee485Correction) {
  const auto& c = GetParam();
  EXPECT_NEAR(capacity_at_rate_Ah(block(100.0), 10.0, c.temperature_C), 100.0 * c.factor, 1e-9);
}

INSTANTIATE_TEST_SUITE_P(Points, RatingTemperature,
                         ::testing::Values(TemperatureCase{25.0, 1.0}, TemperatureCase{15.0, 0.94},
                                           TemperatureCase{35.0, 1.06}, TemperatureCase{0.0, 0.85},
                                           TemperatureCase{60.0, 1.15},    // clamped high
                                           TemperatureCase{-80.0, 0.5}));  // clamped low

TEST(Rating, RuntimeScalesWithSocAndIsInfiniteWithoutDischarge) {
  const double full = runtime_to_end_voltage_s(block(100.0), 150.0, 25.0, 1.0);
  EXPECT_NEAR(runtime_to_end_voltage_s(block(100.0), 150.0, 25.0, 0.5), 0.5 * full, 1e-6);
  EXPECT_NEAR(runtime_to_end_voltage_s(block(100.0), 150.0, 25.0, 1.7), full, 1e-6);  // clamped
  EXPECT_EQ(runtime_to_end_voltage_s(block(100.0), 150.0, 25.0, -1.0), 0.0);
  EXPECT_TRUE(std::isinf(runtime_to_end_voltage_s(block(100.0), 0.0, 25.0, 1.0)));
  EXPECT_TRUE(std::isinf(runtime_to_end_voltage_s(block(100.0), -5.0, 25.0, 1.0)));
}

}  // namespace
}  // namespace btms::model
