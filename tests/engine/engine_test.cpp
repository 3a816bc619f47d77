// Engine end to end on a hand-filled snapshot: default rules, protection, acknowledgement.
#include "engine/engine.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <optional>

#include "model/battery_rating.hpp"

#include "plant_fixture.hpp"

namespace btms::engine {
namespace {

using model::EventKind;
using model::ProtectionState;
using model::Quality;

class EngineTest : public testing::PlantFixture {};

TEST_F(EngineTest, DerivedChannelNamesFollowTheContract) {
  Engine e(site, plant);
  const auto d = e.derived_channels();
  for (const char* q :
       {"soc", "soh", "status", "alarm_bits", "resistance_baseline", "balancing_command"}) {
    EXPECT_TRUE(d->find(std::string("battery/3/4/") + q)) << q;
  }
  for (const char* q :
       {"soc", "state", "status", "alarm_bits", "balance", "spread", "stddev", "protection",
        "relay_closed", "runtime", "lowest_voltage", "lowest_voltage_battery", "highest_voltage",
        "highest_voltage_battery", "highest_temperature", "highest_temperature_battery"}) {
    EXPECT_TRUE(d->find(std::string("string/2/") + q)) << q;
  }
  for (const char* q :
       {"status", "voltage", "current", "soc", "runtime", "alarm_bits", "on_battery"}) {
    EXPECT_TRUE(d->find(std::string("ups/2/") + q)) << q;
  }
  EXPECT_TRUE(d->find("site/active_alarms"));
  EXPECT_TRUE(d->find("site/unacknowledged_alarms"));
  EXPECT_FALSE(d->find("battery/3/5/soc"));
}

TEST_F(EngineTest, HealthyPlantIsQuietAndFloats) {
  Engine e(site, plant);
  const auto o = run(e, 5);
  EXPECT_TRUE(o.events.empty()) << o.events.front().text;
  EXPECT_TRUE(relays(o).empty());
  EXPECT_TRUE(e.active_alarms().empty());
  EXPECT_EQ(derived(o, "string/1/state"), static_cast<double>(model::StringState::float_charge));
  EXPECT_EQ(derived(o, "string/1/balance"), 100.0);
  EXPECT_EQ(derived(o, "string/1/spread"), 0.0);
  EXPECT_EQ(derived(o, "string/1/relay_closed"), 1.0);
  EXPECT_EQ(derived(o, "string/1/protection"), static_cast<double>(ProtectionState::closed));
  EXPECT_EQ(derived(o, "site/active_alarms"), 0.0);
  EXPECT_EQ(derived(o, "ups/1/on_battery"), 0.0);
  EXPECT_NEAR(derived(o, "ups/1/voltage"), 4 * 13.62, 1e-9);
  EXPECT_NEAR(derived(o, "ups/1/current"), 0.4, 1e-9);
  EXPECT_EQ(derived_quality(o, "string/1/runtime"), Quality::invalid);  // not on battery
}

// The string's extremes name the battery they come from; a battery without a good reading is
// left out (its stale voltage is not the string's lowest).
TEST_F(EngineTest, StringExtremesNameTheirBatteryAndSkipBadReadings) {
  set_battery(2, 1, "voltage", 13.40);
  set_battery(2, 3, "voltage", 13.80);
  set_battery(2, 4, "voltage", 12.00, Quality::stale);
  set_battery(2, 2, "temperature", 31.5);
  Engine e(site, plant);
  const auto o = run(e, 2);
  EXPECT_DOUBLE_EQ(derived(o, "string/2/lowest_voltage"), 13.40);
  EXPECT_EQ(derived(o, "string/2/lowest_voltage_battery"), 1.0);
  EXPECT_DOUBLE_EQ(derived(o, "string/2/highest_voltage"), 13.80);
  EXPECT_EQ(derived(o, "string/2/highest_voltage_battery"), 3.0);
  EXPECT_DOUBLE_EQ(derived(o, "string/2/highest_temperature"), 31.5);
  EXPECT_EQ(derived(o, "string/2/highest_temperature_battery"), 2.0);
  EXPECT_DOUBLE_EQ(derived(o, "string/2/spread"), 13.80 - 13.40);
}

// Temperature-compensated battery voltage band: 12 V block, 6 cells, high 2.40 V/cell at 25 °C,
// low 2.18 V/cell, −3 mV/°C/cell.
struct VoltageRow {
  double voltage_V;
  double temperature_C;
  const char* expect_rule;  // "" = no alarm
};

class BatteryVoltageBand : public testing::PlantFixture,
                           public ::testing::WithParamInterface<VoltageRow> {};

TEST_P(BatteryVoltageBand, RaisesPerCompensatedLimit) {
  const auto row = GetParam();
  Engine e(site, plant);
  set_battery(1, 2, "voltage", row.voltage_V);
  set_battery(1, 2, "temperature", row.temperature_C);
  set("ambient/1/temperature", row.temperature_C);  // no ΔT alarm
  const auto o = run(e, 3);
  const auto* ev = find(o, EventKind::alarm_raised);
  if (std::string(row.expect_rule).empty()) {
    EXPECT_EQ(ev, nullptr) << ev->text;
  } else {
    ASSERT_NE(ev, nullptr);
    EXPECT_EQ(ev->rule, row.expect_rule);
    EXPECT_EQ(ev->source, "battery/1/2");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, BatteryVoltageBand,
    ::testing::Values(VoltageRow{14.39, 25.0, ""}, VoltageRow{14.41, 25.0, "battery_voltage_high"},
                      VoltageRow{14.30, 35.0, "battery_voltage_high"},  // 14.48 at 25 °C
                      VoltageRow{14.45, 15.0, ""},                      // 14.27 at 25 °C
                      VoltageRow{13.09, 25.0, ""}, VoltageRow{13.07, 25.0, "battery_voltage_low"},
                      VoltageRow{13.15, 15.0, "battery_voltage_low"}));  // 12.97 at 25 °C

TEST_F(EngineTest, VoltageHighRaisesAfterDebounceAndClearsAfterOffDelay) {
  Engine e(site, plant);
  set_battery(1, 2, "voltage", 14.6);
  EXPECT_EQ(count(run(e, 2), EventKind::alarm_raised), 0);
  auto o = run(e);
  ASSERT_EQ(count(o, EventKind::alarm_raised, "battery_voltage_high"), 1);
  const auto* ev = find(o, EventKind::alarm_raised);
  EXPECT_EQ(ev->text, "Battery 1/2 voltage 14.600 V above high limit 14.4 V");
  EXPECT_EQ(ev->severity, model::Severity::alarm);
  EXPECT_DOUBLE_EQ(ev->value, 14.6);
  EXPECT_EQ(static_cast<int>(derived(o, "battery/1/2/alarm_bits")), model::kBatteryVoltageHigh);
  EXPECT_TRUE(static_cast<int>(derived(o, "string/1/alarm_bits")) & model::kStringBatteryAlarm);
  EXPECT_EQ(derived(o, "site/active_alarms"), 1.0);
  // The list keeps the raising value apart from the current one, with unit and limit.
  set_battery(1, 2, "voltage", 14.5);
  run(e);
  const auto listed = e.active_alarms();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_DOUBLE_EQ(listed[0].raised_value, 14.6);
  EXPECT_DOUBLE_EQ(listed[0].value, 14.5);
  EXPECT_EQ(listed[0].unit, "V");
  ASSERT_TRUE(listed[0].limit.has_value());
  EXPECT_DOUBLE_EQ(*listed[0].limit, 14.4);
  set_battery(1, 2, "voltage", 13.62);
  EXPECT_EQ(count(run(e, 2), EventKind::alarm_cleared), 0);  // 3 readings needed and 2 s
  o = run(e);
  EXPECT_EQ(count(o, EventKind::alarm_cleared, "battery_voltage_high"), 1);
  EXPECT_EQ(derived(o, "battery/1/2/alarm_bits"), 0.0);
}

// The engine steps once per bus publish: at 32 strings, 32 times a second. A reading that
// came once must count once, however often the engine steps before the next one; otherwise a
// single out-of-limit reading would pass a debounce of 3 within 100 ms.
TEST_F(EngineTest, OneReadingCountsOnceHoweverOftenTheEngineSteps) {
  Engine e(site, plant);
  run(e);
  now_ms += 30;
  set_battery(1, 2, "voltage", 14.6);  // one new reading, stamped now
  int raised = 0;
  for (int i = 0; i < 100; ++i) {  // 3 s of steps 30 ms apart, the other buses publishing
    raised += count(e.step(snap, now_ms), EventKind::alarm_raised);
    now_ms += 30;
  }
  EXPECT_EQ(raised, 0);
  // Two more readings, a second apart: the third reading raises.
  EXPECT_EQ(count(run(e), EventKind::alarm_raised), 0);
  EXPECT_EQ(count(run(e), EventKind::alarm_raised, "battery_voltage_high"), 1);
}

// A device that stops answering keeps its last reading's time; the change of quality alone
// makes the string evaluated again.
TEST_F(EngineTest, AQualityChangeWithoutANewTimeIsEvaluated) {
  Engine e(site, plant);
  run(e);
  const auto id = *plant.directory->find("battery/1/3/voltage");
  snap.samples[id].quality = model::Quality::comm_lost;  // same time_ms as before
  now_ms += 30;
  const auto o = e.step(snap, now_ms);
  EXPECT_EQ(derived_quality(o, "battery/1/3/soc"), model::Quality::comm_lost);
}

TEST_F(EngineTest, LowVoltageSuppressedDuringDischargeUntilRecovery) {
  Engine e(site, plant);
  set("string/1/current", -30.0);
  for (int p = 1; p <= 4; ++p) set_battery(1, p, "voltage", 12.4 - 0.05 * p);
  set("string/1/voltage", 4 * 12.3);
  auto o = run(e, 10);
  EXPECT_EQ(count(o, EventKind::discharge_started), 1);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "battery_voltage_low"), 0);
  EXPECT_EQ(derived(o, "string/1/state"), static_cast<double>(model::StringState::discharge));
  EXPECT_EQ(derived(o, "ups/1/on_battery"), 1.0);
  EXPECT_EQ(derived_quality(o, "string/1/runtime"), Quality::ok);
  // Charger back: recharge current, voltage back to float.
  set("string/1/current", 5.0);
  for (int p = 1; p <= 4; ++p) set_battery(1, p, "voltage", 13.62);
  set("string/1/voltage", 4 * 13.62);
  o = run(e, 5);
  EXPECT_EQ(count(o, EventKind::discharge_ended), 1);
  EXPECT_EQ(count(o, EventKind::alarm_raised), 0);
  const auto rec = e.last_discharge(1);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->weakest_position, 4);
  EXPECT_NEAR(rec->min_battery_voltage_V[3], 12.2, 1e-9);
  EXPECT_NEAR(rec->ah_out, 30.0 * 10.0 / 3600.0, 0.01);
  // On float a low battery is alarmed.
  set_battery(1, 3, "voltage", 12.9);
  o = run(e, 3);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "battery_voltage_low"), 1);
}

struct TempRow {
  double temperature_C;
  std::vector<std::string> rules;
};
class BatteryTemperature : public testing::PlantFixture,
                           public ::testing::WithParamInterface<TempRow> {};

TEST_P(BatteryTemperature, TiersAndDeltaT) {
  Engine e(site, plant);
  set_battery(1, 1, "temperature", GetParam().temperature_C);
  const auto o = run(e, 3);
  std::vector<std::string> raised;
  for (const auto& ev : o.events) {
    if (ev.kind == EventKind::alarm_raised) raised.push_back(ev.rule);
  }
  EXPECT_EQ(raised, GetParam().rules);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BatteryTemperature,
    ::testing::Values(TempRow{35.0, {}},
                      TempRow{35.1, {"battery_temperature_warning", "battery_delta_t_ambient"}},
                      TempRow{20.0, {}},
                      TempRow{45.5,
                              {"battery_temperature_warning", "battery_temperature_alarm",
                               "battery_delta_t_ambient"}},
                      TempRow{55.5,
                              {"battery_temperature_warning", "battery_temperature_alarm",
                               "battery_temperature_trip", "battery_delta_t_ambient"}}));

TEST_F(EngineTest, TripOpensStringLatchesAndResetIsRefusedWhileHot) {
  Engine e(site, plant);
  set_battery(1, 3, "temperature", 60.0);
  auto o = run(e, 3);
  ASSERT_EQ(relays(o).size(), 1u);
  EXPECT_EQ(relays(o)[0].point, (model::IoPoint{0, 1}));
  EXPECT_FALSE(relays(o)[0].on);
  EXPECT_EQ(count(o, EventKind::string_tripped), 1);
  EXPECT_EQ(e.protection_state(1), ProtectionState::tripped);
  set("mc/input/2", 0.0);  // contactor opens
  o = run(e);
  EXPECT_EQ(derived(o, "string/1/state"), static_cast<double>(model::StringState::disconnected));
  EXPECT_EQ(derived(o, "string/1/relay_closed"), 0.0);
  auto r = e.reset_string(1, "alice", "checked", now_ms);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("persists"), std::string::npos);
  set_battery(1, 3, "temperature", 30.0);
  set("ambient/1/temperature", 30.0);
  run(e, 5);  // condition gone (debounce 3, off delay 2 s), but the trip alarm is latched
  EXPECT_EQ(e.protection_state(1), ProtectionState::tripped);
  EXPECT_FALSE(e.reset_string(1, "alice", "cell replaced", now_ms).ok);  // not acknowledged yet
  EXPECT_TRUE(e.acknowledge("battery/1/3:battery_temperature_trip", "alice", now_ms).ok);
  o = run(e);
  EXPECT_EQ(count(o, EventKind::alarm_cleared, "battery_temperature_trip"), 1);
  EXPECT_EQ(e.protection_state(1), ProtectionState::tripped);  // the trip itself stays latched
  EXPECT_FALSE(e.reset_string(1, "alice", "", now_ms).ok);
  r = e.reset_string(1, "alice", "cell replaced", now_ms);
  EXPECT_TRUE(r.ok) << r.message;
  o = run(e);
  ASSERT_EQ(relays(o).size(), 1u);
  EXPECT_TRUE(relays(o)[0].on);
  const auto* ev = find(o, EventKind::string_reset);
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->user, "alice");
  EXPECT_NE(ev->text.find("cell replaced"), std::string::npos);
  EXPECT_EQ(e.protection_state(1), ProtectionState::closed);
}

TEST_F(EngineTest, LastStringOfUpsIsHeldOnAnOrdinaryTrip) {
  Engine e(site, plant);
  set_battery(3, 1, "temperature", 60.0);
  const auto o = run(e, 3);
  EXPECT_TRUE(relays(o).empty());
  EXPECT_EQ(e.protection_state(3), ProtectionState::held_last_string);
  EXPECT_EQ(derived(o, "string/3/protection"),
            static_cast<double>(ProtectionState::held_last_string));
  EXPECT_EQ(count(o, EventKind::string_tripped), 0);
}

TEST_F(EngineTest, SecondStringOfUpsIsNotOpenedWhenFirstIsAlreadyOpen) {
  Engine e(site, plant);
  set_battery(1, 1, "temperature", 60.0);
  set_battery(2, 1, "temperature", 60.0);
  run(e, 3);
  EXPECT_EQ(e.protection_state(1), ProtectionState::tripped);
  EXPECT_EQ(e.protection_state(2), ProtectionState::held_last_string);
}

TEST_F(EngineTest, ThermalRunawayOpensEvenTheLastStringAfterTheHoldTime) {
  Engine e(site, plant);
  set_battery(3, 2, "temperature", 37.0);  // 12 K above ambient, below the trip temperature
  set("string/3/current", 3.0);            // float current well above normal (1 A)
  // Just started: the ΔT trend is not known yet, so hot + current is enough (fail-safe).
  auto o = run(e, 59);
  EXPECT_EQ(count(o, EventKind::string_tripped), 0);
  o = run(e, 2);
  const auto* ev = find(o, EventKind::string_tripped);
  ASSERT_NE(ev, nullptr);
  EXPECT_NE(ev->text.find("LAST CLOSED STRING"), std::string::npos) << ev->text;
  EXPECT_NE(ev->text.find("thermal runaway"), std::string::npos) << ev->text;
  ASSERT_EQ(relays(o).size(), 1u);
  EXPECT_EQ(relays(o)[0].point, (model::IoPoint{0, 3}));
  EXPECT_TRUE(static_cast<int>(derived(o, "battery/3/2/alarm_bits")) &
              model::kBatteryThermalRunaway);
  EXPECT_TRUE(static_cast<int>(derived(o, "string/3/alarm_bits")) & model::kStringThermalRunaway);
}

// Once ΔT has been watched for a window (10 min), a runaway needs ΔT RISING (≥ 6 K/h).
struct RunawayRow {
  const char* name;
  double start_C;       // battery temperature while the engine watches (ambient 25 °C)
  double ramp_K_per_h;  // from the 11th minute on
  double current_A;     // string 3 current from the 11th minute on
  bool expect_trip;
};
class RunawayTrend : public testing::PlantFixture,
                     public ::testing::WithParamInterface<RunawayRow> {};

TEST_P(RunawayTrend, NeedsRisingDeltaT) {
  const auto row = GetParam();
  Engine e(site, plant);
  set_battery(3, 2, "temperature", row.start_C);
  set("string/3/current", 0.2);  // float current: no runaway while watching
  run(e, 11 * 60);
  set("string/3/current", row.current_A);
  std::optional<int> trip_s;
  for (int t = 1; t <= 20 * 60 && !trip_s; ++t) {
    set_battery(3, 2, "temperature", row.start_C + row.ramp_K_per_h * t / 3600.0);
    if (count(run(e), EventKind::string_tripped) > 0) trip_s = t;
  }
  EXPECT_EQ(trip_s.has_value(), row.expect_trip) << row.name;
  if (row.expect_trip && trip_s) {
    // The averages need a while to see a ramp that starts from steady (30 K/h: ≈ 265 s), then
    // the hold (60 s).
    EXPECT_GE(*trip_s, 60 + 200) << row.name;
    EXPECT_LE(*trip_s, 60 + 300) << row.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, RunawayTrend,
    ::testing::Values(RunawayRow{"steady 12 K", 37.0, 0.0, 3.0, false},
                      RunawayRow{"slow 3 K/h", 37.0, 3.0, 3.0, false},
                      RunawayRow{"rising 30 K/h", 37.0, 30.0, 3.0, true},
                      RunawayRow{"rising without current", 37.0, 30.0, 0.2, false},
                      RunawayRow{"rising but not hot", 25.0, 20.0, 3.0, false}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (auto& c : n) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return n;
    });

TEST_F(EngineTest, NoRunawayWithoutCurrent) {
  Engine e(site, plant);
  set_battery(3, 2, "temperature", 37.0);
  auto o = run(e, 70);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "string_thermal_runaway"), 0);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "battery_delta_t_ambient"), 1);
}

TEST_F(EngineTest, RelayMismatchWhenContactorDoesNotOpen) {
  Engine e(site, plant);
  set_battery(1, 3, "temperature", 60.0);
  auto o = run(e, 3);
  ASSERT_EQ(count(o, EventKind::string_tripped), 1);
  o = run(e, 1);
  EXPECT_EQ(count(o, EventKind::relay_mismatch), 0);
  o = run(e, 2);
  EXPECT_EQ(count(o, EventKind::relay_mismatch), 1);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "string_relay_mismatch"), 1);
  EXPECT_TRUE(static_cast<int>(derived(o, "string/1/alarm_bits")) & model::kStringRelayMismatch);
}

struct InsulationRow {
  double r_kOhm;
  std::vector<std::string> rules;
};
class Insulation : public testing::PlantFixture,
                   public ::testing::WithParamInterface<InsulationRow> {};

TEST_P(Insulation, OhmPerVolt) {
  Engine e(site, plant);  // string voltage 54.48 V
  set("string/2/insulation_neg", GetParam().r_kOhm);
  const auto o = run(e, 3);
  std::vector<std::string> raised;
  for (const auto& ev : o.events) {
    if (ev.kind == EventKind::alarm_raised) raised.push_back(ev.rule);
  }
  EXPECT_EQ(raised, GetParam().rules);
}

INSTANTIATE_TEST_SUITE_P(
    Table, Insulation,
    ::testing::Values(
        InsulationRow{5.5, {}},                                                        // 101 Ω/V
        InsulationRow{5.4, {"string_insulation_warning"}},                             // 99 Ω/V
        InsulationRow{2.6, {"string_insulation_warning", "string_insulation_alarm"}},  // 47.7 Ω/V
        InsulationRow{2.8, {"string_insulation_warning"}},                             // 51 Ω/V
        InsulationRow{2.7,
                      {"string_insulation_warning", "string_insulation_alarm"}}));  // 2.7: 49.6 Ω/V

TEST_F(EngineTest, InsulationClearsOnlyTwentyFivePercentAboveResponse) {
  Engine e(site, plant);
  set("string/2/insulation_pos", 5.0);  // 91.8 Ω/V
  EXPECT_EQ(count(run(e, 3), EventKind::alarm_raised, "string_insulation_warning"), 1);
  set("string/2/insulation_pos", 6.5);  // 119 Ω/V: inside the hysteresis band
  EXPECT_EQ(count(run(e, 10), EventKind::alarm_cleared), 0);
  set("string/2/insulation_pos", 6.9);  // 126.7 Ω/V
  EXPECT_EQ(count(run(e, 3), EventKind::alarm_cleared, "string_insulation_warning"), 1);
}

TEST_F(EngineTest, ResistanceAgainstLearnedBaseline) {
  Engine e(site, plant);
  auto o = run(e, 10);  // baseline 4.0 mΩ from the first 10 readings
  EXPECT_NEAR(derived(o, "battery/2/1/resistance_baseline"), 4.0, 1e-9);
  EXPECT_NEAR(derived(o, "battery/2/1/soh"), 100.0, 1e-9);
  set_battery(2, 1, "resistance", 4.9);  // +22.5 %
  o = run(e, 3);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "battery_resistance_warning"), 1);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "battery_resistance_alarm"), 0);
  set_battery(2, 1, "resistance", 6.1);  // +52.5 %
  o = run(e, 3);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "battery_resistance_alarm"), 1);
  EXPECT_NEAR(derived(o, "battery/2/1/soh"), 100.0 - 40.0 * 0.525, 1e-9);
  // New battery: relearn the baseline from the new readings.
  EXPECT_TRUE(e.reset_resistance_baseline(2, 1).ok);
  // An unknown string or position is named, not silently accepted.
  EXPECT_EQ(e.reset_resistance_baseline(99, 1).status, btms::engine::ActionStatus::not_found);
  EXPECT_EQ(e.reset_resistance_baseline(2, 9999).status, btms::engine::ActionStatus::not_found);
  EXPECT_EQ(e.reset_resistance_baseline(2, -1).status, btms::engine::ActionStatus::not_found);
  set_battery(2, 1, "resistance", 3.0);
  o = run(e, 10);
  EXPECT_NEAR(derived(o, "battery/2/1/resistance_baseline"), 3.0, 1e-9);
  o = run(e, 3);
  EXPECT_EQ(count(o, EventKind::alarm_cleared, "battery_resistance_alarm"), 1);
}

TEST_F(EngineTest, ResistanceIgnoredUntilBaselineKnown) {
  Engine e(site, plant);
  set_battery(2, 1, "resistance", 9.0);
  const auto o = run(e, 9);
  EXPECT_EQ(count(o, EventKind::alarm_raised), 0);
  EXPECT_EQ(derived_quality(o, "battery/2/1/resistance_baseline"), Quality::invalid);
}

TEST_F(EngineTest, CommLostIsAnAlarmNeverATrip) {
  Engine e(site, plant);
  set_battery(3, 4, "voltage", 0.0, Quality::comm_lost);
  set_battery(3, 4, "temperature", 0.0, Quality::comm_lost);
  set_battery(3, 4, "resistance", 0.0, Quality::comm_lost);
  auto o = run(e, 4);
  EXPECT_EQ(count(o, EventKind::alarm_raised), 0);  // 5 s delay
  o = run(e, 2);
  const auto* ev = find(o, EventKind::alarm_raised, "battery_comm_lost");
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->severity, model::Severity::alarm);
  EXPECT_TRUE(static_cast<int>(derived(o, "string/3/alarm_bits")) & model::kStringCommLost);
  run(e, 100);
  EXPECT_EQ(e.protection_state(3), ProtectionState::closed);
}

TEST_F(EngineTest, CurrentSensorInvalid) {
  Engine e(site, plant);
  set("string/1/current", 0.0, Quality::invalid);
  auto o = run(e, 6);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "string_current_sensor_invalid"), 1);
  EXPECT_EQ(derived(o, "string/1/state"), static_cast<double>(model::StringState::abnormal));
  EXPECT_TRUE(static_cast<int>(derived(o, "string/1/alarm_bits")) &
              model::kStringCurrentSensorDisconnected);
}

struct CurrentRow {
  double current_A;
  std::vector<std::string> rules;
};
class StringCurrent : public testing::PlantFixture,
                      public ::testing::WithParamInterface<CurrentRow> {};

TEST_P(StringCurrent, Limits) {
  Engine e(site, plant);
  set("string/2/current", GetParam().current_A);
  const auto o = run(e, 3);
  std::vector<std::string> raised;
  for (const auto& ev : o.events) {
    if (ev.kind == EventKind::alarm_raised) raised.push_back(ev.rule);
  }
  EXPECT_EQ(raised, GetParam().rules);
}

INSTANTIATE_TEST_SUITE_P(Table, StringCurrent,
                         ::testing::Values(CurrentRow{25.0, {}},
                                           CurrentRow{25.1, {"string_current_high"}},
                                           CurrentRow{-400.0, {}},  // 4 C10 of 100 Ah
                                           CurrentRow{-400.1, {"string_current_low"}}));

TEST_F(EngineTest, StringVoltageLimits) {
  Engine e(site, plant);
  set("string/2/voltage", 24 * 2.46);
  EXPECT_EQ(count(run(e, 3), EventKind::alarm_raised, "string_voltage_high"), 1);
  set("string/2/voltage", 24 * 1.74);
  EXPECT_EQ(count(run(e, 6), EventKind::alarm_raised, "string_voltage_low"), 1);
}

TEST_F(EngineTest, DigitalInputAndWatchdog) {
  Engine e(site, plant);
  set("mc/input/1", 1.0);
  set("mc/watchdog_tripped", 1.0);
  auto o = run(e, 1, 400);  // first reading of the active input
  o = run(e, 1, 499);
  EXPECT_EQ(count(o, EventKind::alarm_raised), 0);  // 500 ms debounce
  o = run(e, 1, 1);
  const auto* ev = find(o, EventKind::alarm_raised, "digital_input");
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->source, "mc/input/1");
  EXPECT_NE(ev->text.find("Battery room door open"), std::string::npos);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "mc_watchdog_tripped"), 1);
}

TEST_F(EngineTest, AcknowledgeFlowsThroughNextStep) {
  Engine e(site, plant);
  set_battery(1, 2, "voltage", 14.6);
  auto o = run(e, 3);
  EXPECT_EQ(derived(o, "site/unacknowledged_alarms"), 1.0);
  EXPECT_FALSE(e.acknowledge("battery/1/2:nope", "bob", now_ms).ok);
  EXPECT_FALSE(e.acknowledge("battery/1/3:battery_voltage_high", "bob", now_ms).ok);  // not active
  const auto alarms = e.active_alarms();
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].key, "battery/1/2:battery_voltage_high");
  EXPECT_NEAR(alarms[0].value, 14.6, 1e-9);
  EXPECT_TRUE(e.acknowledge(alarms[0].key, "bob", now_ms).ok);
  o = run(e);
  const auto* ev = find(o, EventKind::alarm_acknowledged);
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->user, "bob");
  EXPECT_EQ(derived(o, "site/unacknowledged_alarms"), 0.0);
  EXPECT_EQ(derived(o, "site/active_alarms"), 1.0);
  EXPECT_TRUE(e.active_alarms()[0].acknowledged);
}

TEST_F(EngineTest, StringSocLowDuringLongDischarge) {
  Engine e(site, plant);
  set("string/2/current", -100.0);  // 1 C on 100 Ah: 50 % gone after 30 min
  for (int p = 1; p <= 4; ++p) set_battery(2, p, "voltage", 12.2);
  set("string/2/voltage", 4 * 12.2);
  auto o = run(e, 29, 60'000);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "string_soc_low"), 0);
  o = run(e, 4, 60'000);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "string_soc_low"), 1);
  EXPECT_TRUE(static_cast<int>(derived(o, "string/2/alarm_bits")) & model::kStringSocLow);
  // Runtime at the present load and rate (model/battery_rating.hpp): string 2 alone at 100 A,
  // and UPS 1 with the full string 1 in parallel, the load shared (50 A each).
  const double soc2 = derived(o, "string/2/soc");
  const model::BatteryType type;
  EXPECT_NEAR(derived(o, "string/2/runtime"),
              model::runtime_to_end_voltage_s(type, 100.0, 25.0, soc2 / 100.0) / 60.0, 1e-9);
  EXPECT_LT(derived(o, "string/2/runtime"), soc2 / 100.0 * 100.0 / 100.0 * 60.0);
  EXPECT_NEAR(derived(o, "ups/1/runtime"),
              (1.0 + soc2 / 100.0) * model::capacity_at_rate_Ah(type, 50.0, 25.0) / 100.0 * 60.0,
              1e-9);
}

TEST_F(EngineTest, EventIdsIncrease) {
  Engine e(site, plant);
  set_battery(1, 2, "voltage", 14.6);
  set_battery(1, 1, "temperature", 60.0);
  const auto o = run(e, 4);
  ASSERT_GT(o.events.size(), 3u);
  for (std::size_t i = 1; i < o.events.size(); ++i) EXPECT_GT(o.events[i].id, o.events[i - 1].id);
  EXPECT_EQ(o.events.front().id, 1u);
}

TEST_F(EngineTest, EventIdsContinueFromConfiguredStart) {
  EngineConfig cfg;
  cfg.first_event_id = 5000;
  Engine e(site, plant, cfg);
  set_battery(1, 2, "voltage", 14.6);
  const auto o = run(e, 3);
  ASSERT_FALSE(o.events.empty());
  EXPECT_EQ(o.events.front().id, 5000u);
}

TEST_F(EngineTest, PerStringOverride) {
  EngineConfig cfg;
  cfg.per_string[2] = cfg.defaults;
  cfg.per_string[2].battery.temperature_warning_C = 30.0;
  Engine e(site, plant, cfg);
  set_battery(1, 1, "temperature", 31.0);
  set_battery(2, 1, "temperature", 31.0);
  const auto o = run(e, 3);
  ASSERT_EQ(count(o, EventKind::alarm_raised, "battery_temperature_warning"), 1);
  EXPECT_EQ(find(o, EventKind::alarm_raised, "battery_temperature_warning")->source, "battery/2/1");
}

TEST_F(EngineTest, EqualizationOnFloatOffOnDischarge) {
  Engine e(site, plant);
  set_battery(2, 2, "voltage", 13.70);  // mean 13.64: 60 mV above
  auto o = run(e);
  auto b = balancing(o);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].string_id, 2);
  EXPECT_EQ(b[0].position, 2);
  EXPECT_TRUE(b[0].on);
  EXPECT_EQ(derived(o, "battery/2/2/balancing_command"), 1.0);
  EXPECT_TRUE(balancing(run(e)).empty());  // no repeat while nothing changes
  set("string/2/current", -20.0);
  b = balancing(run(e));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_FALSE(b[0].on);
}

TEST(EngineConstruction, KeepsItsOwnCopyOfTheTopology) {
  std::unique_ptr<Engine> e;
  model::Snapshot snap;
  {
    const auto site = testing::make_site();
    const auto plant = model::build_plant_channels(site);
    e = std::make_unique<Engine>(site, plant);
    snap.channels = plant.directory;
    snap.samples.assign(plant.directory->size(), model::Sample{1.0, 0, Quality::ok});
  }
  const auto o = e->step(snap, 1000);  // site and plant are gone: must not matter (ASan)
  ASSERT_NE(o.derived, nullptr);
  EXPECT_EQ(o.derived->samples.size(), e->derived_channels()->size());
}

TEST_F(EngineTest, UnknownStringIsRefused) {
  Engine e(site, plant);
  const auto r = e.reset_string(9, "alice", "why", now_ms);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("unknown string"), std::string::npos);
  EXPECT_THROW((void)e.protection_state(9), std::invalid_argument);
  EXPECT_FALSE(e.last_discharge(9).has_value());
}

TEST(EngineConstruction, UnknownBatteryTypeIsRejected) {
  auto site = testing::make_site();
  site.strings[0].battery_type = "nope";
  const auto plant = model::build_plant_channels(site);
  EXPECT_THROW(Engine(site, plant), std::invalid_argument);
}

}  // namespace
}  // namespace btms::engine
