// The routing core and the message words at the aggregator, where every source carries its
// gateway's name ("hall-a/battery/3/17"): incidents, filters and inhibition stay within one
// gateway, and messages name the gateway with its own string and UPS names.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "notify/alarm_router.hpp"
#include "notify/message_text.hpp"
#include "notify/webhook_payload.hpp"
#include "tests/notify/manual_clock.hpp"

namespace btms::notify {
namespace {

using model::Event;
using model::EventKind;
using model::Severity;

constexpr std::int64_t kNoon = 1'796'472'000'000;  // 2026-12-05 12:00:00 UTC
constexpr std::int64_t kSecond = 1000;

// Two gateways whose string 3 are different strings.
SiteNames site_names() {
  SiteNames n;
  n.site = "DC Frankfurt";
  n.gateways = {"hall-a", "hall-b"};
  n.gateway_string = [](std::string_view gateway, int id) -> std::optional<SiteNames::StringInfo> {
    if (gateway == "hall-a" && id == 3) return SiteNames::StringInfo{"Row C", 2, "UPS South"};
    if (gateway == "hall-b" && id == 3) return SiteNames::StringInfo{"Cellar 3", 1, "UPS B1"};
    return std::nullopt;
  };
  return n;
}

NotifiedAlarm alarm(std::string source, std::string rule, Severity severity = Severity::alarm) {
  NotifiedAlarm a;
  a.source = std::move(source);
  a.rule = std::move(rule);
  a.key = a.source + ":" + a.rule;
  a.severity = severity;
  a.active = true;
  return a;
}

Event raised(std::string source, std::string rule, Severity severity, std::int64_t t) {
  Event e;
  e.kind = EventKind::alarm_raised;
  e.source = std::move(source);
  e.rule = std::move(rule);
  e.severity = severity;
  e.time_ms = t;
  e.text = e.source + " " + e.rule;
  return e;
}

TEST(GatewayPrefix, SplitOnlyBeforeABatteryStringOrUpsSource) {
  const struct {
    const char* source;
    const char* gateway;
    const char* local;
  } rows[] = {{"hall-a/battery/3/17", "hall-a", "battery/3/17"},
              {"hall-a/string/3", "hall-a", "string/3"},
              {"hall-a/ups/2", "hall-a", "ups/2"},
              {"battery/3/17", "", "battery/3/17"},
              {"string/3", "", "string/3"},
              {"mc/input/2", "", "mc/input/2"},  // a gateway's own source is never split
              {"hall-a/mc/input/2", "", "hall-a/mc/input/2"},
              {"hall-a", "", "hall-a"},
              {"string/string/3", "string", "string/3"}};  // a gateway named "string"
  for (const auto& row : rows) {
    const auto parts = split_gateway(row.source);
    EXPECT_EQ(parts.gateway, row.gateway) << row.source;
    EXPECT_EQ(parts.local, row.local) << row.source;
  }
}

TEST(GatewayPrefix, TheIncidentIsTheGatewaysString) {
  EXPECT_EQ(group_of("hall-a/battery/3/17"), "hall-a/string/3");
  EXPECT_EQ(group_of("hall-a/string/3"), "hall-a/string/3");
  EXPECT_EQ(group_of("hall-b/battery/3/1"), "hall-b/string/3");
  EXPECT_EQ(group_of("hall-a/mc/input/2"), "hall-a/mc/input/2");
  EXPECT_EQ(group_of("hall-a"), "hall-a");
}

TEST(GatewayPrefix, UpsAndStringNamesAreTheGatewaysOwn) {
  const auto n = site_names();
  EXPECT_EQ(n.ups_of("hall-a/battery/3/17"), 2);
  EXPECT_EQ(n.ups_of("hall-b/string/3"), 1);
  EXPECT_EQ(n.ups_of("hall-b/battery/4/1"), 0);  // not in hall-b's topology
  EXPECT_EQ(n.ups_of("battery/3/17"), 0);        // no gateway-less strings at the site
  EXPECT_EQ(where_text("hall-a/battery/3/17", n),
            "hall-a / Battery 3/17 in String 3 \"Row C\" of UPS 2 \"UPS South\"");
  EXPECT_EQ(where_text("hall-b/string/3", n), "hall-b / String 3 \"Cellar 3\" of UPS 1 \"UPS B1\"");
  // Under a known gateway name any of its sources is named as the gateway names it.
  EXPECT_EQ(where_text("hall-a/mc/input/2", n), "hall-a / MC input 2");
  EXPECT_EQ(n.split("hall-a/mc/input/2").gateway, "hall-a");
  EXPECT_EQ(n.split("hall-c/mc/input/2").gateway, "");
  EXPECT_EQ(where_text("hall-a", n), "Gateway hall-a");
}

TEST(GatewayPrefix, RecipientSourcesAreTakenPerGateway) {
  const auto n = site_names();
  Recipient r;
  r.name = "ops";
  r.min_severity = Severity::warning;
  const auto wants = [&](std::vector<std::string> sources, const NotifiedAlarm& a) {
    r.sources = std::move(sources);
    return recipient_wants(r, n, a);
  };
  const auto a_battery = alarm("hall-a/battery/3/17", "battery_voltage_high");
  const auto b_battery = alarm("hall-b/battery/3/17", "battery_voltage_high");
  EXPECT_TRUE(wants({"hall-a/string/3"}, a_battery));
  EXPECT_FALSE(wants({"hall-a/string/3"}, b_battery));
  EXPECT_FALSE(wants({"string/3"}, a_battery));  // no gateway: no string of a gateway
  EXPECT_TRUE(wants({"hall-a/ups/2"}, a_battery));
  EXPECT_FALSE(wants({"hall-a/ups/1"}, a_battery));
  EXPECT_TRUE(wants({"hall-b/ups/1"}, b_battery));
  EXPECT_TRUE(wants({"hall-a"}, a_battery));  // the whole gateway
  EXPECT_FALSE(wants({"hall-a"}, b_battery));
  EXPECT_TRUE(wants({"hall-a"}, alarm("hall-a", "gateway_offline")));
  EXPECT_TRUE(wants({"site"}, b_battery));
}

TEST(GatewayPrefix, ALostSensorInhibitsOnlyOnItsOwnGateway) {
  const std::set<std::string> active = {"hall-a/battery/3/17:battery_comm_lost",
                                        "hall-b/string/2:string_comm_lost"};
  EXPECT_TRUE(inhibited(alarm("hall-a/battery/3/17", "battery_voltage_high"), active));
  EXPECT_FALSE(inhibited(alarm("hall-b/battery/3/17", "battery_voltage_high"), active));
  EXPECT_TRUE(inhibited(alarm("hall-b/string/2", "string_insulation_low"), active));
  EXPECT_FALSE(inhibited(alarm("hall-a/string/2", "string_insulation_low"), active));
  EXPECT_FALSE(
      inhibited(alarm("hall-a/battery/3/17", "battery_temperature_trip", Severity::trip), active));
}

TEST(GatewayPrefix, OneMessagePerGatewayStringNamingTheGateway) {
  RoutingSettings settings;
  settings.group_wait_ms = 30 * kSecond;
  settings.base_url = "https://site.example.net";
  Recipient ops;
  ops.name = "ops";
  auto clock = std::make_shared<test::ManualClock>(kNoon);
  AlarmRouter router(settings, {ops}, site_names(), clock);
  router.on_event(raised("hall-a/battery/3/17", "battery_voltage_high", Severity::alarm, kNoon));
  router.on_event(raised("hall-a/string/3", "string_insulation_low", Severity::alarm, kNoon));
  router.on_event(raised("hall-b/battery/3/17", "battery_voltage_high", Severity::alarm, kNoon));
  router.on_event(raised("hall-b", "gateway_offline", Severity::alarm, kNoon));
  clock->set(kNoon + 30 * kSecond);
  auto sent = router.take_due();
  ASSERT_EQ(sent.size(), 3u);
  std::map<std::string, Notification> by_group;
  for (auto& n : sent) by_group[n.group] = std::move(n);
  ASSERT_TRUE(by_group.contains("hall-a/string/3"));
  ASSERT_TRUE(by_group.contains("hall-b/string/3"));
  ASSERT_TRUE(by_group.contains("hall-b"));
  const auto& a = by_group["hall-a/string/3"];
  EXPECT_EQ(a.alarms.size(), 2u);
  EXPECT_NE(a.subject.find("hall-a / String 3 \"Row C\" of UPS 2"), std::string::npos) << a.subject;
  EXPECT_NE(a.text.find("https://site.example.net/#/gw/hall-a/battery/3/17"), std::string::npos)
      << a.text;
  EXPECT_NE(by_group["hall-b"].subject.find("Gateway hall-b"), std::string::npos)
      << by_group["hall-b"].subject;

  // The webhook's labels say which gateway, and the string and UPS within it.
  const auto body = nlohmann::json::parse(alertmanager_json(a, settings, site_names()));
  for (const auto& alert : body["alerts"]) {
    EXPECT_EQ(alert["labels"]["gateway"], "hall-a");
    EXPECT_EQ(alert["labels"]["string"], "3");
    EXPECT_EQ(alert["labels"]["ups"], "2");
  }
  EXPECT_EQ(body["groupKey"], "hall-a/string/3");
}

}  // namespace
}  // namespace btms::notify
