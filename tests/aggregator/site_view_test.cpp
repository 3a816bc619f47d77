#include "aggregator/site_view.hpp"

#include <gtest/gtest.h>

namespace btms::aggregator {
namespace {

using nlohmann::json;

constexpr std::int64_t kNow = 1'000'000;

GatewayData gateway(const std::string& name, int strings_per_ups, int batteries) {
  GatewayData g;
  g.name = name;
  g.url = "http://127.0.0.1:1";
  g.state = LinkState::online;
  g.last_data_ms = kNow - 100;
  g.last_seen_ms = kNow - 100;
  json strings = json::array();
  json ids = json::array();
  for (int s = 1; s <= strings_per_ups; ++s) {
    strings.push_back(json{{"id", s}, {"ups_id", 1}, {"batteries", batteries}});
    ids.push_back(s);
  }
  g.topology =
      json{{"upses", json::array({json{{"id", 1}, {"strings", ids}}})}, {"strings", strings}};
  g.channels = json{{"string/1/voltage", {{"value", 540.1}, {"quality", "ok"}, {"time_ms", kNow}}},
                    {"string/1/state", {{"value", 0}, {"quality", "ok"}, {"time_ms", kNow}}},
                    {"ups/1/soc", {{"value", 99}, {"quality", "ok"}, {"time_ms", kNow}}}};
  g.alarms = json{{"count", 0}, {"unacknowledged", 0}, {"alarms", json::array()}};
  return g;
}

json alarm(const std::string& key, const std::string& severity, std::int64_t since,
           bool acknowledged = false) {
  return json{{"key", key},
              {"source", key.substr(0, key.find(':'))},
              {"severity", severity},
              {"since_ms", since},
              {"acknowledged", acknowledged}};
}

void set_alarms(GatewayData& g, json list) {
  g.alarms = json{{"count", list.size()}, {"alarms", std::move(list)}};
}

TEST(SiteView, FreshnessFollowsTheLinkAndTheAgeOfTheLastSignOfLife) {
  struct Case {
    LinkState state;
    std::int64_t seen_ago_ms;
    bool fresh;
  };
  const Case cases[] = {
      {LinkState::online, 0, true},
      {LinkState::online, kDataStale_ms, true},
      {LinkState::online, kDataStale_ms + 1, false},
      {LinkState::offline, 0, false},
      {LinkState::connecting, 0, false},
  };
  for (const auto& c : cases) {
    auto g = gateway("a", 1, 1);
    g.state = c.state;
    g.last_seen_ms = kNow - c.seen_ago_ms;
    EXPECT_EQ(is_fresh(g, kNow), c.fresh) << to_string(c.state) << " " << c.seen_ago_ms;
  }
  auto never = gateway("a", 1, 1);
  never.last_seen_ms = 0;
  EXPECT_FALSE(is_fresh(never, kNow));
}

TEST(SiteView, WorstStateOrder) {
  struct Case {
    std::vector<std::string> severities;
    double string_state;
    const char* worst;
  };
  const Case cases[] = {
      {{}, 0, "normal"},
      {{}, 2, "discharging"},
      {{"info"}, 2, "discharging"},
      {{"warning"}, 2, "warning"},
      {{"warning", "alarm"}, 0, "alarm"},
      {{"alarm", "trip", "warning"}, 2, "trip"},
  };
  for (const auto& c : cases) {
    auto g = gateway("a", 1, 1);
    json list = json::array();
    int i = 0;
    for (const auto& s : c.severities)
      list.push_back(alarm("string/1:r" + std::to_string(i++), s, 1));
    set_alarms(g, list);
    g.channels["string/1/state"]["value"] = c.string_state;
    EXPECT_EQ(worst_state(g, kNow), c.worst);
  }
  auto off = gateway("a", 1, 1);
  set_alarms(off, json::array({alarm("string/1:r", "trip", 1)}));
  off.state = LinkState::offline;
  EXPECT_EQ(worst_state(off, kNow), "offline");  // offline apart, whatever it last said
  off.last_data_ms = 0;
  EXPECT_EQ(worst_state(off, kNow), "connecting");
  // A discharge state that is itself stale says nothing.
  auto stale_state = gateway("a", 1, 1);
  stale_state.channels["string/1/state"] = {{"value", 2}, {"quality", "stale"}, {"time_ms", 1}};
  EXPECT_EQ(worst_state(stale_state, kNow), "normal");
}

TEST(SiteView, LiveChannelsCarryTheGatewayPrefixAndAreNeverFreshFromAnOfflineGateway) {
  std::vector<GatewayData> gws{gateway("gw1", 1, 10), gateway("gw2", 1, 10)};
  gws[1].state = LinkState::offline;
  const auto live = site_live_json(gws, "", kNow);
  const auto& ch = live["channels"];
  EXPECT_EQ(ch["gw1/string/1/voltage"]["quality"], "ok");
  EXPECT_EQ(ch["gw1/string/1/voltage"]["value"], 540.1);
  EXPECT_EQ(ch["gw2/string/1/voltage"]["quality"], "stale");
  EXPECT_EQ(ch["gw2/string/1/voltage"]["value"], 540.1);  // last value kept, marked stale
  EXPECT_EQ(ch.size(), 6U);
  const auto only = site_live_json(gws, "gw2/ups/", kNow);
  ASSERT_EQ(only["channels"].size(), 1U);
  EXPECT_TRUE(only["channels"].contains("gw2/ups/1/soc"));
}

TEST(SiteView, AlarmsAreMergedSortedAndPrefixedAndAnOfflineGatewayRaisesOne) {
  std::vector<GatewayData> gws{gateway("gw1", 1, 10), gateway("gw2", 1, 10), gateway("gw3", 1, 10)};
  set_alarms(gws[0], json::array({alarm("battery/1/7:battery_voltage_high", "warning", 50),
                                  alarm("string/1:string_soc_low", "alarm", 70, true)}));
  set_alarms(gws[1], json::array({alarm("battery/1/2:battery_temperature_alarm", "alarm", 60)}));
  gws[2].state = LinkState::offline;
  gws[2].last_seen_ms = kNow - 3000;
  gws[2].last_data_ms = kNow - 3000;
  gws[2].detail = "connection refused";
  const auto merged = site_alarms_json(gws, kNow);
  ASSERT_EQ(merged["count"], 4);
  EXPECT_EQ(merged["unacknowledged"], 3);
  const auto& a = merged["alarms"];
  // most severe first, oldest first among equals: the offline alarm started with its silence
  EXPECT_EQ(a[0]["key"], "gw2/battery/1/2:battery_temperature_alarm");
  EXPECT_EQ(a[0]["source"], "gw2/battery/1/2");
  EXPECT_EQ(a[0]["gateway"], "gw2");
  EXPECT_EQ(a[1]["key"], "gw1/string/1:string_soc_low");
  EXPECT_EQ(a[2]["key"], "gw3:gateway_offline");
  EXPECT_EQ(a[2]["since_ms"], kNow - 3000);
  EXPECT_EQ(a[2]["severity"], "alarm");
  EXPECT_NE(a[2]["text"].get<std::string>().find("connection refused"), std::string::npos);
  EXPECT_EQ(a[3]["key"], "gw1/battery/1/7:battery_voltage_high");
  EXPECT_EQ(a[3]["stale"], false);
}

TEST(SiteView, OfflineGatewaysAlarmsAreKeptButMarkedStale) {
  std::vector<GatewayData> gws{gateway("gw1", 1, 10)};
  set_alarms(gws[0], json::array({alarm("string/1:x", "alarm", 5)}));
  gws[0].state = LinkState::offline;
  const auto merged = site_alarms_json(gws, kNow);
  ASSERT_EQ(merged["count"], 2);
  EXPECT_EQ(merged["alarms"][0]["key"], "gw1/string/1:x");
  EXPECT_EQ(merged["alarms"][0]["stale"], true);
  EXPECT_EQ(merged["alarms"][1]["key"], "gw1:gateway_offline");
}

TEST(SiteView, SummaryTotalsAreSumsOverTheGateways) {
  std::vector<GatewayData> gws{gateway("gw1", 2, 10), gateway("gw2", 3, 120)};
  set_alarms(gws[1], json::array({alarm("string/1:x", "alarm", 5),
                                  alarm("string/2:x", "warning", 5, true)}));
  gws[1].state = LinkState::offline;
  const auto s = site_summary_json("DC", gws, kNow);
  const auto& t = s["totals"];
  EXPECT_EQ(t["gateways"], 2);
  EXPECT_EQ(t["online"], 1);
  EXPECT_EQ(t["offline"], 1);
  EXPECT_EQ(t["ups_count"], 2);
  EXPECT_EQ(t["string_count"], 5);
  EXPECT_EQ(t["battery_count"], 2 * 10 + 3 * 120);
  EXPECT_EQ(t["alarm_count"], 2);
  EXPECT_EQ(t["unacknowledged"], 1);
  EXPECT_EQ(s["gateways"][1]["worst_state"], "offline");
  EXPECT_EQ(s["gateways"][0]["data_age_ms"], 100);
}

TEST(SiteView, SummaryCarriesEachStringsExtremesFromTheGatewaysStringChannels) {
  std::vector<GatewayData> gws{gateway("gw1", 3, 10)};
  auto& ch = gws[0].channels;
  const auto reading = [](double v, const char* quality = "ok") {
    return json{{"value", v}, {"quality", quality}, {"time_ms", kNow}};
  };
  ch["string/1/lowest_voltage"] = reading(13.41);
  ch["string/1/lowest_voltage_battery"] = reading(7);
  ch["string/1/highest_voltage"] = reading(13.82);
  ch["string/1/highest_voltage_battery"] = reading(2);
  ch["string/1/highest_temperature"] = reading(31.5);
  ch["string/1/highest_temperature_battery"] = reading(9);
  // String 2: the figures are there but one is not a good reading.
  ch["string/2/lowest_voltage"] = reading(13.0, "comm_lost");
  ch["string/2/lowest_voltage_battery"] = reading(1);
  ch["string/2/highest_voltage"] = reading(13.5);
  ch["string/2/highest_voltage_battery"] = reading(3);
  // String 3: nothing published (no good reading, or an older gateway).
  auto s = site_summary_json("DC", gws, kNow);
  const auto& strings = s["gateways"][0]["strings"];
  ASSERT_EQ(strings.size(), 3U);
  EXPECT_EQ(strings[0]["id"], 1);
  EXPECT_EQ(strings[0]["lowest_voltage_V"], (json{{"value", 13.41}, {"battery", 7}}));
  EXPECT_EQ(strings[0]["highest_voltage_V"], (json{{"value", 13.82}, {"battery", 2}}));
  EXPECT_EQ(strings[0]["highest_temperature_C"], (json{{"value", 31.5}, {"battery", 9}}));
  EXPECT_EQ(strings[0]["quality"], "ok");
  EXPECT_EQ(strings[1]["quality"], "stale");
  EXPECT_EQ(strings[1]["lowest_voltage_V"]["battery"], 1);
  EXPECT_TRUE(strings[2]["lowest_voltage_V"].is_null());
  EXPECT_TRUE(strings[2]["highest_temperature_C"].is_null());
  EXPECT_EQ(strings[2]["quality"], "stale");
  // A gateway that is not fresh never shows its extremes as fresh.
  gws[0].state = LinkState::offline;
  s = site_summary_json("DC", gws, kNow);
  EXPECT_EQ(s["gateways"][0]["strings"][0]["quality"], "stale");
  EXPECT_EQ(s["gateways"][0]["strings"][0]["lowest_voltage_V"]["value"], 13.41);
}

TEST(SiteView, TopologyListsGatewaysWithStateAndAge) {
  std::vector<GatewayData> gws{gateway("gw1", 1, 4), gateway("gw2", 1, 4)};
  gws[1] = GatewayData{};
  gws[1].name = "gw2";
  const auto t = site_topology_json("DC", gws, kNow);
  EXPECT_EQ(t["site"], "DC");
  ASSERT_EQ(t["gateways"].size(), 2U);
  EXPECT_EQ(t["gateways"][0]["state"], "online");
  EXPECT_EQ(t["gateways"][0]["data_age_ms"], 100);
  EXPECT_EQ(t["gateways"][0]["topology"]["strings"].size(), 1U);
  EXPECT_EQ(t["gateways"][1]["state"], "connecting");
  EXPECT_TRUE(t["gateways"][1]["data_age_ms"].is_null());
  EXPECT_EQ(t["gateways"][1]["fresh"], false);
}

TEST(SiteView, PrefixedGatewayAnswers) {
  const json live{{"time_ms", 5},
                  {"channels",
                   {{"battery/1/1/voltage", {{"value", 13.5}, {"quality", "ok"}}},
                    {"battery/1/2/voltage", {{"value", 13.4}, {"quality", "comm_lost"}}}}}};
  const auto fresh = prefixed_live_json(live, "gw2", true);
  EXPECT_EQ(fresh["channels"]["gw2/battery/1/1/voltage"]["quality"], "ok");
  EXPECT_EQ(fresh["channels"]["gw2/battery/1/2/voltage"]["quality"], "comm_lost");
  const auto stale = prefixed_live_json(live, "gw2", false);
  EXPECT_EQ(stale["channels"]["gw2/battery/1/1/voltage"]["quality"], "stale");
  EXPECT_EQ(split_gateway_prefix("gw2/battery/1/")->gateway, "gw2");
  EXPECT_EQ(split_gateway_prefix("gw2/battery/1/")->rest, "battery/1/");
  EXPECT_FALSE(split_gateway_prefix("gw2").has_value());
  EXPECT_FALSE(split_gateway_prefix("/x").has_value());
}

}  // namespace
}  // namespace btms::aggregator
