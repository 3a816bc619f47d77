// Runaway watch (float current against the string's own baseline) and the discharge
// suppression of low-voltage alarms; the trend filter underneath the ΔT rule.
#include "engine/string_facts.hpp"

#include <gtest/gtest.h>

#include "engine/trend_filter.hpp"

namespace btms::engine {
namespace {

using model::StringState;

struct RunawayRow {
  const char* name;
  double learned_float_A;  // < 0: nothing learned (engine just started)
  double current_A;
  bool hot_and_rising;
  bool expect;
};
class RunawayCondition : public ::testing::TestWithParam<RunawayRow> {};

TEST_P(RunawayCondition, RisingFloatCurrentWithHotRisingBattery) {
  const auto& x = GetParam();
  const StringLimits limits;  // 2 × baseline, at least +0.3 A; absolute 1 A on 100 Ah
  RunawayWatch w;
  std::int64_t t = 0;
  RunawayWatch::Inputs in;
  in.state = StringState::float_charge;
  if (x.learned_float_A >= 0.0) {
    in.current_A = x.learned_float_A;
    for (int i = 0; i < 3 * 3600; ++i) w.update(in, limits, t += 1000);
    ASSERT_NEAR(*w.float_baseline_A(), x.learned_float_A, 1e-6);
  }
  in.current_A = x.current_A;
  in.any_hot_and_rising = x.hot_and_rising;
  in.any_warm = x.hot_and_rising;
  std::optional<bool> got;
  for (int i = 0; i < 300; ++i) got = w.update(in, limits, t += 1000);  // past the filter
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, x.expect) << x.name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, RunawayCondition,
    ::testing::Values(RunawayRow{"float_level_hot", 0.3, 0.3, true, false},
                      RunawayRow{"below_twice_baseline", 0.3, 0.55, true, false},
                      RunawayRow{"above_twice_baseline", 0.3, 0.65, true, true},
                      RunawayRow{"rising_current_cool_blocks", 0.3, 0.8, false, false},
                      RunawayRow{"tiny_baseline_needs_plus_0_3_A", 0.05, 0.2, true, false},
                      RunawayRow{"tiny_baseline_above_plus_0_3_A", 0.05, 0.4, true, true},
                      RunawayRow{"high_baseline_absolute_caps", 0.8, 1.1, true, true},
                      RunawayRow{"nothing_learned_below_absolute", -1.0, 0.8, true, false},
                      RunawayRow{"nothing_learned_above_absolute", -1.0, 1.2, true, true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(RunawayWatch, BaselineIsNotLearnedWhileABlockIsWarmOrWithoutCurrent) {
  const StringLimits limits;
  RunawayWatch w;
  RunawayWatch::Inputs in;
  in.state = StringState::float_charge;
  in.current_A = 0.3;
  std::int64_t t = 0;
  for (int i = 0; i < 3600; ++i) w.update(in, limits, t += 1000);
  in.current_A = 0.9;
  in.any_warm = true;  // the runaway's own current must not become the new normal
  for (int i = 0; i < 3600; ++i) w.update(in, limits, t += 1000);
  EXPECT_NEAR(*w.float_baseline_A(), 0.3, 1e-3);
  in.current_A.reset();
  EXPECT_FALSE(w.update(in, limits, t += 1000).has_value());
  in.any_warm = false;
  in.state = StringState::discharge;
  in.current_A = -50.0;
  for (int i = 0; i < 600; ++i) w.update(in, limits, t += 1000);
  EXPECT_NEAR(*w.float_baseline_A(), 0.3, 1e-3);  // learned on float only
}

struct SuppressionRow {
  StringState state;
  double v_cell;
  bool before, expect;
};
class DischargeSuppressionTable : public ::testing::TestWithParam<SuppressionRow> {};

TEST_P(DischargeSuppressionTable, FromDischargeUntilBackInTheFloatBand) {
  const auto& x = GetParam();
  DischargeSuppression d;
  if (x.before) d.update(StringState::discharge, 24 * 1.95, 24, 2.27, 0.03);
  EXPECT_EQ(d.update(x.state, 24 * x.v_cell, 24, 2.27, 0.03), x.expect);
}

INSTANTIATE_TEST_SUITE_P(
    Table, DischargeSuppressionTable,
    ::testing::Values(SuppressionRow{StringState::float_charge, 2.27, false, false},
                      SuppressionRow{StringState::discharge, 1.9, false, true},
                      SuppressionRow{StringState::float_charge, 2.10, true, true},  // recharging
                      SuppressionRow{StringState::float_charge, 2.24, true, false},
                      SuppressionRow{StringState::equalizing, 2.35, true, false},
                      SuppressionRow{StringState::idle, 2.27, true, true}));

TEST(StringVoltage, SensorElseSumOfAllGoodBatteries) {
  const std::vector<std::optional<double>> all{13.6, 13.5};
  const std::vector<std::optional<double>> one_missing{13.6, std::nullopt};
  EXPECT_EQ(string_voltage_or_sum(54.0, all), 54.0);
  EXPECT_NEAR(*string_voltage_or_sum(std::nullopt, all), 27.1, 1e-12);
  EXPECT_FALSE(string_voltage_or_sum(std::nullopt, one_missing).has_value());
}

struct TrendRow {
  double ramp_per_h;
  double expect_slope_per_h;
};
class TrendSlope : public ::testing::TestWithParam<TrendRow> {};

TEST_P(TrendSlope, SettlesOnTheRamp) {
  TrendFilter f;
  const std::int64_t window_ms = 600'000;
  for (int s = 0; s <= 3600; ++s) {
    f.update(20.0 + GetParam().ramp_per_h * s / 3600.0, s * 1000LL, window_ms);
    if (s < 600) {
      EXPECT_FALSE(f.known()) << s;
    }
  }
  ASSERT_TRUE(f.known());
  EXPECT_NEAR(*f.slope_per_h(), GetParam().expect_slope_per_h,
              0.05 * std::abs(GetParam().ramp_per_h) + 0.01);
}

INSTANTIATE_TEST_SUITE_P(Table, TrendSlope,
                         ::testing::Values(TrendRow{0.0, 0.0}, TrendRow{6.0, 6.0},
                                           TrendRow{30.0, 30.0}, TrendRow{-12.0, -12.0}));

TEST(TrendFilter, AGapInTheReadingsForgetsTheSlope) {
  TrendFilter f;
  for (int s = 0; s <= 1200; ++s) f.update(20.0 + s / 360.0, s * 1000LL, 600'000);
  ASSERT_TRUE(f.known());
  f.update(25.0, 1200'000 + 200'000, 600'000);  // 200 s silent > window/4
  EXPECT_FALSE(f.known());
}

}  // namespace
}  // namespace btms::engine
