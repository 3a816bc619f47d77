// Operator actions and restart: acknowledge (comment, "*", by scope), open a string, replace
// the configuration, outside conditions, restore from the event log, discharges.
#include <gtest/gtest.h>

#include "model/battery_rating.hpp"

#include <algorithm>
#include <set>

#include "engine/engine.hpp"
#include "plant_fixture.hpp"

namespace btms::engine {
namespace {

using model::EventKind;
using model::ProtectionState;
using model::Severity;

class EngineActions : public testing::PlantFixture {
 protected:
  static const ActiveAlarm* alarm(const std::vector<ActiveAlarm>& list, const std::string& key) {
    for (const auto& a : list) {
      if (a.key == key) return &a;
    }
    return nullptr;
  }
  static std::set<std::string> acknowledged_keys(const Engine& e) {
    std::set<std::string> keys;
    for (const auto& a : e.active_alarms()) {
      if (a.acknowledged) keys.insert(a.key);
    }
    return keys;
  }
  // Door open (mc/input/1).
  void open_door(Engine& e) {
    set("mc/input/1", 1.0);
    run(e, 2);
  }
};

TEST_F(EngineActions, AcknowledgeCarriesCommentUserAndTime) {
  Engine e(site, plant);
  open_door(e);
  const std::string key = "mc/input/1:digital_input";
  auto list = e.active_alarms();
  ASSERT_NE(alarm(list, key), nullptr);
  EXPECT_NE(alarm(list, key)->text.find("Battery room door open"), std::string::npos)
      << alarm(list, key)->text;
  EXPECT_EQ(alarm(list, key)->acknowledged_by, "");
  const auto ack_ms = now_ms + 500;
  const auto r = e.acknowledge(key, "ann", ack_ms, "door propped open for delivery");
  EXPECT_TRUE(r.ok) << r.message;
  const auto o = run(e);
  const auto* ev = find(o, EventKind::alarm_acknowledged);
  ASSERT_NE(ev, nullptr);
  EXPECT_NE(ev->text.find("acknowledged by ann: door propped open for delivery"), std::string::npos)
      << ev->text;
  EXPECT_EQ(ev->user, "ann");
  EXPECT_EQ(ev->time_ms, ack_ms);
  list = e.active_alarms();
  ASSERT_NE(alarm(list, key), nullptr);
  EXPECT_TRUE(alarm(list, key)->acknowledged);
  EXPECT_EQ(alarm(list, key)->acknowledged_by, "ann");
  EXPECT_EQ(alarm(list, key)->acknowledged_ms, ack_ms);
  // Without a comment the text ends with the user.
  EXPECT_TRUE(e.acknowledge(key, "bob", ack_ms).ok);  // already acknowledged: still ok
  EXPECT_EQ(count(run(e), EventKind::alarm_acknowledged), 0);
  EXPECT_FALSE(e.acknowledge("nothing:here", "ann", ack_ms).ok);
  EXPECT_FALSE(e.acknowledge("battery/1/1:battery_voltage_high", "ann", ack_ms).ok);
}

TEST_F(EngineActions, AcknowledgeStarTakesEveryUnacknowledgedAlarm) {
  Engine e(site, plant);
  set("ambient/1/temperature", 30.0);
  set_battery(1, 2, "temperature", 36.0);  // warning
  open_door(e);
  run(e, 2);
  ASSERT_EQ(e.active_alarms().size(), 2u);
  const auto r = e.acknowledge("*", "ann", now_ms, "round");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.message, "2 alarm(s) acknowledged");
  const auto o = run(e);
  EXPECT_EQ(count(o, EventKind::alarm_acknowledged), 2);
  for (const auto& ev : o.events) {
    if (ev.kind == EventKind::alarm_acknowledged) {
      EXPECT_NE(ev.text.find(": round"), std::string::npos);
    }
  }
  EXPECT_EQ(e.acknowledge("*", "ann", now_ms).message, "0 alarm(s) acknowledged");
  EXPECT_EQ(derived(run(e), "site/unacknowledged_alarms"), 0.0);
}

struct ScopeRow {
  const char* source;
  std::set<std::string> acknowledged;
};
class AcknowledgeScope : public EngineActions, public ::testing::WithParamInterface<ScopeRow> {};

TEST_P(AcknowledgeScope, TakesWhatLiesUnderTheSource) {
  Engine e(site, plant);
  set("ambient/1/temperature", 30.0);
  set_battery(1, 2, "temperature", 36.0);  // battery/1/2 warning
  set_battery(3, 1, "temperature", 36.0);  // battery/3/1 warning
  set("string/1/voltage", 4 * 14.8);       // string/1 voltage high (58.8 V limit)
  open_door(e);
  run(e, 2);
  ASSERT_EQ(e.active_alarms().size(), 4u);
  const auto r = e.acknowledge_all_of(GetParam().source, "ann", "scoped", now_ms);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(acknowledged_keys(e), GetParam().acknowledged) << GetParam().source;
}

INSTANTIATE_TEST_SUITE_P(
    Table, AcknowledgeScope,
    ::testing::Values(
        ScopeRow{"string/1",
                 {"battery/1/2:battery_temperature_warning", "string/1:string_voltage_high"}},
        ScopeRow{"battery/3", {"battery/3/1:battery_temperature_warning"}},
        ScopeRow{"battery/3/1", {"battery/3/1:battery_temperature_warning"}},
        ScopeRow{"ups/2", {"battery/3/1:battery_temperature_warning"}},
        ScopeRow{"ups/1",
                 {"battery/1/2:battery_temperature_warning", "string/1:string_voltage_high"}},
        ScopeRow{"mc", {"mc/input/1:digital_input"}}, ScopeRow{"string/2", {}},
        ScopeRow{"string/11", {}},  // not a prefix match of string/1
        ScopeRow{"",
                 {"battery/1/2:battery_temperature_warning", "string/1:string_voltage_high",
                  "battery/3/1:battery_temperature_warning", "mc/input/1:digital_input"}}));

struct OpenRow {
  int string_id;
  const char* reason;
  bool ok;
  const char* message_part;
};
class OpenString : public EngineActions, public ::testing::WithParamInterface<OpenRow> {};

TEST_P(OpenString, RefusalsAndSuccess) {
  const auto row = GetParam();
  Engine e(site, plant);
  run(e);
  const auto r = e.open_string(row.string_id, "ann", row.reason, now_ms);
  EXPECT_EQ(r.ok, row.ok) << r.message;
  EXPECT_NE(r.message.find(row.message_part), std::string::npos) << r.message;
  const auto o = run(e);
  if (row.ok) {
    ASSERT_EQ(relays(o).size(), 1u);
    EXPECT_EQ(relays(o)[0].point, (model::IoPoint{0, row.string_id}));
    EXPECT_FALSE(relays(o)[0].on);
    EXPECT_EQ(e.protection_state(row.string_id), ProtectionState::manual_open);
    const auto* ev = find(o, EventKind::note);
    ASSERT_NE(ev, nullptr);
    EXPECT_NE(ev->text.find("opened by ann: " + std::string(row.reason)), std::string::npos);
  } else {
    EXPECT_TRUE(relays(o).empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Table, OpenString,
                         ::testing::Values(OpenRow{1, "replace battery 3", true, "opened"},
                                           OpenRow{1, "", false, "reason is required"},
                                           OpenRow{3, "maintenance", false,
                                                   "last closed string"},  // alone on UPS 2
                                           OpenRow{9, "maintenance", false, "unknown string"}));

TEST_F(EngineActions, OpenStringThenLastOfUpsRefusedThenResetCloses) {
  Engine e(site, plant);
  run(e);
  ASSERT_TRUE(e.open_string(1, "ann", "maintenance", now_ms).ok);
  set("mc/input/2", 0.0);  // contactor follows
  run(e);
  EXPECT_NE(e.open_string(1, "ann", "again", now_ms).message.find("already open"),
            std::string::npos);
  // String 2 is now the last closed string of UPS 1.
  EXPECT_NE(e.open_string(2, "ann", "maintenance", now_ms).message.find("last closed"),
            std::string::npos);
  const auto r = e.reset_string(1, "ann", "maintenance done", now_ms);
  EXPECT_TRUE(r.ok) << r.message;
  const auto o = run(e);
  ASSERT_EQ(relays(o).size(), 1u);
  EXPECT_TRUE(relays(o)[0].on);
  EXPECT_EQ(e.protection_state(1), ProtectionState::closed);
}

TEST_F(EngineActions, SetConfigKeepsAlarmStateWhereTheRuleRemains) {
  Engine e(site, plant);
  set("ambient/1/temperature", 40.0);
  set_battery(1, 2, "temperature", 46.0);  // alarm (45), warning (35)
  run(e, 3);
  const std::string key = "battery/1/2:battery_temperature_alarm";
  ASSERT_NE(alarm(e.active_alarms(), key), nullptr);  // compared to null only
  ASSERT_TRUE(e.acknowledge(key, "ann", now_ms).ok);
  const auto last_id = [&] {
    const auto o = run(e);
    return o.events.empty() ? 0 : o.events.back().id;
  }();
  EngineConfig c = e.config();
  c.defaults.battery.temperature_alarm_C = 50.0;  // 46 °C is now inside (reset 48)
  c.first_event_id = 1;                           // must not rewind the ids
  e.set_config(c);
  EXPECT_EQ(e.config().defaults.battery.temperature_alarm_C, 50.0);
  // Still active and acknowledged: nothing re-raised, nothing lost.
  const auto kept = e.active_alarms();
  const auto* a = alarm(kept, key);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->acknowledged);
  EXPECT_EQ(a->acknowledged_by, "ann");
  // Judged against the new limit: clears after the debounce and off-delay.
  const auto o = run(e, 3);
  EXPECT_EQ(count(o, EventKind::alarm_cleared, "battery_temperature_alarm"), 1);
  EXPECT_EQ(count(o, EventKind::alarm_raised), 0);
  for (const auto& ev : o.events) EXPECT_GT(ev.id, last_id);
  // A lower warning limit raises at once on the next steps.
  c.defaults.battery.temperature_warning_C = 20.0;
  e.set_config(c);
  EXPECT_GE(count(run(e, 3), EventKind::alarm_raised, "battery_temperature_warning"), 1);
}

TEST_F(EngineActions, SetConfigPerStringOverride) {
  Engine e(site, plant);
  set_battery(3, 1, "voltage", 14.2);  // inside 14.4
  EXPECT_EQ(count(run(e, 3), EventKind::alarm_raised), 0);
  EngineConfig c = e.config();
  c.per_string[3] = c.defaults;
  c.per_string[3].battery.voltage_high_per_cell_V = 2.35;  // 14.1 V
  e.set_config(c);
  const auto o = run(e, 3);
  ASSERT_EQ(count(o, EventKind::alarm_raised, "battery_voltage_high"), 1);
  EXPECT_EQ(find(o, EventKind::alarm_raised)->source, "battery/3/1");
}

TEST_F(EngineActions, SystemConditionRaisesAndClearsLikeARule) {
  Engine e(site, plant);
  run(e);
  e.set_system_condition("history", "history_disk_low", false, Severity::warning, "", now_ms);
  EXPECT_TRUE(run(e).events.empty());  // never raised: nothing to clear
  e.set_system_condition("history", "history_disk_low", true, Severity::warning,
                         "History disk 96 % full", now_ms);
  auto o = run(e);
  ASSERT_EQ(count(o, EventKind::alarm_raised, "history_disk_low"), 1);
  const auto* ev = find(o, EventKind::alarm_raised);
  EXPECT_EQ(ev->source, "history");
  EXPECT_EQ(ev->severity, Severity::warning);
  EXPECT_NE(ev->text.find("History disk 96 % full"), std::string::npos);
  const auto list = e.active_alarms();
  const auto* a = alarm(list, "history:history_disk_low");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->text, ev->text);
  EXPECT_EQ(derived(o, "site/active_alarms"), 1.0);
  // Reported again while active: no new event.
  e.set_system_condition("history", "history_disk_low", true, Severity::warning,
                         "History disk 96 % full", now_ms);
  EXPECT_EQ(count(run(e), EventKind::alarm_raised), 0);
  // An engine rule cannot be driven from outside.
  e.set_system_condition("battery/1/1", "battery_voltage_high", true, Severity::alarm, "x", now_ms);
  EXPECT_EQ(count(run(e), EventKind::alarm_raised), 0);
  e.set_system_condition("history", "history_disk_low", false, Severity::warning, "", now_ms);
  o = run(e);
  EXPECT_EQ(count(o, EventKind::alarm_cleared, "history_disk_low"), 1);
  EXPECT_EQ(alarm(e.active_alarms(), "history:history_disk_low"), nullptr);
}

model::Event logged(std::uint64_t id, EventKind kind, const std::string& source,
                    const std::string& rule, std::int64_t t_ms, const std::string& user = {}) {
  model::Event ev;
  ev.id = id;
  ev.kind = kind;
  ev.source = source;
  ev.rule = rule;
  ev.time_ms = t_ms;
  ev.user = user;
  ev.text = source + " " + rule;
  ev.severity = Severity::alarm;
  return ev;
}

struct RestoreRow {
  const char* name;
  std::vector<model::Event> log;
  bool active;
  bool acknowledged;
};
class Restore : public EngineActions, public ::testing::WithParamInterface<RestoreRow> {};

const std::string kDoor = "mc/input/1";
const std::string kRule = "digital_input";

TEST_P(Restore, AlarmsComeBackWithoutNewEvents) {
  const auto& row = GetParam();
  Engine e(site, plant);
  e.restore(row.log);
  const auto list = e.active_alarms();
  const auto* a = alarm(list, kDoor + ":" + kRule);
  ASSERT_EQ(a != nullptr, row.active) << row.name;
  if (a != nullptr) {
    EXPECT_EQ(a->acknowledged, row.acknowledged) << row.name;
    EXPECT_EQ(a->text, kDoor + " " + kRule) << row.name;
    if (row.acknowledged) {
      EXPECT_EQ(a->acknowledged_by, "ann");
    }
  }
  if (row.active) set("mc/input/1", 1.0);  // the door is still open after the restart
  const auto o = run(e, 3);
  EXPECT_EQ(count(o, EventKind::alarm_raised), 0) << row.name;
  // Event ids continue after the log's last.
  if (!row.log.empty()) {
    ASSERT_TRUE(e.acknowledge("*", "bob", now_ms).ok);
    for (const auto& ev : run(e).events) EXPECT_GT(ev.id, row.log.back().id) << row.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, Restore,
    ::testing::Values(
        RestoreRow{"raised", {logged(7, EventKind::alarm_raised, kDoor, kRule, 1000)}, true, false},
        RestoreRow{"raised_acknowledged",
                   {logged(7, EventKind::alarm_raised, kDoor, kRule, 1000),
                    logged(8, EventKind::alarm_acknowledged, kDoor, kRule, 2000, "ann")},
                   true,
                   true},
        RestoreRow{"raised_cleared",
                   {logged(7, EventKind::alarm_raised, kDoor, kRule, 1000),
                    logged(9, EventKind::alarm_cleared, kDoor, kRule, 3000)},
                   false,
                   false},
        RestoreRow{"raised_again_after_acknowledged_clear",
                   {logged(7, EventKind::alarm_raised, kDoor, kRule, 1000),
                    logged(8, EventKind::alarm_acknowledged, kDoor, kRule, 2000, "ann"),
                    logged(9, EventKind::alarm_cleared, kDoor, kRule, 3000),
                    logged(10, EventKind::alarm_raised, kDoor, kRule, 4000)},
                   true,
                   false},
        RestoreRow{"unknown_rule_ignored",
                   {logged(7, EventKind::alarm_raised, "battery/9/9", "battery_x", 1000)},
                   false,
                   false},
        RestoreRow{"empty_log", {}, false, false}));

TEST_F(EngineActions, RestoredTripKeepsTheStringOpenUntilReset) {
  Engine e(site, plant);
  const std::string key_source = "battery/1/3";
  std::vector<model::Event> log = {
      logged(20, EventKind::alarm_raised, key_source, "battery_temperature_trip", 1000),
      logged(21, EventKind::string_tripped, "string/1", "", 1000)};
  e.restore(log);
  set("mc/input/2", 0.0);  // contactor open, as it was left
  auto o = run(e);
  ASSERT_EQ(relays(o).size(), 1u);  // re-commanded open, silently
  EXPECT_FALSE(relays(o)[0].on);
  EXPECT_TRUE(o.events.empty()) << o.events.front().text;
  EXPECT_EQ(e.protection_state(1), ProtectionState::tripped);
  // Latched: the temperature is normal again, the alarm waits for an acknowledgement.
  o = run(e, 3);
  EXPECT_EQ(count(o, EventKind::alarm_raised), 0);
  const auto list = e.active_alarms();
  const auto* a = alarm(list, key_source + ":battery_temperature_trip");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->waiting_for_ack);
  // Only the latch holds the trip: the refusal says to acknowledge, not that the cause persists.
  const auto refused = e.reset_string(1, "ann", "fixed", now_ms);
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.message.find("acknowledge it first"), std::string::npos) << refused.message;
  ASSERT_TRUE(e.acknowledge("*", "ann", now_ms).ok);
  run(e);
  EXPECT_TRUE(e.reset_string(1, "ann", "fixed", now_ms).ok);
}

TEST_F(EngineActions, RunningAndFinishedDischarges) {
  Engine e(site, plant);
  EXPECT_TRUE(e.running_discharges().empty());
  set("string/1/current", -30.0);
  for (int p = 1; p <= 4; ++p) set_battery(1, p, "voltage", 12.4);
  set("string/1/voltage", 4 * 12.4);
  auto o = run(e, 60);
  EXPECT_TRUE(o.finished_discharges.empty());
  const auto running = e.running_discharges();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].string_id, 1);
  EXPECT_EQ(running[0].end_ms, 0);
  EXPECT_NEAR(running[0].peak_current_A, 30.0, 1e-9);
  // Full at start, at 30 A: the rating's capacity at that rate.
  EXPECT_NEAR(running[0].predicted_runtime_min,
              model::runtime_to_end_voltage_s(model::BatteryType{}, 30.0, 25.0, 1.0) / 60.0, 1e-6);
  set("string/1/current", 5.0);
  for (int p = 1; p <= 4; ++p) set_battery(1, p, "voltage", 13.62);
  set("string/1/voltage", 4 * 13.62);
  o = run(e, 2);
  ASSERT_EQ(o.finished_discharges.size(), 1u);
  const auto& rec = o.finished_discharges[0];
  EXPECT_EQ(rec.string_id, 1);
  EXPECT_NE(rec.end_ms, 0);
  EXPECT_NEAR(rec.actual_runtime_min, 1.0, 0.05);
  // The last step's Ah (current falling from −30 A to +5 A) count at the recharge voltage.
  EXPECT_NEAR(rec.energy_out_kWh, rec.ah_out * 4 * 12.4 / 1000.0, 0.01 * rec.energy_out_kWh);
  EXPECT_GT(rec.soc_start_pct, rec.soc_end_pct);
  EXPECT_TRUE(e.running_discharges().empty());
  // Finished, not yet stored: still listed until the consumer confirms it.
  auto awaiting = e.discharges_awaiting_storage();
  ASSERT_EQ(awaiting.size(), 1u);
  EXPECT_EQ(awaiting[0].start_ms, rec.start_ms);
  run(e, 3);
  EXPECT_EQ(e.discharges_awaiting_storage().size(), 1u);
  e.discharge_stored(1, rec.start_ms + 1);  // not this one
  EXPECT_EQ(e.discharges_awaiting_storage().size(), 1u);
  e.discharge_stored(1, rec.start_ms);
  EXPECT_TRUE(e.discharges_awaiting_storage().empty());
}

}  // namespace
}  // namespace btms::engine
