// The routing core, table by table: filters, inhibition, quiet hours, then every timing rule
// (grouping wait, group interval, repeat, escalation, recovery, trip bypass) checked at the
// instant before and at the instant it is due.
#include "notify/alarm_router.hpp"

#include <gtest/gtest.h>

#include "notify/message_text.hpp"
#include "tests/notify/manual_clock.hpp"

namespace btms::notify {
namespace {

using model::Event;
using model::EventKind;
using model::Severity;
using test::ManualClock;

// 2026-12-05 12:00:00 UTC: outside any quiet hours used below.
constexpr std::int64_t kNoon = 1'796'472'000'000;
constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;

SiteNames names() {
  SiteNames n;
  n.site = "DC Ljubljana";
  n.strings[1] = {"Row A", 1, "UPS North"};
  n.strings[2] = {"Row B", 1, "UPS North"};
  n.strings[3] = {"Row C", 2, "UPS South"};
  return n;
}

Recipient recipient(std::string name, Severity floor = Severity::alarm, int tier = 1) {
  Recipient r;
  r.name = std::move(name);
  r.address = r.name + "@example.com";
  r.min_severity = floor;
  r.tier = tier;
  return r;
}

RoutingSettings settings() {
  RoutingSettings s;
  s.group_wait_ms = 30 * kSecond;
  s.group_interval_ms = 5 * kMinute;
  s.repeat_interval_ms = 4 * kHour;
  s.escalate_after_ms = 15 * kMinute;
  s.base_url = "https://btms.example.net";
  return s;
}

Event raised(std::string source, std::string rule, Severity severity, std::int64_t t,
             std::string text = "", double value = 0) {
  Event e;
  e.kind = EventKind::alarm_raised;
  e.source = std::move(source);
  e.rule = std::move(rule);
  e.severity = severity;
  e.time_ms = t;
  e.text = text.empty() ? e.source + " " + e.rule : std::move(text);
  e.value = value;
  return e;
}
Event cleared(std::string source, std::string rule, std::int64_t t) {
  Event e;
  e.kind = EventKind::alarm_cleared;
  e.source = std::move(source);
  e.rule = std::move(rule);
  e.time_ms = t;
  return e;
}
Event acked(std::string source, std::string rule, std::int64_t t, std::string user = "ana") {
  Event e;
  e.kind = EventKind::alarm_acknowledged;
  e.source = std::move(source);
  e.rule = std::move(rule);
  e.time_ms = t;
  e.user = std::move(user);
  return e;
}

struct Fixture {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kNoon);
  AlarmRouter router;
  explicit Fixture(std::vector<Recipient> recipients, RoutingSettings s = settings())
      : router(std::move(s), std::move(recipients), names(), clock) {}
  std::vector<Notification> at(std::int64_t t) {
    clock->set(t);
    return router.take_due();
  }
};

// --- filters ------------------------------------------------------------------------------

TEST(GroupOf, StringIsTheIncident) {
  const struct {
    const char* source;
    const char* group;
  } rows[] = {{"battery/3/17", "string/3"},
              {"string/3", "string/3"},
              {"battery/12/1", "string/12"},
              {"mc/input/2", "mc/input/2"},
              {"mc", "mc"},
              {"ambient/1", "ambient/1"}};
  for (const auto& row : rows) EXPECT_EQ(group_of(row.source), row.group) << row.source;
}

TEST(RecipientWants, SeveritySourceAndRule) {
  const auto n = names();
  const struct {
    Severity floor;
    std::vector<std::string> sources;
    std::vector<std::string> rules;
    const char* source;
    const char* rule;
    Severity severity;
    bool wanted;
  } rows[] = {
      {Severity::alarm, {}, {}, "battery/1/1", "battery_voltage_high", Severity::alarm, true},
      {Severity::alarm, {}, {}, "battery/1/1", "battery_soh_low", Severity::warning, false},
      {Severity::warning, {}, {}, "battery/1/1", "battery_soh_low", Severity::warning, true},
      {Severity::warning, {}, {}, "battery/1/1", "x", Severity::info, false},
      {Severity::trip, {}, {}, "battery/1/1", "battery_temperature_alarm", Severity::alarm, false},
      {Severity::trip, {}, {}, "string/1", "string_thermal_runaway", Severity::trip, true},
      {Severity::alarm, {"site"}, {}, "mc/input/2", "input", Severity::alarm, true},
      {Severity::alarm, {"string/1"}, {}, "battery/1/7", "r", Severity::alarm, true},
      {Severity::alarm, {"string/1"}, {}, "string/1", "r", Severity::alarm, true},
      {Severity::alarm, {"string/1"}, {}, "battery/11/7", "r", Severity::alarm, false},
      {Severity::alarm, {"string/1"}, {}, "battery/2/7", "r", Severity::alarm, false},
      {Severity::alarm, {"ups/1"}, {}, "battery/2/7", "r", Severity::alarm, true},
      {Severity::alarm, {"ups/1"}, {}, "string/2", "r", Severity::alarm, true},
      {Severity::alarm, {"ups/1"}, {}, "battery/3/7", "r", Severity::alarm, false},
      {Severity::alarm, {"ups/2"}, {}, "battery/3/7", "r", Severity::alarm, true},
      {Severity::alarm, {"ups/2"}, {}, "mc/input/1", "r", Severity::alarm, false},
      {Severity::alarm, {"battery/3/7"}, {}, "battery/3/7", "r", Severity::alarm, true},
      {Severity::alarm, {"battery/3/7"}, {}, "battery/3/70", "r", Severity::alarm, false},
      {Severity::alarm, {"mc"}, {}, "mc/input/4", "r", Severity::alarm, true},
      {Severity::alarm, {"string/9", "ups/2"}, {}, "battery/3/1", "r", Severity::alarm, true},
      {Severity::alarm,
       {},
       {"battery_temperature"},
       "battery/1/1",
       "battery_temperature_alarm",
       Severity::alarm,
       true},
      {Severity::alarm,
       {},
       {"battery_temperature"},
       "battery/1/1",
       "battery_voltage_high",
       Severity::alarm,
       false},
      {Severity::alarm,
       {"string/1"},
       {"string_"},
       "battery/1/1",
       "battery_voltage_high",
       Severity::alarm,
       false},
  };
  int i = 0;
  for (const auto& row : rows) {
    Recipient r = recipient("r", row.floor);
    r.sources = row.sources;
    r.rules = row.rules;
    NotifiedAlarm a;
    a.source = row.source;
    a.rule = row.rule;
    a.severity = row.severity;
    EXPECT_EQ(recipient_wants(r, n, a), row.wanted) << "row " << i;
    ++i;
  }
}

TEST(Inhibited, LostSensorSuppressesValueAlarmsButNeverTrips) {
  const std::set<std::string> active = {"battery/1/5:battery_comm_lost",
                                        "string/2:string_comm_lost"};
  const struct {
    const char* source;
    const char* rule;
    Severity severity;
    bool suppressed;
  } rows[] = {
      {"battery/1/5", "battery_voltage_low", Severity::alarm, true},
      {"battery/1/5", "battery_temperature_warning", Severity::warning, true},
      {"battery/1/5", "battery_comm_lost", Severity::alarm, false},
      {"battery/1/5", "battery_temperature_trip", Severity::trip, false},
      {"battery/1/6", "battery_voltage_low", Severity::alarm, false},
      {"battery/1/50", "battery_voltage_low", Severity::alarm, false},
      {"string/2", "string_voltage_low", Severity::alarm, true},
      {"string/2", "string_comm_lost", Severity::alarm, false},
      {"string/2", "string_thermal_runaway", Severity::trip, false},
      {"string/1", "string_voltage_low", Severity::alarm, false},
      {"battery/2/3", "battery_voltage_low", Severity::alarm, false},
      {"mc/input/1", "input", Severity::alarm, false},
  };
  for (const auto& row : rows) {
    NotifiedAlarm a;
    a.source = row.source;
    a.rule = row.rule;
    a.severity = row.severity;
    EXPECT_EQ(inhibited(a, active), row.suppressed) << row.source << " " << row.rule;
  }
}

TEST(QuietHours, ContainsAndEnd) {
  // Local day minutes; kNoon is 12:00 UTC.
  const struct {
    int start, end, offset;
    std::int64_t at;
    bool inside;
    std::int64_t ends;
  } rows[] = {
      {0, 0, 0, kNoon, false, kNoon},                                          // off
      {11 * 60, 13 * 60, 0, kNoon, true, kNoon + kHour},                       // plain span
      {11 * 60, 12 * 60, 0, kNoon, false, kNoon},                              // end is exclusive
      {12 * 60, 13 * 60, 0, kNoon, true, kNoon + kHour},                       // start inclusive
      {12 * 60, 13 * 60, 0, kNoon - 1, false, kNoon - 1},                      // one ms before
      {22 * 60, 6 * 60, 0, kNoon, false, kNoon},                               // spans midnight
      {22 * 60, 6 * 60, 0, kNoon + 11 * kHour, true, kNoon + 18 * kHour},      // 23:00 -> 06:00
      {22 * 60, 6 * 60, 0, kNoon + 14 * kHour, true, kNoon + 18 * kHour},      // 02:00 -> 06:00
      {22 * 60, 6 * 60, 60, kNoon + 10 * kHour, true, kNoon + 17 * kHour},     // UTC+1: 23:00 local
      {22 * 60, 6 * 60, -300, kNoon + 14 * kHour, false, kNoon + 14 * kHour},  // 21:00 local
      {12 * 60, 13 * 60, 0, kNoon + 30 * kSecond, true, kNoon + kHour},
  };
  int i = 0;
  for (const auto& row : rows) {
    QuietHours q{row.start, row.end, row.offset};
    EXPECT_EQ(q.contains(row.at), row.inside) << "row " << i;
    EXPECT_EQ(q.end_after(row.at), row.ends) << "row " << i;
    ++i;
  }
}

// --- timing -------------------------------------------------------------------------------

TEST(AlarmRouter, GroupWaitThenOneMessage) {
  Fixture f({recipient("ops")});
  f.router.on_event(raised("battery/1/4", "battery_voltage_high", Severity::alarm, kNoon));
  EXPECT_TRUE(f.at(kNoon).empty());
  EXPECT_EQ(f.router.next_due_ms(), kNoon + 30 * kSecond);
  EXPECT_TRUE(f.at(kNoon + 30 * kSecond - 1).empty());
  const auto sent = f.at(kNoon + 30 * kSecond);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].reason, Reason::first);
  EXPECT_EQ(sent[0].group, "string/1");
  EXPECT_EQ(sent[0].recipient, "ops");
  EXPECT_TRUE(f.at(kNoon + kHour).empty());  // no change, repeat not yet due
}

TEST(AlarmRouter, StormOfOneStringIsOneMessagePerRecipient) {
  Fixture f({recipient("ops"), recipient("noc"), recipient("hook", Severity::warning)});
  for (int b = 1; b <= 120; ++b) {
    f.router.on_event(raised("battery/2/" + std::to_string(b), "battery_voltage_low",
                             Severity::alarm, kNoon + (b - 1) * 100));
  }
  f.router.on_event(
      raised("string/2", "string_voltage_low", Severity::alarm, kNoon + 13 * kSecond));
  EXPECT_TRUE(f.at(kNoon + 29 * kSecond).empty());
  const auto sent = f.at(kNoon + 30 * kSecond);
  ASSERT_EQ(sent.size(), 3u);
  for (const auto& n : sent) {
    EXPECT_EQ(n.alarms.size(), 121u) << n.recipient;
    EXPECT_EQ(n.active_count(), 121);
    EXPECT_NE(n.text.find("... and 91 more alarms"), std::string::npos);
  }
  EXPECT_TRUE(f.at(kNoon + 2 * kHour).empty());
}

TEST(AlarmRouter, TwoStringsAreTwoIncidents) {
  Fixture f({recipient("ops")});
  f.router.on_event(raised("battery/1/4", "battery_voltage_high", Severity::alarm, kNoon));
  f.router.on_event(raised("battery/3/4", "battery_voltage_high", Severity::alarm, kNoon));
  EXPECT_EQ(f.at(kNoon + 30 * kSecond).size(), 2u);
}

TEST(AlarmRouter, UpdateAfterGroupIntervalAndRecovery) {
  Fixture f({recipient("ops")});
  f.router.on_event(raised("battery/1/4", "battery_voltage_high", Severity::alarm, kNoon));
  ASSERT_EQ(f.at(kNoon + 30 * kSecond).size(), 1u);
  // A second alarm of the same incident a minute later: told at the group interval.
  f.router.on_event(
      raised("battery/1/5", "battery_voltage_high", Severity::alarm, kNoon + kMinute));
  EXPECT_EQ(f.router.next_due_ms(), kNoon + 30 * kSecond + 5 * kMinute);
  EXPECT_TRUE(f.at(kNoon + 30 * kSecond + 5 * kMinute - 1).empty());
  auto sent = f.at(kNoon + 30 * kSecond + 5 * kMinute);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].reason, Reason::update);
  EXPECT_EQ(sent[0].active_count(), 2);
  // Both clear: one recovery notice that names both.
  const auto t = kNoon + 10 * kMinute;
  f.router.on_event(cleared("battery/1/4", "battery_voltage_high", t));
  f.router.on_event(cleared("battery/1/5", "battery_voltage_high", t + kSecond));
  EXPECT_TRUE(f.at(t + 30 * kSecond - 1).empty());
  sent = f.at(t + 30 * kSecond);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].reason, Reason::recovery);
  EXPECT_EQ(sent[0].alarms.size(), 2u);
  EXPECT_EQ(sent[0].active_count(), 0);
  EXPECT_NE(sent[0].subject.find("RESOLVED"), std::string::npos);
  EXPECT_EQ(f.router.tracked_alarms(), 0u);
  EXPECT_FALSE(f.router.next_due_ms().has_value());
}

TEST(AlarmRouter, RaisedAndClearedWithinTheWaitSendsNothing) {
  Fixture f({recipient("ops")});
  f.router.on_event(raised("battery/1/4", "battery_voltage_high", Severity::alarm, kNoon));
  f.router.on_event(cleared("battery/1/4", "battery_voltage_high", kNoon + 10 * kSecond));
  EXPECT_TRUE(f.at(kNoon + kHour).empty());
  EXPECT_EQ(f.router.tracked_alarms(), 0u);
}

TEST(AlarmRouter, FlappingAfterTheMessageIsNotNews) {
  Fixture f({recipient("ops")});
  f.router.on_event(raised("battery/1/4", "battery_voltage_high", Severity::alarm, kNoon));
  ASSERT_EQ(f.at(kNoon + 30 * kSecond).size(), 1u);
  f.router.on_event(cleared("battery/1/4", "battery_voltage_high", kNoon + kMinute));
  f.router.on_event(
      raised("battery/1/4", "battery_voltage_high", Severity::alarm, kNoon + 2 * kMinute));
  EXPECT_TRUE(f.at(kNoon + 30 * kMinute).empty());
}

TEST(AlarmRouter, RepeatWhileUnacknowledgedOnly) {
  const struct {
    bool ack;
    std::size_t repeats;
  } rows[] = {{false, 1}, {true, 0}};
  for (const auto& row : rows) {
    Fixture f({recipient("ops")});
    f.router.on_event(raised("battery/1/4", "battery_voltage_high", Severity::alarm, kNoon));
    ASSERT_EQ(f.at(kNoon + 30 * kSecond).size(), 1u);
    if (row.ack) f.router.on_event(acked("battery/1/4", "battery_voltage_high", kNoon + kMinute));
    EXPECT_TRUE(f.at(kNoon + 30 * kSecond + 4 * kHour - 1).empty());
    const auto sent = f.at(kNoon + 30 * kSecond + 4 * kHour);
    EXPECT_EQ(sent.size(), row.repeats);
    if (!sent.empty()) {
      EXPECT_EQ(sent[0].reason, Reason::repeat);
    }
  }
}

TEST(AlarmRouter, EscalationToTheNextTierWithoutAcknowledgement) {
  const struct {
    std::int64_t ack_at;  // 0 = never
    int tier;
    std::int64_t due;  // 0 = never told
  } rows[] = {
      {0, 2, kNoon + 15 * kMinute},
      {0, 3, kNoon + 30 * kMinute},
      {kNoon + 14 * kMinute, 2, 0},
      {kNoon + 16 * kMinute, 3, 0},
  };
  for (const auto& row : rows) {
    Fixture f({recipient("ops"), recipient("boss", Severity::alarm, row.tier)});
    f.router.on_event(raised("battery/1/4", "battery_temperature_alarm", Severity::alarm, kNoon));
    auto sent = f.at(kNoon + 30 * kSecond);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].recipient, "ops");
    if (row.ack_at) {
      f.clock->set(row.ack_at);
      f.router.on_event(acked("battery/1/4", "battery_temperature_alarm", row.ack_at));
    }
    if (row.due) {
      EXPECT_TRUE(f.at(row.due - 1).empty());
      sent = f.at(row.due);
      ASSERT_EQ(sent.size(), 1u);
      EXPECT_EQ(sent[0].recipient, "boss");
      EXPECT_EQ(sent[0].reason, Reason::escalation);
      EXPECT_NE(sent[0].text.find("tier " + std::to_string(row.tier)), std::string::npos);
    } else {
      EXPECT_TRUE(f.at(kNoon + 3 * kHour).empty());
    }
  }
}

TEST(AlarmRouter, QuietHoursHoldAlarmsButNotTrips) {
  const struct {
    Severity severity;
    const char* rule;
    std::int64_t due;
  } rows[] = {
      {Severity::alarm, "battery_voltage_high", kNoon + 2 * kHour},  // held until 14:00
      {Severity::warning, "battery_soh_low", kNoon + 2 * kHour},
      {Severity::trip, "battery_temperature_fatal", kNoon + 30 * kSecond},
  };
  for (const auto& row : rows) {
    auto r = recipient("night", Severity::warning);
    r.quiet = {11 * 60, 14 * 60, 0};
    Fixture f({r});
    f.router.on_event(raised("battery/1/4", row.rule, row.severity, kNoon));
    EXPECT_EQ(f.router.next_due_ms(), row.due) << row.rule;
    EXPECT_TRUE(f.at(row.due - 1).empty());
    EXPECT_EQ(f.at(row.due).size(), 1u) << row.rule;
  }
}

TEST(AlarmRouter, TripSkipsTheGroupInterval) {
  Fixture f({recipient("ops")});
  f.router.on_event(raised("battery/1/4", "battery_temperature_alarm", Severity::alarm, kNoon));
  ASSERT_EQ(f.at(kNoon + 30 * kSecond).size(), 1u);
  f.router.on_event(raised("string/1", "string_thermal_runaway", Severity::trip, kNoon + kMinute));
  Event trip;
  trip.kind = EventKind::string_tripped;
  trip.severity = Severity::trip;
  trip.source = "string/1";
  trip.time_ms = kNoon + kMinute;
  trip.text = "String 1 tripped (opened): thermal runaway";
  f.router.on_event(trip);
  const auto sent = f.at(kNoon + kMinute + 30 * kSecond);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].reason, Reason::update);
  EXPECT_EQ(sent[0].worst_active(), Severity::trip);
  EXPECT_EQ(sent[0].active_count(), 3);
  EXPECT_NE(sent[0].subject.find("TRIP"), std::string::npos);
}

TEST(AlarmRouter, TripLifecycleResetAcknowledgesReconnectRecovers) {
  Fixture f({recipient("ops")});
  Event trip;
  trip.kind = EventKind::string_tripped;
  trip.severity = Severity::trip;
  trip.source = "string/2";
  trip.time_ms = kNoon;
  trip.text = "String 2 tripped (opened): battery 2/7 temperature above trip limit";
  f.router.on_event(trip);
  auto sent = f.at(kNoon + 30 * kSecond);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].alarms[0].rule, "string_tripped");
  EXPECT_NE(sent[0].text.find("Find the cause before resetting"), std::string::npos);
  // The operator's reset acknowledges it: no repeat after the repeat interval.
  Event reset = trip;
  reset.kind = EventKind::string_reset;
  reset.severity = Severity::info;
  reset.user = "ana";
  reset.time_ms = kNoon + kMinute;
  f.router.on_event(reset);
  EXPECT_TRUE(f.at(kNoon + 5 * kHour).empty());
  // Reconnected: the recovery notice.
  Event reconnected = reset;
  reconnected.kind = EventKind::string_reconnected;
  reconnected.time_ms = kNoon + 5 * kHour;
  f.router.on_event(reconnected);
  sent = f.at(kNoon + 5 * kHour + 30 * kSecond);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].reason, Reason::recovery);
  EXPECT_EQ(f.router.tracked_alarms(), 0u);
}

TEST(AlarmRouter, InhibitedAlarmsAreLeftOut) {
  Fixture f({recipient("ops")});
  f.router.on_event(raised("battery/1/4", "battery_comm_lost", Severity::alarm, kNoon));
  f.router.on_event(raised("battery/1/4", "battery_voltage_low", Severity::alarm, kNoon + kSecond));
  f.router.on_event(
      raised("battery/1/4", "battery_temperature_warning", Severity::alarm, kNoon + kSecond));
  const auto sent = f.at(kNoon + 30 * kSecond);
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(sent[0].alarms.size(), 1u);
  EXPECT_EQ(sent[0].alarms[0].rule, "battery_comm_lost");
  // Only one alarm is inhibited-only: none of them is an incident of its own.
  Fixture g({recipient("ops")});
  g.router.on_event(raised("battery/1/4", "battery_comm_lost", Severity::alarm, kNoon));
  g.router.on_event(raised("battery/1/4", "battery_voltage_low", Severity::alarm, kNoon));
  g.router.on_event(cleared("battery/1/4", "battery_comm_lost", kNoon + kSecond));
  const auto after = g.at(kNoon + 30 * kSecond);
  ASSERT_EQ(after.size(), 1u);  // the sensor answers again: the value alarm is real
  ASSERT_EQ(after[0].alarms.size(), 1u);
  EXPECT_EQ(after[0].alarms[0].rule, "battery_voltage_low");
}

TEST(AlarmRouter, EachRecipientSeesItsOwnAlarms) {
  auto north = recipient("north");
  north.sources = {"ups/1"};
  auto south = recipient("south", Severity::warning);
  south.sources = {"ups/2"};
  Fixture f({north, south});
  f.router.on_event(raised("battery/1/4", "battery_voltage_high", Severity::alarm, kNoon));
  f.router.on_event(raised("battery/3/4", "battery_soh_low", Severity::warning, kNoon));
  f.router.on_event(raised("battery/3/5", "battery_voltage_high", Severity::alarm, kNoon));
  const auto sent = f.at(kNoon + 30 * kSecond);
  ASSERT_EQ(sent.size(), 2u);
  for (const auto& n : sent) {
    if (n.recipient == "north") {
      EXPECT_EQ(n.group, "string/1");
      EXPECT_EQ(n.alarms.size(), 1u);
    } else {
      EXPECT_EQ(n.group, "string/3");
      EXPECT_EQ(n.alarms.size(), 2u);
    }
  }
}

TEST(AlarmRouter, SyncActiveAddsAndClears) {
  Fixture f({recipient("ops")});
  f.router.on_event(raised("battery/1/4", "battery_voltage_high", Severity::alarm, kNoon));
  ASSERT_EQ(f.at(kNoon + 30 * kSecond).size(), 1u);
  engine::ActiveAlarm a;
  a.key = "battery/2/9:battery_voltage_low";
  a.source = "battery/2/9";
  a.rule = "battery_voltage_low";
  a.severity = Severity::alarm;
  a.since_ms = kNoon + kMinute;
  f.clock->set(kNoon + kMinute);
  f.router.sync_active({a});
  const auto sent = f.at(kNoon + 10 * kMinute);
  ASSERT_EQ(sent.size(), 2u);  // recovery of string 1, first of string 2
  int recoveries = 0, firsts = 0;
  for (const auto& n : sent) {
    recoveries += n.reason == Reason::recovery;
    firsts += n.reason == Reason::first;
  }
  EXPECT_EQ(recoveries, 1);
  EXPECT_EQ(firsts, 1);
}

// --- words --------------------------------------------------------------------------------

TEST(MessageText, SaysWhereWhatValueLimitWhenWhatToDoAndLinks) {
  Fixture f({recipient("ops")});
  f.router.on_event(raised("battery/3/17", "battery_temperature_trip", Severity::trip, kNoon,
                           "Battery 3/17 temperature 56.3 °C above trip limit 55 °C", 56.3));
  const auto sent = f.at(kNoon + 30 * kSecond);
  ASSERT_EQ(sent.size(), 1u);
  const auto& n = sent[0];
  for (const std::string& part :
       {std::string("Battery 3/17 in String 3 \"Row C\" of UPS 2 \"UPS South\""),
        std::string("56.3 °C above trip limit 55 °C"), std::string("2026-12-05 12:00:00 UTC"),
        std::string("What to do: "), std::string("https://btms.example.net/#/battery/3/17"),
        std::string("https://btms.example.net/#/alarms"), std::string("not acknowledged")}) {
    EXPECT_NE(n.text.find(part), std::string::npos) << part << "\n" << n.text;
  }
  EXPECT_NE(n.subject.find("TRIP"), std::string::npos) << n.subject;
  EXPECT_NE(n.subject.find("[BTMS DC Ljubljana]"), std::string::npos) << n.subject;
  EXPECT_NE(n.html.find("<a href=\"https://btms.example.net/#/battery/3/17\">"), std::string::npos);
  EXPECT_NE(n.html.find("Battery 3/17 in String 3 &quot;Row C&quot;"), std::string::npos);
}

TEST(MessageText, AdviceForEveryRule) {
  const struct {
    const char* rule;
    const char* words;
  } rows[] = {
      {"battery_voltage_high", "float voltage"},
      {"battery_voltage_low", "replace"},
      {"battery_temperature_warning", "cooling"},
      {"battery_temperature_alarm", "cooling"},
      {"battery_temperature_trip", "disconnected"},
      {"battery_temperature_fatal", "Thermal runaway"},
      {"battery_temperature_rising_past_trip", "Thermal runaway"},
      {"battery_delta_t_ambient", "thermal runaway"},
      {"battery_resistance_warning", "capacity test"},
      {"battery_resistance_alarm", "replace"},
      {"battery_comm_lost", "RS-485"},
      {"battery_soh_low", "replacement"},
      {"string_voltage_high", "charger"},
      {"string_voltage_low", "charger"},
      {"string_current_high", "current limit"},
      {"string_current_low", "mains"},
      {"string_insulation_warning", "earth fault"},
      {"string_insulation_alarm", "earth fault"},
      {"string_thermal_runaway", "thermal runaway"},
      {"string_current_sensor_invalid", "current sensor"},
      {"string_comm_lost", "RS-485"},
      {"string_relay_mismatch", "contactor"},
      {"string_soc_low", "charging"},
      {"string_tripped", "reset"},
      {"door_open", "web UI"},
  };
  for (const auto& row : rows) {
    EXPECT_NE(advice_for(row.rule).find(row.words), std::string_view::npos) << row.rule;
  }
}

TEST(MessageText, TestMessageNamesTheRecipient) {
  Fixture f({recipient("ops")});
  const auto n = f.router.test_message("ops");
  ASSERT_TRUE(n.has_value());
  EXPECT_TRUE(n->test);
  EXPECT_NE(n->subject.find("Test message for ops"), std::string::npos);
  EXPECT_FALSE(f.router.test_message("nobody").has_value());
}

}  // namespace
}  // namespace btms::notify
