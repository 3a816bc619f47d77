// Battery facts: resistance-test windows (one per test, bounded), the voltages judged inside a
// window, rising past the trip limit, the runaway reference and the learned baseline.
#include "engine/battery_facts.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace btms::engine {
namespace {

using model::Quality;

model::Sample ok(double v) {
  return model::Sample{v, 0, Quality::ok};
}

struct Rig {
  BatteryFacts facts{1};
  LimitSet limits;
  model::BatteryType type;  // 12 V, 6 cells
  std::int64_t now_ms = 0;
  BatteryFactsContext context{25.0, false, std::nullopt};

  const BatteryFactValues& step(double voltage_V, double temperature_C, double resistance_mOhm,
                                std::int64_t dt_ms = 1000) {
    now_ms += dt_ms;
    const std::vector<BatteryReading> r{
        BatteryReading{ok(voltage_V), ok(temperature_C), ok(resistance_mOhm)}};
    facts.update(r, context, limits, type, now_ms);
    return facts.values()[0];
  }
};

// Resistance readings change at these seconds; is the float window open at `at_s`?
struct WindowRow {
  const char* name;
  std::vector<int> test_at_s;  // a new resistance reading at these seconds
  int at_s;
  bool suppressed;
};
class ResistanceTestWindow : public ::testing::TestWithParam<WindowRow> {};

TEST_P(ResistanceTestWindow, OnePerTestBounded) {
  const auto& x = GetParam();
  Rig rig;  // window 120 s, at most one opening per 300 s
  double r = 4.0;
  bool suppressed = false;
  for (int s = 1; s <= x.at_s; ++s) {
    for (int t : x.test_at_s) {
      if (t == s) r += 0.01;
    }
    suppressed = rig.step(13.62, 25.0, r).float_suppressed;
  }
  EXPECT_EQ(suppressed, x.suppressed) << x.name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ResistanceTestWindow,
    ::testing::Values(WindowRow{"no_test", {}, 60, false},
                      WindowRow{"inside_window", {10}, 100, true},
                      WindowRow{"window_ends", {10}, 131, false},
                      WindowRow{"not_extended_by_readings_inside", {10, 60, 100}, 131, false},
                      WindowRow{"no_new_window_before_interval", {10, 200}, 250, false},
                      WindowRow{"new_window_after_interval", {10, 320}, 330, true},
                      // A reading that changes every second (a noisy sensor): still at most
                      // 120 s of every 300 s suppressed.
                      WindowRow{"changing_every_second_gap",
                                [] {
                                  std::vector<int> v;
                                  for (int s = 2; s <= 400; ++s) v.push_back(s);
                                  return v;
                                }(),
                                200, false},
                      WindowRow{"changing_every_second_second_window",
                                [] {
                                  std::vector<int> v;
                                  for (int s = 2; s <= 400; ++s) v.push_back(s);
                                  return v;
                                }(),
                                310, true}),
    [](const auto& info) { return std::string(info.param.name); });

// What the voltage rules see inside a window: only what lies far outside the float band.
struct JudgedRow {
  double voltage_V;
  bool in_window;
  bool discharge;
  bool high_judged, low_judged;
};
class VoltageJudged : public ::testing::TestWithParam<JudgedRow> {};

TEST_P(VoltageJudged, FarOutsideTheBandAlwaysCounts) {
  const auto& x = GetParam();
  Rig rig;
  rig.context.discharge_suppressed = x.discharge;
  rig.step(13.62, 25.0, 4.0);
  const auto& v = rig.step(x.voltage_V, 25.0, x.in_window ? 4.1 : 4.0);
  EXPECT_EQ(v.value[kFactVoltageForHigh].has_value(), x.high_judged) << x.voltage_V;
  EXPECT_EQ(v.value[kFactVoltageForLow].has_value(), x.low_judged) << x.voltage_V;
}

INSTANTIATE_TEST_SUITE_P(
    Table, VoltageJudged,
    ::testing::Values(JudgedRow{13.62, false, false, true, true},
                      JudgedRow{12.50, true, false, false, false},  // a test's dip: suppressed
                      JudgedRow{12.01, true, false, false, false},  // just above 2.00 V/cell
                      JudgedRow{11.99, true, false, false, true},   // below a discharged OCV
                      JudgedRow{9.50, true, false, false, true},
                      JudgedRow{14.90, true, false, false, false},  // below 2.50 V/cell
                      JudgedRow{15.10, true, false, true, false},
                      JudgedRow{11.00, false, true, true, false},  // a discharge: low side off
                      JudgedRow{11.00, true, true, false, false}));

// An open string rests at its blocks' open-circuit voltage, below the float band by nature: only
// what is below the open-circuit voltage of a discharged block (2.00 V/cell) is low then.
struct RestingRow {
  double voltage_V;
  bool resting;
  bool low_judged;
};
class VoltageWhileResting : public ::testing::TestWithParam<RestingRow> {};

TEST_P(VoltageWhileResting, OnlyBelowADischargedBlocksOpenCircuitVoltage) {
  const auto& x = GetParam();
  Rig rig;
  rig.context.resting = x.resting;
  rig.step(13.62, 25.0, 4.0);
  const auto& v = rig.step(x.voltage_V, 25.0, 4.0);
  EXPECT_EQ(v.value[kFactVoltageForLow].has_value(), x.low_judged) << x.voltage_V;
  EXPECT_TRUE(v.value[kFactVoltageForHigh].has_value()) << x.voltage_V;
}

INSTANTIATE_TEST_SUITE_P(Table, VoltageWhileResting,
                         ::testing::Values(RestingRow{13.07, false, true},  // on float: judged
                                           RestingRow{13.07, true, false},  // full block at rest
                                           RestingRow{12.30, true, false},  // half charged
                                           RestingRow{12.01, true, false},
                                           RestingRow{11.99, true, true},  // below discharged OCV
                                           RestingRow{9.50, true, true}));

// Above the trip limit and still rising: a ramp, against steady heat.
struct RisingRow {
  const char* name;
  double start_C;
  double ramp_K_per_h;
  double expect_rising_after_s;  // < 0: never within 2 h
};
class RisingPastTrip : public ::testing::TestWithParam<RisingRow> {};

TEST_P(RisingPastTrip, NeedsBothAboveTripAndRising) {
  const auto& x = GetParam();
  Rig rig;
  double first_s = -1.0;
  for (int s = 1; s <= 7200; ++s) {
    const double t = x.start_C + x.ramp_K_per_h * s / 3600.0;
    const auto& v = rig.step(13.62, std::round(t * 10.0) / 10.0, 4.0);
    if (first_s < 0.0 && v.value[kFactRisingPastTrip] == 1.0) first_s = s;
  }
  if (x.expect_rising_after_s < 0.0) {
    EXPECT_LT(first_s, 0.0) << x.name;
  } else {
    ASSERT_GE(first_s, 0.0) << x.name;
    EXPECT_NEAR(first_s, x.expect_rising_after_s, 300.0) << x.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, RisingPastTrip,
    ::testing::Values(RisingRow{"steady_above_trip", 58.0, 0.0, -1.0},
                      RisingRow{"slow_drift_above_trip", 56.0, 2.0, -1.0},  // under 6 K/h
                      RisingRow{"ramp_below_trip", 30.0, 10.0, -1.0},       // ends at 50 °C
                      // 30 K/h from 50 °C: above 55 °C after 600 s; the slope is known after
                      // the 10-min window and needs a few time constants to settle.
                      RisingRow{"ramp_through_trip", 50.0, 30.0, 900.0},
                      RisingRow{"ramp_above_trip", 56.0, 20.0, 900.0}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(BatteryFacts, ReferenceIsTheStringMedianWithoutAmbient) {
  BatteryFacts facts(5);
  LimitSet limits;
  model::BatteryType type;
  BatteryFactsContext context{std::nullopt, false, std::nullopt};
  std::vector<BatteryReading> r(5, BatteryReading{ok(13.6), ok(27.0), ok(4.0)});
  r[0].temperature = ok(20.0);  // one cool block must not make its neighbours look hot
  r[3].temperature = ok(38.0);  // 11 K above the median 27 °C
  facts.update(r, context, limits, type, 1000);
  EXPECT_TRUE(facts.values()[3].hot_and_rising);  // trend unknown yet: judged on heat alone
  EXPECT_FALSE(facts.values()[1].hot_and_rising);
  EXPECT_FALSE(facts.values()[1].warm);
  EXPECT_FALSE(facts.values()[3].value[kFactDeltaTAmbient].has_value());  // no ambient sensor
}

TEST(BatteryFacts, BaselineLearnedThenSohAndRise) {
  Rig rig;
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(rig.step(13.62, 25.0, 4.0).baseline_mOhm.has_value());
  const auto& v = rig.step(13.62, 25.0, 4.0);
  ASSERT_TRUE(v.baseline_mOhm.has_value());
  EXPECT_NEAR(*v.baseline_mOhm, 4.0, 1e-12);
  const auto& w = rig.step(13.62, 25.0, 6.0);
  EXPECT_NEAR(*w.value[kFactResistanceRise], 50.0, 1e-9);
  EXPECT_NEAR(*w.soh_pct, 80.0, 1e-9);
  rig.facts.reset_baseline(1);
  EXPECT_FALSE(rig.step(13.62, 25.0, 6.0).baseline_mOhm.has_value());
}

TEST(BatteryFacts, InputQualityIsTheWorstReading) {
  BatteryFacts facts(1);
  std::vector<BatteryReading> r{BatteryReading{ok(13.6), model::Sample{25.0, 0, Quality::stale},
                                               model::Sample{0.0, 0, Quality::comm_lost}}};
  facts.update(r, BatteryFactsContext{}, LimitSet{}, model::BatteryType{}, 1000);
  EXPECT_EQ(facts.values()[0].input_quality, Quality::comm_lost);
  EXPECT_EQ(facts.values()[0].value[kFactBatteryCommLost], 1.0);
  EXPECT_EQ(worse(Quality::stale, Quality::invalid), Quality::invalid);
  EXPECT_EQ(worse(Quality::ok, Quality::stale), Quality::stale);
}

}  // namespace
}  // namespace btms::engine
