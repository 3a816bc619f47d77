// VoltageEqualization decisions and the spread / balance figures.
#include "engine/equalization.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace btms::engine {
namespace {

using model::StringState;

struct Row {
  std::string label;
  StringState state;
  std::vector<std::optional<double>> volts;
  std::vector<std::optional<double>> temps;
  std::vector<bool> on_before;
  std::vector<std::pair<int, bool>> expect;  // (position, on)
};

class VoltageEqualizationTable : public ::testing::TestWithParam<Row> {};

TEST_P(VoltageEqualizationTable, Decides) {
  const auto& r = GetParam();
  VoltageEqualization eq;  // 20 mV on / 10 mV off on a 12 V block
  EqualizationInput in{7, r.state, 6, r.volts, r.temps, r.on_before};
  std::vector<std::pair<int, bool>> got;
  for (const auto& c : eq.decide(in)) {
    EXPECT_EQ(c.string_id, 7);
    got.emplace_back(c.position, c.on);
  }
  EXPECT_EQ(got, r.expect) << r.label;
}

const std::vector<std::optional<double>> kT25(4, 25.0);
const std::vector<bool> kOff(4, false);

INSTANTIATE_TEST_SUITE_P(
    Table, VoltageEqualizationTable,
    ::testing::Values(
        Row{"high_battery_on",
            StringState::float_charge,
            {13.62, 13.62, 13.62, 13.70},
            kT25,
            kOff,
            {{4, true}}},
        Row{"inside_band_nothing",
            StringState::float_charge,
            {13.62, 13.63, 13.62, 13.635},
            kT25,
            kOff,
            {}},
        Row{"inside_band_switches_off",
            StringState::float_charge,
            {13.62, 13.63, 13.62, 13.635},
            kT25,
            {false, false, false, true},
            {{4, false}}},
        Row{"hysteresis_keeps_on",
            StringState::float_charge,
            {13.60, 13.60, 13.635, 13.645},
            kT25,
            {false, false, true, false},
            {{4, true}}},
        Row{"hysteresis_no_new_on",
            StringState::float_charge,
            {13.60, 13.60, 13.635, 13.645},
            kT25,
            kOff,
            {{4, true}}},
        Row{"below_off_threshold_off",
            StringState::float_charge,
            {13.60, 13.62, 13.625, 13.675},
            kT25,
            {false, false, true, true},
            {{3, false}}},
        Row{"discharge_all_off",
            StringState::discharge,
            {12.0, 12.0, 12.0, 12.5},
            kT25,
            {false, false, false, true},
            {{4, false}}},
        Row{"equalize_none", StringState::equalizing, {14.0, 14.0, 14.0, 14.2}, kT25, kOff, {}},
        Row{"hot_battery_all_off",
            StringState::float_charge,
            {13.62, 13.62, 13.62, 13.70},
            {25.0, 41.0, 25.0, 25.0},
            {false, false, false, true},
            {{4, false}}},
        Row{"missing_voltage_all_off",
            StringState::float_charge,
            {13.62, std::nullopt, 13.62, 13.70},
            kT25,
            {false, false, false, true},
            {{4, false}}},
        Row{"missing_temperature_all_off",
            StringState::float_charge,
            {13.62, 13.62, 13.62, 13.70},
            {25.0, std::nullopt, 25.0, 25.0},
            kOff,
            {}}),
    [](const auto& info) { return info.param.label; });

TEST(VoltageStats, MeanSpreadStddevIgnoringMissing) {
  const auto s = voltage_stats({1.0, 2.0, 3.0, std::nullopt});
  EXPECT_EQ(s.count, 3);
  EXPECT_DOUBLE_EQ(s.mean_V, 2.0);
  EXPECT_DOUBLE_EQ(s.spread_V, 2.0);
  EXPECT_NEAR(s.stddev_V, std::sqrt(2.0 / 3.0), 1e-12);
  EXPECT_EQ(voltage_stats({std::nullopt}).count, 0);
}

TEST(VoltageStats, ExtremesWithTheirPositionsFirstOfEqualValues) {
  const auto s = voltage_stats({std::nullopt, 13.5, 13.2, 13.9, 13.2, 13.9});
  EXPECT_DOUBLE_EQ(s.min_V, 13.2);
  EXPECT_EQ(s.min_position, 3);
  EXPECT_DOUBLE_EQ(s.max_V, 13.9);
  EXPECT_EQ(s.max_position, 4);
  const auto none = voltage_stats({std::nullopt, std::nullopt});
  EXPECT_EQ(none.min_position, 0);
  EXPECT_EQ(none.max_position, 0);
  const auto one = voltage_stats({std::nullopt, 12.7});
  EXPECT_EQ(one.min_position, 2);
  EXPECT_EQ(one.max_position, 2);
}

TEST(BalanceIndex, ScaleAndClamp) {
  EXPECT_DOUBLE_EQ(balance_index_pct(0.0, 6), 100.0);
  EXPECT_NEAR(balance_index_pct(0.15, 6), 50.0, 1e-9);
  EXPECT_DOUBLE_EQ(balance_index_pct(0.5, 6), 0.0);
  EXPECT_NEAR(balance_index_pct(0.025, 1), 50.0, 1e-9);  // 2 V cells: 50 mV full scale
}

}  // namespace
}  // namespace btms::engine
