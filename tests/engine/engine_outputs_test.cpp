// Alarm-driven relay outputs, float alarm suppression after a resistance test, SOH low.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "engine/engine.hpp"
#include "plant_fixture.hpp"

namespace btms::engine {
namespace {

using model::EventKind;
using model::IoPoint;
using Trigger = AlarmOutputTrigger;

EngineConfig with_outputs() {
  EngineConfig c;
  c.alarm_outputs = {{IoPoint{0, 5}, Trigger::common_alarm},
                     {IoPoint{0, 6}, Trigger::common_warning},
                     {IoPoint{0, 7}, Trigger::unacknowledged},
                     {IoPoint{0, 8}, Trigger::trip},
                     {IoPoint{0, 9}, Trigger::ventilation}};
  return c;
}

class AlarmOutputs : public testing::PlantFixture {
 protected:
  // Relay index -> last commanded state, from the commands of `o` over `state`.
  static void apply(const EngineOutput& o, std::map<int, bool>& state) {
    for (const auto& r : relays(o)) {
      if (r.point.index >= 5) state[r.point.index] = r.on;
    }
  }
  static std::set<int> on(const std::map<int, bool>& state) {
    std::set<int> s;
    for (const auto& [k, v] : state) {
      if (v) s.insert(k);
    }
    return s;
  }
};

TEST_F(AlarmOutputs, FirstStepSetsEveryOutputThenOnlyChanges) {
  Engine e(site, plant, with_outputs());
  auto o = run(e);
  std::map<int, bool> state;
  apply(o, state);
  EXPECT_EQ(state.size(), 5u);
  EXPECT_TRUE(on(state).empty());
  EXPECT_TRUE(relays(run(e, 3)).empty());  // nothing changed: nothing sent
}

struct OutputRow {
  const char* name;
  std::map<std::string, double> channels;  // plant values to set
  std::set<int> expect_on;
};
class OutputTriggers : public AlarmOutputs, public ::testing::WithParamInterface<OutputRow> {};

TEST_P(OutputTriggers, DrivenByTheirTrigger) {
  Engine e(site, plant, with_outputs());
  std::map<int, bool> state;
  apply(run(e), state);
  for (const auto& [name, v] : GetParam().channels) set(name, v);
  apply(run(e, 4), state);
  EXPECT_EQ(on(state), GetParam().expect_on) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, OutputTriggers,
    ::testing::Values(
        OutputRow{"door", {{"mc/input/1", 1.0}}, {5, 7}},
        OutputRow{"temperature_warning",
                  {{"ambient/1/temperature", 30.0}, {"battery/1/2/temperature", 36.0}},
                  {6, 7, 9}},
        OutputRow{"delta_t_and_warning", {{"battery/1/2/temperature", 36.0}}, {5, 6, 7, 9}},
        OutputRow{"delta_t_below_limit", {{"battery/1/2/temperature", 34.0}}, {}},  // ΔT 9 K
        OutputRow{"trip",
                  {{"ambient/1/temperature", 50.0}, {"battery/2/2/temperature", 60.0}},
                  {5, 6, 7, 8, 9}},
        OutputRow{"insulation_warning",
                  {{"string/1/insulation_pos", 4.0}},  // 4 kΩ / 54.5 V = 73 Ω/V
                  {6, 7}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(AlarmOutputs, SirenIsSilencedByAcknowledgementOthersStay) {
  Engine e(site, plant, with_outputs());
  std::map<int, bool> state;
  apply(run(e), state);
  set("mc/input/1", 1.0);
  apply(run(e, 2), state);
  ASSERT_EQ(on(state), (std::set<int>{5, 7}));
  ASSERT_TRUE(e.acknowledge("*", "ann", now_ms).ok);
  const auto o = run(e);
  ASSERT_EQ(relays(o).size(), 1u);  // only the siren changes
  EXPECT_EQ(relays(o)[0].point, (IoPoint{0, 7}));
  EXPECT_FALSE(relays(o)[0].on);
  // A new alarm sounds it again.
  set_battery(2, 1, "voltage", 14.8);
  apply(run(e, 3), state);
  EXPECT_EQ(on(state), (std::set<int>{5, 7}));
  // Everything gone: all off.
  set("mc/input/1", 0.0);
  set_battery(2, 1, "voltage", 13.62);
  apply(run(e, 4), state);
  EXPECT_TRUE(on(state).empty());
}

TEST_F(AlarmOutputs, SetConfigReleasesOutputsNoLongerConfigured) {
  Engine e(site, plant, with_outputs());
  set("mc/input/1", 1.0);
  run(e, 2);
  EngineConfig c = e.config();
  c.alarm_outputs = {{IoPoint{0, 5}, Trigger::common_alarm}};  // 7 (siren, on) dropped
  e.set_config(c);
  const auto o = run(e);
  ASSERT_EQ(relays(o).size(), 1u);
  EXPECT_EQ(relays(o)[0].point, (IoPoint{0, 7}));
  EXPECT_FALSE(relays(o)[0].on);
}

struct ProblemRow {
  const char* name;
  std::vector<AlarmOutput> outputs;
  const char* problem;  // "" = fine
};
class AlarmOutputValidation : public testing::PlantFixture,
                              public ::testing::WithParamInterface<ProblemRow> {};

TEST_P(AlarmOutputValidation, AgainstTheSite) {
  const auto& row = GetParam();
  const auto problems = alarm_output_problems(row.outputs, site);
  EngineConfig c;
  c.alarm_outputs = row.outputs;
  if (std::string(row.problem).empty()) {
    EXPECT_TRUE(problems.empty()) << problems.front();
    EXPECT_NO_THROW(Engine(site, plant, c));
  } else {
    ASSERT_EQ(problems.size(), 1u) << row.name;
    EXPECT_NE(problems[0].find(row.problem), std::string::npos) << problems[0];
    EXPECT_THROW(Engine(site, plant, c), std::invalid_argument);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, AlarmOutputValidation,
    ::testing::Values(
        ProblemRow{"fine", {{IoPoint{0, 16}, Trigger::trip}}, ""},
        ProblemRow{
            "disconnect_relay", {{IoPoint{0, 3}, Trigger::trip}}, "disconnect relay of string 3"},
        ProblemRow{"index_high", {{IoPoint{0, 17}, Trigger::trip}}, "outside 1..16"},
        ProblemRow{"index_zero", {{IoPoint{0, 0}, Trigger::trip}}, "outside 1..16"},
        ProblemRow{"no_such_lc", {{IoPoint{1, 2}, Trigger::trip}}, "no such BM-LC"},
        ProblemRow{"twice",
                   {{IoPoint{0, 9}, Trigger::trip}, {IoPoint{0, 9}, Trigger::ventilation}},
                   "already driven by alarm_outputs.0"}),
    [](const auto& info) { return std::string(info.param.name); });

// Float alarms after a resistance test: suppressed for resistance_test_suppression_ms from the
// step that sees a new resistance reading.
struct SuppressionRow {
  int raise_after_test_s;  // voltage out of band from this second after the test on
  int expect_raised_at_s;  // -1 = not within the run
};
class ResistanceTestSuppression : public testing::PlantFixture,
                                  public ::testing::WithParamInterface<SuppressionRow> {};

TEST_P(ResistanceTestSuppression, WindowEdges) {
  EngineConfig c;
  c.defaults.battery.resistance_test_suppression_ms = 60'000;
  Engine e(site, plant, c);
  run(e, 3);
  set_battery(1, 2, "resistance", 4.1);  // a new measurement: the test ran
  run(e);                                // t = 0 s after the test
  std::optional<int> raised_s;
  for (int t = 1; t <= 120 && !raised_s; ++t) {
    if (t == GetParam().raise_after_test_s) set_battery(1, 2, "voltage", 14.6);
    if (count(run(e), EventKind::alarm_raised, "battery_voltage_high") > 0) raised_s = t;
  }
  if (GetParam().expect_raised_at_s < 0) {
    EXPECT_FALSE(raised_s.has_value());
  } else {
    ASSERT_TRUE(raised_s.has_value());
    EXPECT_EQ(*raised_s, GetParam().expect_raised_at_s);
  }
}

// Debounce 3: three good readings; the first unsuppressed reading is at 60 s.
INSTANTIATE_TEST_SUITE_P(Table, ResistanceTestSuppression,
                         ::testing::Values(SuppressionRow{1, 62}, SuppressionRow{58, 62},
                                           SuppressionRow{60, 62}, SuppressionRow{61, 63},
                                           SuppressionRow{100, 102}));

class Soh : public testing::PlantFixture {};
class FloatSuppression : public testing::PlantFixture {};

// The BM-CS measures every 5 min: with the default 2 min window a lasting over-voltage is
// alarmed at most 2 min + the debounce after a test, never hidden.
TEST_F(FloatSuppression, RoutineTestsDelayButNeverHideAFloatAlarm) {
  Engine e(site, plant);
  run(e, 3);
  set_battery(1, 2, "voltage", 14.6);
  std::optional<int> raised_s;
  for (int t = 1; t <= 900 && !raised_s; ++t) {
    if (t % 300 == 1) set_battery(1, 2, "resistance", 4.0 + 0.001 * t);  // a routine test
    if (count(run(e), EventKind::alarm_raised, "battery_voltage_high") > 0) raised_s = t;
  }
  ASSERT_TRUE(raised_s.has_value());
  EXPECT_EQ(*raised_s, 1 + 120 + 2);
}

TEST_F(FloatSuppression, SameReadingAfterALossIsNoTest) {
  EngineConfig c;
  c.defaults.battery.resistance_test_suppression_ms = 60'000;
  Engine e(site, plant, c);
  run(e, 3);
  set_battery(1, 2, "resistance", 4.0, model::Quality::comm_lost);  // lost, then the same
  run(e);
  set_battery(1, 2, "resistance", 4.0);
  set_battery(1, 2, "voltage", 14.6);
  EXPECT_EQ(count(run(e, 3), EventKind::alarm_raised, "battery_voltage_high"), 1);
}

TEST_F(Soh, LowFromResistanceAgainstBaseline) {
  Engine e(site, plant);
  run(e, 10);                            // baseline 4.0 mΩ learned
  set_battery(2, 3, "resistance", 6.1);  // +52.5 %: SOH 79 %
  const auto o = run(e, 3);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "battery_soh_low"), 1);
  EXPECT_NEAR(derived(o, "battery/2/3/soh"), 79.0, 1e-9);
  EXPECT_TRUE(static_cast<int>(derived(o, "battery/2/3/alarm_bits")) & model::kBatterySohLow);
  EXPECT_TRUE(static_cast<int>(derived(o, "string/2/alarm_bits")) & model::kStringSohLow);
  EXPECT_FALSE(static_cast<int>(derived(o, "string/1/alarm_bits")) & model::kStringSohLow);
  const auto* ev = find(o, EventKind::alarm_raised, "battery_soh_low");
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->severity, model::Severity::warning);
}

TEST_F(Soh, LowFromCapacityMeasuredInAFullSlowDischarge) {
  Engine e(site, plant);
  run(e, 10);
  // 0.1 C10 (10 A) from full down to 1.78 V/cell for 7 h: 70 Ah at the C10 rate = 70 %.
  set("string/2/current", -10.0);
  for (int p = 1; p <= 4; ++p) set_battery(2, p, "voltage", 10.7);
  set("string/2/voltage", 4 * 10.7);
  auto o = run(e, 7 * 60, 60'000);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "battery_soh_low"), 0);  // not known yet
  set("string/2/current", 5.0);
  for (int p = 1; p <= 4; ++p) set_battery(2, p, "voltage", 13.62);
  set("string/2/voltage", 4 * 13.62);
  o = run(e, 4);
  ASSERT_EQ(o.finished_discharges.size(), 1u);
  EXPECT_EQ(count(o, EventKind::alarm_raised, "battery_soh_low"), 4);  // every battery
  EXPECT_NEAR(derived(o, "battery/2/1/soh"), 70.0, 0.5);
  EXPECT_NEAR(derived(o, "battery/1/1/soh"), 100.0, 1e-9);  // string 1 untouched
}

}  // namespace
}  // namespace btms::engine
