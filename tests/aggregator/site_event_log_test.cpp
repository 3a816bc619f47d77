#include "aggregator/site_event_log.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "aggregator/gateway_event.hpp"
#include "web/history_handlers.hpp"

namespace btms::aggregator {
namespace {

using nlohmann::json;

model::Event gateway_event(std::uint64_t id, std::string source, model::EventKind kind,
                           model::Severity severity, std::string rule) {
  model::Event e;
  e.id = id;
  e.time_ms = 1'700'000'000'000 + static_cast<std::int64_t>(id);
  e.kind = kind;
  e.severity = severity;
  e.source = std::move(source);
  e.rule = std::move(rule);
  e.text = "text of " + std::to_string(id);
  e.user = id % 2 == 0 ? "token:ops" : "";
  e.value = 14.62;
  return e;
}

// The gateway's own serializer (what its stream's {"type":"event","event":{..}} carries).
json as_gateway_writes_it(const model::Event& event) {
  return json::parse(web::events_json({event}, web::EventsQuery{})).at("events").at(0);
}

std::vector<model::Event> everything(const SiteEventLog& site) {
  return site.log()->read(0, 1000).items;
}

TEST(GatewayEvent, ReadsWhatTheGatewayWritesForEveryKindAndSeverity) {
  for (int k = 0; k <= static_cast<int>(model::EventKind::config_changed); ++k) {
    for (int s = 0; s <= static_cast<int>(model::Severity::trip); ++s) {
      const auto original = gateway_event(41, "battery/3/17", static_cast<model::EventKind>(k),
                                          static_cast<model::Severity>(s), "battery_voltage_high");
      const auto parsed = parse_gateway_event(as_gateway_writes_it(original));
      ASSERT_TRUE(parsed) << k << " " << s;
      EXPECT_EQ(parsed->id, original.id);
      EXPECT_EQ(parsed->time_ms, original.time_ms);
      EXPECT_EQ(parsed->kind, original.kind);
      EXPECT_EQ(parsed->severity, original.severity);
      EXPECT_EQ(parsed->source, original.source);
      EXPECT_EQ(parsed->rule, original.rule);
      EXPECT_EQ(parsed->text, original.text);
      EXPECT_EQ(parsed->user, original.user);
      EXPECT_DOUBLE_EQ(parsed->value, original.value);
    }
  }
}

TEST(GatewayEvent, ANonFiniteValueStaysNotANumberAndBrokenEventsAreRefused) {
  auto e =
      gateway_event(7, "string/2", model::EventKind::string_tripped, model::Severity::trip, "");
  e.value = std::nan("");
  const auto written = as_gateway_writes_it(e);
  ASSERT_TRUE(written.at("value").is_null());
  const auto parsed = parse_gateway_event(written);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(std::isnan(parsed->value));

  for (const char* field : {"id", "time_ms", "kind", "severity", "source"}) {
    auto broken = written;
    broken.erase(field);
    EXPECT_FALSE(parse_gateway_event(broken)) << field;
  }
  auto unknown = written;
  unknown["kind"] = "alarm_exploded";
  EXPECT_FALSE(parse_gateway_event(unknown));
  unknown = written;
  unknown["severity"] = "catastrophic";
  EXPECT_FALSE(parse_gateway_event(unknown));
  EXPECT_FALSE(parse_gateway_event(json::array()));
}

model::Event at(std::uint64_t id, std::int64_t time_ms, std::string source = "battery/1/1") {
  auto e = gateway_event(id, std::move(source), model::EventKind::alarm_raised,
                         model::Severity::alarm, "battery_voltage_low");
  e.time_ms = time_ms;
  return e;
}

// A link's place in its gateway's events, step by step: what it asks for on each reopen and
// which events it relays.
TEST(GatewayEventCursor, AsksAgainFromTheHorizonLessTheOverlapAndDropsOnlyRepeats) {
  constexpr auto overlap = GatewayEventCursor::kOverlap_ms;
  constexpr std::int64_t t0 = 1'700'000'000'000;
  GatewayEventCursor cursor;
  EXPECT_EQ(cursor.reopen(), std::nullopt);  // a new link asks for no past
  cursor.saw_gateway_time(t0);               // values only: it was up and following until t0
  EXPECT_EQ(cursor.reopen(), t0 - overlap);
  struct Step {
    model::Event event;
    bool relayed;
    const char* why;
  };
  const std::vector<Step> first_connection{
      {at(1, t0 + 1000), true, "first"},
      {at(2, t0 + 1000), true, "same ms, another event"},
      {at(2, t0 + 1000), false, "exact repeat"},
      {at(2, t0 + 1000, "battery/1/2"), true, "same ms and id, another source"},
      {at(4, t0 + 2000), true, "newer"},
  };
  for (const auto& s : first_connection) EXPECT_EQ(cursor.admit(s.event), s.relayed) << s.why;
  cursor.saw_gateway_time(t0 + 2500);
  cursor.saw_gateway_time(t0 + 2400);  // an older values message moves nothing back
  EXPECT_EQ(cursor.reopen(), t0 + 2500 - overlap);
  // The gateway sends everything since then: the catch-up.
  const std::vector<Step> after_reconnect{
      {at(9, t0 + 5000), true, "made between connect and subscription"},
      {at(1, t0 + 1000), false, "caught up again: relayed before the cut"},
      {at(2, t0 + 1000, "battery/1/2"), false, "and another"},
      {at(4, t0 + 2000), false, "and the newest"},
      {at(5, t0 + 2000), true, "made in the same ms, after the cut"},
      {at(7, t0 + 3000), true, "made while away"},
      {at(9, t0 + 5000), false, "exact repeat of the live one"},
      {at(1, t0 - 2 * overlap), true, "a clock stepped back: relayed, not taken for a repeat"},
      {at(10, t0 + 6000), true, "live"},
  };
  for (const auto& s : after_reconnect) EXPECT_EQ(cursor.admit(s.event), s.relayed) << s.why;
  EXPECT_EQ(cursor.reopen(), t0 + 6000 - overlap);  // the newest, never the stepped-back one
  // What fell behind the overlap is forgotten: memory stays bounded by the overlap.
  cursor.saw_gateway_time(t0 + 6000 + overlap + 1);
  EXPECT_EQ(cursor.remembered(), 0U);
  const auto old = cursor.remembered();
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(cursor.admit(at(100 + static_cast<std::uint64_t>(i), t0 + 20'000 + i * 100)));
  }
  EXPECT_LE(cursor.remembered(), old + static_cast<std::size_t>(overlap / 100) + 1);
}

// The cursor kept across restarts of the aggregator: read back as it was written; anything
// else refused with the reason.
TEST(GatewayEventCursor, KeptInAFileItComesBackTheSame) {
  GatewayEventCursor cursor;
  cursor.saw_gateway_time(1'700'000'000'000);
  EXPECT_TRUE(cursor.admit(at(7, 1'700'000'001'000)));
  EXPECT_TRUE(cursor.admit(at(0, 1'700'000'001'000, "mc/input/5")));
  std::string error;
  auto back = GatewayEventCursor::from_json(json::parse(cursor.to_json().dump()), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->reopen(), cursor.reopen());
  EXPECT_EQ(back->remembered(), 2U);
  EXPECT_FALSE(back->admit(at(7, 1'700'000'001'000)));  // relayed before the restart
  EXPECT_FALSE(back->admit(at(0, 1'700'000'001'000, "mc/input/5")));
  EXPECT_TRUE(back->admit(at(8, 1'700'000'001'000)));
  auto fresh = GatewayEventCursor::from_json(GatewayEventCursor().to_json(), error);
  ASSERT_TRUE(fresh) << error;
  EXPECT_EQ(fresh->reopen(), std::nullopt);

  for (const char* bad : {R"([])", R"({"relayed": []})", R"({"horizon_ms": "x", "relayed": []})",
                          R"({"horizon_ms": 1})", R"({"horizon_ms": 1, "relayed": [[1, 2, 3]]})",
                          R"({"horizon_ms": 1, "relayed": [[1, -2, 3, "s", "r"]]})",
                          R"({"horizon_ms": 1, "relayed": [[1, 2, 3, 4, "r"]]})"}) {
    error.clear();
    EXPECT_FALSE(GatewayEventCursor::from_json(json::parse(bad), error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(SiteEventLog, GatewayEventsGetTheGatewayPrefixAndSiteWideIds) {
  SiteEventLog site;
  const auto a = gateway_event(500, "battery/3/17", model::EventKind::alarm_raised,
                               model::Severity::alarm, "battery_voltage_high");
  const auto b = gateway_event(12, "string/3", model::EventKind::alarm_acknowledged,
                               model::Severity::info, "string_insulation_low");
  const auto c = gateway_event(501, "mc/input/2", model::EventKind::alarm_cleared,
                               model::Severity::info, "mc_input_alarm");
  ASSERT_TRUE(site.add_gateway_event("hall-a", as_gateway_writes_it(a)));
  ASSERT_TRUE(site.add_gateway_event("hall-b", as_gateway_writes_it(b)));
  ASSERT_TRUE(site.add_gateway_event("hall-a", as_gateway_writes_it(c)));

  const auto events = everything(site);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].source, "hall-a/battery/3/17");
  EXPECT_EQ(events[1].source, "hall-b/string/3");
  EXPECT_EQ(events[2].source, "hall-a/mc/input/2");
  // The site's own ids, increasing in log order whatever the gateways' ids are.
  EXPECT_EQ(events[0].id, 1u);
  EXPECT_EQ(events[1].id, 2u);
  EXPECT_EQ(events[2].id, 3u);
  // Everything else as the gateway wrote it: its time, kind, severity, rule, text, user, value.
  const model::Event* originals[] = {&a, &b, &c};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].time_ms, originals[i]->time_ms);
    EXPECT_EQ(events[i].kind, originals[i]->kind);
    EXPECT_EQ(events[i].severity, originals[i]->severity);
    EXPECT_EQ(events[i].rule, originals[i]->rule);
    EXPECT_EQ(events[i].text, originals[i]->text);
    EXPECT_EQ(events[i].user, originals[i]->user);
    EXPECT_DOUBLE_EQ(events[i].value, originals[i]->value);
  }
}

TEST(SiteEventLog, AnUnreadableEventIsNotAppended) {
  SiteEventLog site;
  EXPECT_FALSE(site.add_gateway_event("hall-a", json{{"id", 1}}));
  EXPECT_EQ(site.log()->end(), 0u);
}

TEST(SiteEventLog, GatewayOfflineIsRaisedAndClearedOncePerOutage) {
  SiteEventLog site;
  site.gateway_online("hall-a", 1000);  // first connection: nothing was raised
  EXPECT_EQ(site.log()->end(), 0u);
  site.gateway_offline("hall-a", 2000, "connection refused");
  site.gateway_offline("hall-a", 2500, "connection refused");  // a retry failing again
  site.gateway_offline("hall-b", 2600, "");
  site.gateway_online("hall-a", 3000);
  site.gateway_online("hall-a", 3100);
  site.gateway_offline("hall-a", 4000, "timeout");

  const auto events = everything(site);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].kind, model::EventKind::alarm_raised);
  EXPECT_EQ(events[0].severity, model::Severity::alarm);
  EXPECT_EQ(events[0].source, "hall-a");
  EXPECT_EQ(events[0].rule, "gateway_offline");
  EXPECT_EQ(events[0].time_ms, 2000);
  EXPECT_EQ(events[0].text, "Gateway hall-a offline: connection refused");
  EXPECT_EQ(events[1].source, "hall-b");
  EXPECT_EQ(events[1].text, "Gateway hall-b offline");
  EXPECT_EQ(events[2].kind, model::EventKind::alarm_cleared);
  EXPECT_EQ(events[2].source, "hall-a");
  EXPECT_EQ(events[2].rule, "gateway_offline");
  EXPECT_EQ(events[2].time_ms, 3000);
  EXPECT_EQ(events[3].kind, model::EventKind::alarm_raised);
  EXPECT_EQ(events[3].time_ms, 4000);
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].id, i + 1);
}

TEST(SiteEventLog, MissedEventsAreCountedPerGatewayNotInvented) {
  SiteEventLog site;
  site.add_events_missed("hall-a", 3);
  site.add_events_missed("hall-a", 4);
  site.add_events_missed("hall-b", 1);
  EXPECT_EQ(site.events_missed("hall-a"), 7u);
  EXPECT_EQ(site.events_missed("hall-b"), 1u);
  EXPECT_EQ(site.events_missed("hall-c"), 0u);
  EXPECT_EQ(site.log()->end(), 0u);
}

TEST(SiteEventLog, AppendingWakesReadersAndCursorsReadAtTheirOwnPace) {
  SiteEventLog site(4);
  std::atomic<int> wakes{0};
  const auto subscription = site.log()->on_append([&] { ++wakes; });
  engine::LogCursor<model::Event> cursor(site.log(), site.log()->end());
  for (int i = 0; i < 6; ++i) {
    site.gateway_offline("gw" + std::to_string(i), 1000 + i, "");
  }
  EXPECT_EQ(wakes.load(), 6);
  // A reader that fell behind the ring is told how many it lost.
  const auto batch = cursor.next();
  EXPECT_EQ(batch.missed, 2u);
  ASSERT_EQ(batch.items.size(), 4u);
  EXPECT_EQ(batch.items.front().source, "gw2");
}

}  // namespace
}  // namespace btms::aggregator
