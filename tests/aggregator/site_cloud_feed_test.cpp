#include "aggregator/site_cloud_feed.hpp"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "aggregator/site_view.hpp"
#include "cloud/cloud_link.hpp"

namespace btms::aggregator {
namespace {

using nlohmann::json;

constexpr std::int64_t kNow = 1'000'000;
constexpr int kInterval_s = 10;
const std::string kPrefix = "btms/dc-1/site";

GatewayData gateway(const std::string& name) {
  GatewayData g;
  g.name = name;
  g.state = LinkState::online;
  g.last_data_ms = kNow - 100;
  g.last_seen_ms = kNow - 100;
  g.topology = json{{"upses", json::array({json{{"id", 1}, {"strings", {1, 2}}}})},
                    {"strings", json::array({json{{"id", 1}, {"ups_id", 1}, {"batteries", 4}},
                                             json{{"id", 2}, {"ups_id", 1}, {"batteries", 4}}})}};
  g.channels =
      json{{"string/1/voltage",
            {{"value", 540.1}, {"quality", "ok"}, {"time_ms", kNow - 200}, {"unit", "V"}}},
           {"string/1/state", {{"value", 0}, {"quality", "ok"}, {"time_ms", kNow - 200}}},
           {"string/2/voltage", {{"value", 538.5}, {"quality", "uncertain"}, {"time_ms", kNow}}},
           {"ups/1/soc", {{"value", 99}, {"quality", "ok"}, {"time_ms", kNow}}}};
  g.alarms = json{{"count", 0}, {"alarms", json::array()}};
  return g;
}

// The messages of one call by topic.
std::map<std::string, cloud::OutgoingMessage> by_topic(
    const std::vector<cloud::OutgoingMessage>& messages) {
  std::map<std::string, cloud::OutgoingMessage> out;
  for (const auto& m : messages) EXPECT_TRUE(out.emplace(m.topic, m).second) << m.topic;
  return out;
}

class SiteCloudFeedTest : public ::testing::Test {
 protected:
  SiteCloudFeed feed{"DC 1", kInterval_s,
                     [this](const SiteCloudFeed::GatewayVisitor& visit) {
                       for (const auto& g : gateways) visit(g);
                     },
                     [](std::function<void()>) { return model::PublishListeners::Subscription{}; }};
  std::vector<GatewayData> gateways{gateway("gw1"), gateway("gw2")};
};

TEST_F(SiteCloudFeedTest, FirstCallSendsEachGatewaysStatusAndItsStringSummaries) {
  const auto m = by_topic(feed.messages_due(kNow, kPrefix));
  ASSERT_EQ(m.size(), 6U);  // per gateway: status and strings 1 and 2 (no UPS channels)
  const auto& status = m.at(kPrefix + "/gateway/gw1/status");
  EXPECT_TRUE(status.retain);
  const auto s = json::parse(status.payload);
  const auto entry = site_summary_json("DC 1", {gateways[0]}, kNow)["gateways"][0];
  for (const char* key : {"name", "state", "fresh", "worst_state", "data_age_ms", "string_count",
                          "battery_count", "alarm_count", "unacknowledged"}) {
    EXPECT_EQ(s[key], entry[key]) << key;
  }
  EXPECT_EQ(s["state"], "online");
  EXPECT_EQ(s["worst_state"], "normal");
  EXPECT_EQ(s["data_age_ms"], 100);
  EXPECT_EQ(s["time_ms"], kNow);

  const auto& summary = m.at(kPrefix + "/gateway/gw1/string/1/summary");
  EXPECT_FALSE(summary.retain);
  const auto p = json::parse(summary.payload);
  EXPECT_EQ(p["gateway"], "gw1");
  EXPECT_EQ(p["string"], "1");
  EXPECT_EQ(p["fresh"], true);
  ASSERT_EQ(p["channels"].size(), 2U);
  EXPECT_EQ(p["channels"]["voltage"],
            (json{{"value", 540.1}, {"quality", "ok"}, {"time_ms", kNow - 200}}));
  EXPECT_EQ(p["channels"]["state"]["value"], 0);
  const auto two = json::parse(m.at(kPrefix + "/gateway/gw1/string/2/summary").payload);
  EXPECT_EQ(two["channels"]["voltage"]["quality"], "uncertain");
  EXPECT_TRUE(m.contains(kPrefix + "/gateway/gw2/string/2/summary"));
}

TEST_F(SiteCloudFeedTest, AChangeOfWorstStateGoesOutAtOnceElseTheInterval) {
  ASSERT_FALSE(feed.messages_due(kNow, kPrefix).empty());
  EXPECT_TRUE(feed.messages_due(kNow + 1000, kPrefix).empty());
  // An alarm on gw1: its worst state changes, gw2 has nothing new.
  gateways[0].alarms = json{
      {"count", 1}, {"alarms", json::array({json{{"key", "string/1:x"}, {"severity", "alarm"}}})}};
  auto m = by_topic(feed.messages_due(kNow + 2000, kPrefix));
  ASSERT_EQ(m.size(), 3U);
  EXPECT_EQ(json::parse(m.at(kPrefix + "/gateway/gw1/status").payload)["worst_state"], "alarm");
  EXPECT_FALSE(m.contains(kPrefix + "/gateway/gw2/status"));
  // gw2's interval has passed, gw1's (restarted by its change) not yet.
  for (auto& g : gateways) g.last_seen_ms = kNow + kInterval_s * 1000;
  m = by_topic(feed.messages_due(kNow + kInterval_s * 1000, kPrefix));
  EXPECT_EQ(m.size(), 3U);
  EXPECT_TRUE(m.contains(kPrefix + "/gateway/gw2/status"));
  m = by_topic(feed.messages_due(kNow + 2000 + kInterval_s * 1000, kPrefix));
  EXPECT_EQ(m.size(), 3U);
  EXPECT_TRUE(m.contains(kPrefix + "/gateway/gw1/status"));
}

TEST_F(SiteCloudFeedTest, TheGatewaysAreLookedAtAtMostEveryScanInterval) {
  ASSERT_FALSE(feed.messages_due(kNow, kPrefix).empty());
  gateways[0].alarms = json{
      {"count", 1}, {"alarms", json::array({json{{"key", "string/1:x"}, {"severity", "trip"}}})}};
  EXPECT_TRUE(feed.messages_due(kNow + kSiteFeedScan_ms - 1, kPrefix).empty());
  const auto m = by_topic(feed.messages_due(kNow + kSiteFeedScan_ms, kPrefix));
  ASSERT_TRUE(m.contains(kPrefix + "/gateway/gw1/status"));
  EXPECT_EQ(json::parse(m.at(kPrefix + "/gateway/gw1/status").payload)["worst_state"], "trip");
}

TEST_F(SiteCloudFeedTest, AGatewayNotFreshIsSentAtOnceWithItsValuesStale) {
  ASSERT_FALSE(feed.messages_due(kNow, kPrefix).empty());
  gateways[1].state = LinkState::offline;
  const auto m = by_topic(feed.messages_due(kNow + 500, kPrefix));
  ASSERT_EQ(m.size(), 3U);
  const auto s = json::parse(m.at(kPrefix + "/gateway/gw2/status").payload);
  EXPECT_EQ(s["state"], "offline");
  EXPECT_EQ(s["fresh"], false);
  EXPECT_EQ(s["worst_state"], "offline");
  const auto p = json::parse(m.at(kPrefix + "/gateway/gw2/string/1/summary").payload);
  EXPECT_EQ(p["fresh"], false);
  EXPECT_EQ(p["channels"]["voltage"]["quality"], "stale");
  EXPECT_EQ(p["channels"]["voltage"]["value"], 540.1);  // the last value known, marked stale
}

// A site's link sends JSON only: Sparkplug and Home Assistant describe one gateway's strings and
// batteries, and are refused at start (before the outbox is opened).
TEST_F(SiteCloudFeedTest, ALinkWithASiteFeedRefusesSparkplugAndHomeAssistant) {
  auto events = std::make_shared<engine::AppendLog<model::Event>>();
  auto feed_ptr = std::shared_ptr<cloud::SiteFeed>(&feed, [](cloud::SiteFeed*) {});
  auto refusal = [&](const cloud::CloudConfig& config) -> std::string {
    cloud::CloudLink link(config, feed_ptr, events, "/nonexistent-folder/cloud-outbox.db", nullptr);
    try {
      link.start();
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "started";
  };
  cloud::CloudConfig sparkplug;
  sparkplug.site_id = "dc-1";
  sparkplug.format = cloud::PayloadFormat::sparkplug;
  EXPECT_NE(refusal(sparkplug).find("JSON only"), std::string::npos) << refusal(sparkplug);
  cloud::CloudConfig home_assistant;
  home_assistant.site_id = "dc-1";
  home_assistant.home_assistant = true;
  EXPECT_NE(refusal(home_assistant).find("Home Assistant"), std::string::npos)
      << refusal(home_assistant);
}

}  // namespace
}  // namespace btms::aggregator
