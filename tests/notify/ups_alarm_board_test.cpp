// UPS-MIB's alarm group from BTMS alarms: which engine rule and which UPS alarm bit stands for
// which well-known alarm (table-driven, every mapped rule and a few that map to none), the
// table's ids (constant while present, never reused), the changes the traps are sent from, the
// rows the subagent serves, and the trap content of a change.
#include <gtest/gtest.h>

#include "model/derived_channels.hpp"
#include "notify/outbox.hpp"
#include "notify/snmp_mib_view.hpp"
#include "notify/snmp_trap_content.hpp"
#include "notify/ups_alarm_board.hpp"

namespace btms::notify {
namespace {

using W = UpsWellKnownAlarm;

TEST(UpsAlarmMapping, RulesTable) {
  const struct {
    const char* rule;
    std::optional<W> alarm;
  } cases[] = {
      {"battery_resistance_alarm", W::battery_bad},
      {"battery_soh_low", W::battery_bad},
      {"battery_temperature_alarm", W::temp_bad},
      {"battery_temperature_trip", W::temp_bad},
      {"battery_temperature_fatal", W::temp_bad},
      {"battery_temperature_rising_past_trip", W::temp_bad},
      {"battery_delta_t_ambient", W::temp_bad},
      {"string_thermal_runaway", W::temp_bad},
      {"battery_comm_lost", W::communications_lost},
      {"string_comm_lost", W::communications_lost},
      {"mc_watchdog_tripped", W::communications_lost},
      {"string_insulation_alarm", W::general_fault},
      {"string_relay_mismatch", W::general_fault},
      {"string_current_sensor_invalid", W::general_fault},
      // Warnings and value alarms without a well-known counterpart.
      {"battery_temperature_warning", std::nullopt},
      {"battery_resistance_warning", std::nullopt},
      {"string_insulation_warning", std::nullopt},
      {"battery_voltage_high", std::nullopt},
      {"battery_voltage_low", std::nullopt},
      {"string_soc_low", std::nullopt},
      {"string_current_low", std::nullopt},
      {"digital_input", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ups_alarm_for_rule(c.rule), c.alarm) << c.rule;
  }
}

TEST(UpsAlarmMapping, BitsTable) {
  const struct {
    std::uint32_t bits;
    std::vector<W> alarms;
  } cases[] = {
      {0, {}},
      {model::kUpsOnBattery, {W::on_battery}},
      {model::kUpsRuntimeLow, {W::low_battery}},
      {model::kUpsStringError, {W::battery_bad}},
      {model::kUpsStringDisconnected, {W::battery_bad}},
      {model::kUpsStringError | model::kUpsStringDisconnected, {W::battery_bad}},
      {model::kUpsOnBattery | model::kUpsRuntimeLow, {W::on_battery, W::low_battery}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ups_alarms_for_bits(c.bits), c.alarms) << c.bits;
  }
}

TEST(UpsAlarmMapping, NamesAndDescrOids) {
  EXPECT_STREQ(ups_alarm_name(W::battery_bad), "upsAlarmBatteryBad");
  EXPECT_STREQ(ups_alarm_name(W::on_battery), "upsAlarmOnBattery");
  EXPECT_STREQ(ups_alarm_name(W::low_battery), "upsAlarmLowBattery");
  EXPECT_STREQ(ups_alarm_name(W::temp_bad), "upsAlarmTempBad");
  EXPECT_STREQ(ups_alarm_name(W::general_fault), "upsAlarmGeneralFault");
  EXPECT_STREQ(ups_alarm_name(W::communications_lost), "upsAlarmCommunicationsLost");
  // RFC 1628: upsWellKnownAlarms = upsAlarm 3 = 1.3.6.1.2.1.33.1.6.3.
  EXPECT_EQ(ups_alarm_descr(W::temp_bad), (snmp_oids::Oid{1, 3, 6, 1, 2, 1, 33, 1, 6, 3, 5}));
  EXPECT_EQ(ups_alarm_descr(W::communications_lost),
            (snmp_oids::Oid{1, 3, 6, 1, 2, 1, 33, 1, 6, 3, 20}));
}

engine::ActiveAlarm alarm(const std::string& rule, std::int64_t since_ms, bool gone = false) {
  engine::ActiveAlarm a;
  a.rule = rule;
  a.source = "battery/3/1";
  a.key = a.source + ":" + rule;
  a.since_ms = since_ms;
  a.waiting_for_ack = gone;
  return a;
}

TEST(UpsAlarmMapping, PresentTakesTheOldestAlarmAndSkipsLatchedOnes) {
  const auto present = present_ups_alarms(
      model::kUpsOnBattery,
      {alarm("battery_temperature_alarm", 500), alarm("string_thermal_runaway", 300),
       alarm("battery_comm_lost", 100, true), alarm("battery_voltage_low", 50)},
      900);
  ASSERT_EQ(present.size(), 2u);
  EXPECT_EQ(present.at(W::temp_bad), 300);
  EXPECT_EQ(present.at(W::on_battery), 900);  // from the bits: the step's time
  // Bits not fresh: only the alarms count.
  EXPECT_EQ(present_ups_alarms(std::nullopt, {}, 900).size(), 0u);
}

model::Site one_ups_site(int upses = 1) {
  model::Site site;
  for (int u = 1; u <= upses; ++u) site.upses.push_back(model::Ups{u, "UPS", 100});
  return site;
}

TEST(UpsAlarmBoard, IdsStayWhilePresentAndAreNeverReused) {
  UpsAlarmBoard board(one_ups_site());
  ASSERT_TRUE(board.serves());
  board.apply(1, {{W::temp_bad, 10}});
  board.apply(2, {{W::temp_bad, 10}, {W::on_battery, 20}});
  auto rows = board.rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, 1u);
  EXPECT_EQ(rows[0].alarm, W::temp_bad);
  EXPECT_EQ(rows[1].id, 2u);
  board.apply(3, {{W::on_battery, 20}});
  board.apply(4, {{W::on_battery, 20}, {W::temp_bad, 40}});
  rows = board.rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, 2u);
  EXPECT_EQ(rows[1].id, 3u) << "a condition back again is a new row";
  EXPECT_EQ(rows[1].since_ms, 40);
  const auto changes = board.changes_after(0);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_TRUE(changes[0].added);
  EXPECT_FALSE(changes[2].added);
  EXPECT_EQ(changes[2].row.id, 1u);
  EXPECT_EQ(changes[3].row.id, 3u);
  EXPECT_EQ(board.changes_after(3).size(), 1u);
  EXPECT_EQ(board.last_seq(), 4u);
  // An older or the same step changes nothing (two feeders).
  board.apply(4, {});
  board.apply(2, {});
  EXPECT_EQ(board.rows().size(), 2u);
}

TEST(UpsAlarmBoard, ServesNothingWithoutExactlyOneUps) {
  for (int upses : {0, 2}) {
    UpsAlarmBoard board(one_ups_site(upses));
    EXPECT_FALSE(board.serves());
    engine::StepBundle bundle;
    bundle.step = 1;
    auto list = std::make_shared<engine::AlarmList>();
    list->alarms.push_back(alarm("battery_temperature_alarm", 1));
    bundle.alarms = list;
    board.update(bundle);
    EXPECT_TRUE(board.rows().empty());
  }
}

TEST(UpsAlarmBoard, ServedAsTheAlarmGroup) {
  MibView view;
  add_ups_alarm_group(
      view, {{4, W::temp_bad, 190'000}, {7, W::on_battery, 199'000}, {8, W::battery_bad, 0}},
      200'000, 5'000);
  const snmp_oids::Oid present = {1, 3, 6, 1, 2, 1, 33, 1, 6, 1, 0};
  EXPECT_EQ(view.at(present).number, 3);
  const auto col = [](std::uint32_t c, std::uint32_t id) {
    return snmp_oids::Oid{1, 3, 6, 1, 2, 1, 33, 1, 6, 2, 1, c, id};
  };
  EXPECT_EQ(view.at(col(1, 4)).number, 4);
  EXPECT_EQ(view.at(col(2, 4)).type, MibValue::Type::object_id);
  EXPECT_EQ(view.at(col(2, 4)).object_id, ups_alarm_descr(W::temp_bad));
  EXPECT_EQ(view.at(col(3, 4)).type, MibValue::Type::timeticks);
  EXPECT_EQ(view.at(col(3, 4)).number, 4'000);  // 10 s before an uptime of 50 s
  EXPECT_EQ(view.at(col(3, 7)).number, 4'900);
  EXPECT_EQ(view.at(col(3, 8)).number, 0);  // 200 s old: older than the agent
}

TEST(UpsAlarmBoard, ChangeIsOneUpsMibTrapAndSurvivesTheOutbox) {
  for (bool added : {true, false}) {
    Notification n;
    n.recipient = "nms";
    n.ups_alarm = UpsAlarmNotice{added, 6, 5, 1'000};
    const auto back = notification_from_json(notification_json(n));
    ASSERT_TRUE(back.ups_alarm);
    EXPECT_EQ(back.ups_alarm->added, added);
    EXPECT_EQ(back.ups_alarm->id, 6u);
    const auto traps = snmp_traps(back, {}, {});
    ASSERT_EQ(traps.size(), 1u);
    EXPECT_EQ(traps[0].trap_oid, added ? (snmp_oids::Oid{1, 3, 6, 1, 2, 1, 33, 2, 3})
                                       : (snmp_oids::Oid{1, 3, 6, 1, 2, 1, 33, 2, 4}));
    ASSERT_EQ(traps[0].varbinds.size(), 2u);
    EXPECT_EQ(traps[0].varbinds[0].oid, (snmp_oids::Oid{1, 3, 6, 1, 2, 1, 33, 1, 6, 2, 1, 1, 6}));
    EXPECT_EQ(std::get<std::int32_t>(traps[0].varbinds[0].value), 6);
    EXPECT_EQ(traps[0].varbinds[1].oid, (snmp_oids::Oid{1, 3, 6, 1, 2, 1, 33, 1, 6, 2, 1, 2, 6}));
    EXPECT_EQ(std::get<snmp_oids::Oid>(traps[0].varbinds[1].value), ups_alarm_descr(W::temp_bad));
  }
}

}  // namespace
}  // namespace btms::notify
