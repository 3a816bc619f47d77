// What an SNMP notification carries: one btmsAlarmRaised per active alarm, one
// btmsAlarmCleared per cleared alarm, with every varbind the MIB lists; limits and texts as
// ASCII DisplayStrings.
#include "notify/snmp_trap_content.hpp"

#include <gtest/gtest.h>

#include "notify/message_text.hpp"

namespace btms::notify {
namespace {

using snmp_oids::alarm_object;

SiteNames names() {
  SiteNames n;
  n.site = "DC Test";
  n.strings[3] = {"Row C", 2, "UPS South"};
  return n;
}

RoutingSettings routing() {
  RoutingSettings s;
  s.base_url = "https://btms.example.net";
  return s;
}

NotifiedAlarm alarm(std::string source, std::string rule, std::string text, double value,
                    bool active) {
  NotifiedAlarm a;
  a.source = std::move(source);
  a.rule = std::move(rule);
  a.key = a.source + ":" + a.rule;
  a.text = std::move(text);
  a.value = value;
  a.severity = model::Severity::trip;
  a.raised_ms = 1'796'472'000'000;
  a.active = active;
  if (!active) a.cleared_ms = 1'796'472'060'000;
  return a;
}

const SnmpVarbind& varbind(const SnmpTrap& trap, snmp_oids::AlarmObject column) {
  for (const auto& vb : trap.varbinds) {
    if (vb.oid == alarm_object(column)) return vb;
  }
  throw std::runtime_error("varbind missing");
}

std::string text_of(const SnmpTrap& trap, snmp_oids::AlarmObject column) {
  return std::get<std::string>(varbind(trap, column).value);
}

std::int32_t number_of(const SnmpTrap& trap, snmp_oids::AlarmObject column) {
  return std::get<std::int32_t>(varbind(trap, column).value);
}

TEST(SnmpTrapContent, LimitIsTakenFromTheRaiseText) {
  const struct {
    const char* text;
    const char* limit;
  } rows[] = {
      {"Battery 3/17 temperature 56.3 °C above trip limit 55 °C", "trip limit 55 C"},
      {"Battery 3/17 voltage 11.20 V below low limit 11.5 V", "low limit 11.5 V"},
      {"String 3 insulation 20 kΩ below alarm limit 50 kΩ", "alarm limit 50 k?"},
      {"Battery 3/17 sensor not answering", ""},
      {"Door open", ""},
  };
  for (const auto& row : rows) EXPECT_EQ(limit_of(row.text), row.limit) << row.text;
}

TEST(SnmpTrapContent, DisplayStringIsAsciiAndAtMost255) {
  EXPECT_EQ(display_string("56.3 °C"), "56.3 C");
  EXPECT_EQ(display_string("20 kΩ\tx"), "20 k? x");
  EXPECT_EQ(display_string(std::string(300, 'a')).size(), 255u);
}

TEST(SnmpTrapContent, EachAlarmIsOneNotificationWithEveryVarbind) {
  Notification n;
  n.recipient = "nms";
  n.group = "string/3";
  n.alarms.push_back(alarm("battery/3/17", "battery_temperature_trip",
                           "Battery 3/17 temperature 56.3 °C above trip limit 55 °C", 56.3, true));
  n.alarms.push_back(alarm("string/3", "string_voltage_high",
                           "String 3 voltage 830.5 V above alarm limit 820 V", 830.5, false));
  fill_texts(n, routing(), names());
  const auto traps = snmp_traps(n, routing(), names());
  ASSERT_EQ(traps.size(), 2u);

  const auto& raised = traps[0];
  EXPECT_EQ(raised.trap_oid, snmp_oids::kAlarmRaised);
  EXPECT_EQ(raised.varbinds.size(), 11u);
  EXPECT_EQ(text_of(raised, snmp_oids::kAlarmSource), "battery/3/17");
  EXPECT_EQ(text_of(raised, snmp_oids::kAlarmRule), "battery_temperature_trip");
  EXPECT_EQ(number_of(raised, snmp_oids::kAlarmSeverity), 4);
  EXPECT_EQ(number_of(raised, snmp_oids::kAlarmUps), 2);
  EXPECT_EQ(number_of(raised, snmp_oids::kAlarmString), 3);
  EXPECT_EQ(number_of(raised, snmp_oids::kAlarmBattery), 17);
  EXPECT_EQ(text_of(raised, snmp_oids::kAlarmValue), "56.3");
  EXPECT_EQ(text_of(raised, snmp_oids::kAlarmLimit), "trip limit 55 C");
  EXPECT_EQ(text_of(raised, snmp_oids::kAlarmText),
            "Battery 3/17 temperature 56.3 C above trip limit 55 C");
  EXPECT_EQ(text_of(raised, snmp_oids::kAlarmTime), "2026-12-05T12:00:00.000Z");
  EXPECT_EQ(text_of(raised, snmp_oids::kAlarmLink), "https://btms.example.net/#/battery/3/17");

  // The removal is its own notification, with the time it cleared.
  const auto& cleared = traps[1];
  EXPECT_EQ(cleared.trap_oid, snmp_oids::kAlarmCleared);
  EXPECT_EQ(number_of(cleared, snmp_oids::kAlarmString), 3);
  EXPECT_EQ(number_of(cleared, snmp_oids::kAlarmBattery), 0);
  EXPECT_EQ(text_of(cleared, snmp_oids::kAlarmLimit), "alarm limit 820 V");
  EXPECT_EQ(text_of(cleared, snmp_oids::kAlarmTime), "2026-12-05T12:01:00.000Z");
  EXPECT_NE(text_of(cleared, snmp_oids::kAlarmText).find("cleared"), std::string::npos);
}

TEST(SnmpTrapContent, OutsideStringsNumbersAreZero) {
  Notification n;
  n.alarms.push_back(alarm("mc/input/2", "digital_input", "Door open", 1, true));
  const auto traps = snmp_traps(n, routing(), names());
  ASSERT_EQ(traps.size(), 1u);
  EXPECT_EQ(number_of(traps[0], snmp_oids::kAlarmUps), 0);
  EXPECT_EQ(number_of(traps[0], snmp_oids::kAlarmString), 0);
  EXPECT_EQ(number_of(traps[0], snmp_oids::kAlarmBattery), 0);
  EXPECT_EQ(text_of(traps[0], snmp_oids::kAlarmLimit), "");
}

TEST(SnmpTrapContent, TestMessageIsOneTestNotification) {
  Notification n;
  n.test = true;
  n.subject = "BTMS test message";
  n.time_ms = 1'796'472'000'000;
  const auto traps = snmp_traps(n, routing(), names());
  ASSERT_EQ(traps.size(), 1u);
  EXPECT_EQ(traps[0].trap_oid, snmp_oids::kTestNotification);
  EXPECT_EQ(text_of(traps[0], snmp_oids::kAlarmText), "BTMS test message");
}

}  // namespace
}  // namespace btms::notify
