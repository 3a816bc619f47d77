// Protection that catches what it claims (engine side): low voltage right after a resistance
// test, fatal conditions on the last closed string of a UPS, the runaway rule on rising ΔT and
// rising float current before any absolute limit, the balance index of a healthy string, and
// derived values never better than their inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/engine.hpp"
#include "plant_fixture.hpp"

namespace btms::engine {
namespace {

using model::EventKind;
using model::ProtectionState;
using model::Quality;

// A battery pulled down on float right after its resistance test (a new reading).
struct LowAfterTestRow {
  const char* name;
  double voltage_V;
  bool resistance_changes_every_step;
  int raised_by_s;  // the voltage low rule raised within this many steps (1 s apart)
  int quiet_for_s;  // and not before
};
class LowVoltageAfterResistanceTest : public testing::PlantFixture,
                                      public ::testing::WithParamInterface<LowAfterTestRow> {};

TEST_P(LowVoltageAfterResistanceTest, AlarmsWithinTheRuleDelay) {
  const auto& x = GetParam();
  Engine e(site, plant);
  run(e, 12);  // baselines learned, quiet
  double r = 4.0;
  int raised_at = -1;
  for (int s = 1; s <= 200 && raised_at < 0; ++s) {
    if (s == 1 || x.resistance_changes_every_step) set_battery(1, 2, "resistance", r += 0.001);
    set_battery(1, 2, "voltage", x.voltage_V);
    const auto o = run(e);
    if (const auto* ev = find(o, EventKind::alarm_raised, "battery_voltage_low")) {
      raised_at = s;
      EXPECT_EQ(ev->source, "battery/1/2");
      EXPECT_NE(ev->text.find("below low limit 13.08 V"), std::string::npos) << ev->text;
      EXPECT_TRUE(static_cast<int>(derived(o, "battery/1/2/alarm_bits")) &
                  model::kBatteryVoltageLow);
    }
  }
  ASSERT_GT(raised_at, 0) << x.name << ": never alarmed";
  EXPECT_LE(raised_at, x.raised_by_s) << x.name;
  EXPECT_GT(raised_at, x.quiet_for_s) << x.name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, LowVoltageAfterResistanceTest,
    ::testing::Values(
        // Below the open-circuit voltage of a discharged block: debounce (3 readings) only.
        LowAfterTestRow{"below_12V_right_after_test", 11.9, false, 3, 2},
        LowAfterTestRow{"at_10V_right_after_test", 10.0, false, 3, 2},
        LowAfterTestRow{"below_12V_reading_changing_every_step", 11.9, true, 3, 2},
        // A test-sized dip: suppressed for the 2-min window, then alarmed.
        LowAfterTestRow{"12_5V_after_test_waits_the_window", 12.5, false, 123, 119},
        // The window is not re-armed by every new reading: bounded.
        LowAfterTestRow{"12_5V_reading_changing_every_step", 12.5, true, 123, 119}),
    [](const auto& info) { return std::string(info.param.name); });

// String 3 is the only string of UPS 2: a plain trip is held, a fatal condition opens it.
struct FatalRow {
  const char* name;
  double start_C;
  double ramp_K_per_h;
  int minutes;
  ProtectionState expect;
  const char* expect_rule;  // the fatal rule that opened it ("" = none)
};
class FatalOnLastString : public testing::PlantFixture,
                          public ::testing::WithParamInterface<FatalRow> {};

TEST_P(FatalOnLastString, OpensTheOnlyClosedStringOfItsUps) {
  const auto& x = GetParam();
  Engine e(site, plant);
  // The whole string warms (no single hot block, no rising current: no runaway).
  EngineOutput all;
  for (int s = 1; s <= x.minutes * 60; ++s) {
    const double t = std::round((x.start_C + x.ramp_K_per_h * s / 3600.0) * 10.0) / 10.0;
    for (int p = 1; p <= 4; ++p) set_battery(3, p, "temperature", t);
    set("ambient/1/temperature", t - 5.0);
    const auto o = run(e);
    all.events.insert(all.events.end(), o.events.begin(), o.events.end());
    all.commands.insert(all.commands.end(), o.commands.begin(), o.commands.end());
    all.derived = o.derived;
  }
  EXPECT_EQ(e.protection_state(3), x.expect) << x.name;
  const auto* trip = find(all, EventKind::string_tripped);
  if (std::string(x.expect_rule).empty()) {
    EXPECT_EQ(trip, nullptr) << trip->text;
    EXPECT_EQ(count(all, EventKind::alarm_raised, "battery_temperature_trip"), 4) << x.name;
  } else {
    ASSERT_NE(trip, nullptr) << x.name;
    EXPECT_NE(trip->text.find("LAST CLOSED STRING"), std::string::npos) << trip->text;
    EXPECT_GE(count(all, EventKind::alarm_raised, x.expect_rule), 1) << x.name;
    bool opened = false;
    for (const auto& r : relays(all)) opened = opened || (r.point == model::IoPoint{0, 3} && !r.on);
    EXPECT_TRUE(opened);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, FatalOnLastString,
    ::testing::Values(FatalRow{"steady_above_trip_is_held", 58.0, 0.0, 20,
                               ProtectionState::held_last_string, ""},
                      FatalRow{"slow_drift_above_trip_is_held", 56.0, 3.0, 20,
                               ProtectionState::held_last_string, ""},
                      FatalRow{"beyond_fatal_limit_opens", 66.0, 0.0, 1, ProtectionState::tripped,
                               "battery_temperature_fatal"},
                      FatalRow{"rising_past_trip_opens", 52.0, 24.0, 30, ProtectionState::tripped,
                               "battery_temperature_rising_past_trip"}),
    [](const auto& info) { return std::string(info.param.name); });

// String 1: float baseline 0.2 A learned for an hour, then battery 1/3 heats at ramp_K_per_h
// while the string current climbs linearly to current_end_A over the same hour.
struct RunawayEarlyRow {
  const char* name;
  double ramp_K_per_h;
  double current_end_A;
  bool expect_fire;
};
class RunawayBeforeAbsoluteLimits : public testing::PlantFixture,
                                    public ::testing::WithParamInterface<RunawayEarlyRow> {};

TEST_P(RunawayBeforeAbsoluteLimits, RisingDeltaTAndRisingFloatCurrent) {
  const auto& x = GetParam();
  Engine e(site, plant);
  run(e, 3600);
  std::optional<double> fired_C, fired_A;
  for (int s = 1; s <= 3600 && !fired_C; ++s) {
    const double t = std::round((25.0 + x.ramp_K_per_h * s / 3600.0) * 10.0) / 10.0;
    const double i = std::round((0.2 + (x.current_end_A - 0.2) * s / 3600.0) * 100.0) / 100.0;
    set_battery(1, 3, "temperature", t);
    set("string/1/current", i);
    const auto o = run(e);
    if (find(o, EventKind::alarm_raised, "string_thermal_runaway") != nullptr) {
      fired_C = t;
      fired_A = i;
      EXPECT_TRUE(static_cast<int>(derived(o, "string/1/alarm_bits")) &
                  model::kStringThermalRunaway);
      EXPECT_TRUE(static_cast<int>(derived(o, "battery/1/3/alarm_bits")) &
                  model::kBatteryThermalRunaway);
      EXPECT_EQ(e.protection_state(1), ProtectionState::tripped);
    }
  }
  EXPECT_EQ(fired_C.has_value(), x.expect_fire) << x.name;
  if (fired_C) {
    // Well before the trip limit (55 °C) and the absolute current (1 A on 100 Ah).
    EXPECT_LT(*fired_C, 45.0) << x.name;
    EXPECT_LT(*fired_A, 1.0) << x.name;
    std::printf("%s: runaway rule raised at %.1f °C, %.2f A\n", x.name, *fired_C, *fired_A);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, RunawayBeforeAbsoluteLimits,
    ::testing::Values(RunawayEarlyRow{"rising_temperature_and_current", 20.0, 0.9, true},
                      RunawayEarlyRow{"rising_temperature_flat_current", 20.0, 0.2, false},
                      RunawayEarlyRow{"rising_current_cool_blocks", 0.0, 0.9, false},
                      RunawayEarlyRow{"slow_warming_under_6K_per_h", 5.0, 0.9, false}),
    [](const auto& info) { return std::string(info.param.name); });

class EngineSafety : public testing::PlantFixture {};

TEST_F(EngineSafety, HealthyFloatStringReadsAHighBalanceIndex) {
  Engine e(site, plant);
  // A normal float scatter of 12 V blocks: 0.13 V spread.
  const double v[] = {13.55, 13.62, 13.68, 13.60};
  for (int p = 1; p <= 4; ++p) set_battery(1, p, "voltage", v[p - 1]);
  const auto o = run(e, 3);
  EXPECT_NEAR(derived(o, "string/1/spread"), 0.13, 1e-9);
  EXPECT_GT(derived(o, "string/1/balance"), 80.0);
  EXPECT_EQ(derived(o, "string/2/balance"), 100.0);  // all equal
}

struct BalanceRow {
  double stddev_V;
  int cells;
  double expect_pct;
};
class BalanceIndex : public ::testing::TestWithParam<BalanceRow> {};
TEST_P(BalanceIndex, StddevAgainstTheFloatTolerance) {
  EXPECT_NEAR(balance_index_pct(GetParam().stddev_V, GetParam().cells), GetParam().expect_pct,
              1e-9);
}
INSTANTIATE_TEST_SUITE_P(Table, BalanceIndex,
                         ::testing::Values(BalanceRow{0.0, 6, 100.0}, BalanceRow{0.06, 6, 80.0},
                                           BalanceRow{0.15, 6, 50.0}, BalanceRow{0.30, 6, 0.0},
                                           BalanceRow{0.50, 6, 0.0}, BalanceRow{0.01, 1, 80.0},
                                           BalanceRow{0.03, 3, 80.0}));

TEST_F(EngineSafety, DerivedValuesAreNeverBetterThanTheirInputs) {
  Engine e(site, plant);
  run(e, 12);
  set_battery(1, 2, "voltage", 0.0, Quality::comm_lost);
  set("string/2/current", 0.0, Quality::comm_lost);
  const auto o = run(e);
  for (const char* q : {"soc", "status", "alarm_bits"})
    EXPECT_EQ(derived_quality(o, std::string("battery/1/2/") + q), Quality::comm_lost) << q;
  EXPECT_EQ(derived_quality(o, "battery/1/1/soc"), Quality::ok);
  EXPECT_EQ(derived_quality(o, "string/2/soc"), Quality::comm_lost);
  EXPECT_EQ(derived_quality(o, "battery/2/1/soc"), Quality::comm_lost);
  EXPECT_EQ(derived_quality(o, "ups/1/soc"), Quality::comm_lost);
  EXPECT_EQ(derived_quality(o, "string/1/soc"), Quality::ok);
}

TEST_F(EngineSafety, BatteryStatusIsInitializingUntilItsBaselineIsKnown) {
  Engine e(site, plant);
  auto o = run(e);
  EXPECT_EQ(derived(o, "battery/1/1/status"),
            static_cast<double>(model::DeviceStatus::initializing));
  o = run(e, 9);  // 10 readings: baseline learned
  EXPECT_EQ(derived(o, "battery/1/1/status"), static_cast<double>(model::DeviceStatus::ok));
  EXPECT_EQ(derived(o, "string/1/status"), static_cast<double>(model::DeviceStatus::ok));
}

TEST_F(EngineSafety, RelayMismatchSaysWhatWasCommanded) {
  Engine e(site, plant);
  run(e);
  set("mc/input/2", 0.0);  // string 1 contactor fed back open, commanded closed
  const auto o = run(e, 4);
  const auto* ev = find(o, EventKind::alarm_raised, "string_relay_mismatch");
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->text, "String 1 contactor fed back open while commanded closed");
}

}  // namespace
}  // namespace btms::engine
