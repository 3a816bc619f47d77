// The site stream sends each client only the summary channels that changed since it last sent
// that gateway, everything again when the gateway's freshness flips (as stale, or fresh again),
// and only what the client subscribed to.
#include "aggregator/channel_changes.hpp"

#include <gtest/gtest.h>

namespace btms::aggregator {
namespace {

using nlohmann::json;

json reading(double value) {
  return json{{"value", value}, {"quality", "ok"}, {"time_ms", 1000}};
}

// What a link does with one "values" message: merge, then bump the change count.
void receive(GatewayData& g, json channels) {
  merge_channels(g, std::move(channels), g.changes + 1);
  ++g.changes;
}

GatewayData gateway_with_two_strings() {
  GatewayData g;
  g.name = "gw2";
  receive(g, json{{"string/1/voltage", reading(540.0)},
                  {"string/2/voltage", reading(541.0)},
                  {"ups/1/soc", reading(99.0)}});
  return g;
}

const std::vector<std::string> kEverything{""};

TEST(ChannelChanges, FirstSendCarriesEveryChannelWithTheGatewayPrefix) {
  const auto g = gateway_with_two_strings();
  SentState sent;
  json out = json::object();
  append_changed_channels(g, true, kEverything, sent, out);
  EXPECT_EQ(out.size(), 3U);
  EXPECT_EQ(out["gw2/string/1/voltage"], reading(540.0));
  EXPECT_EQ(out["gw2/ups/1/soc"], reading(99.0));
  EXPECT_EQ(sent.changes, g.changes);
}

TEST(ChannelChanges, OnlyWhatChangedSinceTheLastSend) {
  auto g = gateway_with_two_strings();
  SentState sent;
  json out = json::object();
  append_changed_channels(g, true, kEverything, sent, out);

  json again = json::object();
  append_changed_channels(g, true, kEverything, sent, again);
  EXPECT_TRUE(again.empty()) << again.dump();

  receive(g, json{{"string/2/voltage", reading(539.5)}});
  receive(g, json{{"ups/1/soc", reading(98.0)}});
  json changed = json::object();
  append_changed_channels(g, true, kEverything, sent, changed);
  EXPECT_EQ(changed,
            (json{{"gw2/string/2/voltage", reading(539.5)}, {"gw2/ups/1/soc", reading(98.0)}}));
}

TEST(ChannelChanges, FreshnessFlipResendsEverythingStaleThenFresh) {
  auto g = gateway_with_two_strings();
  SentState sent;
  json out = json::object();
  append_changed_channels(g, true, kEverything, sent, out);

  // Nothing new arrived, but the gateway went silent: every channel again, as stale.
  json stale = json::object();
  append_changed_channels(g, false, kEverything, sent, stale);
  ASSERT_EQ(stale.size(), 3U);
  for (const auto& [name, r] : stale.items()) EXPECT_EQ(r["quality"], "stale") << name;
  EXPECT_EQ(g.channels["string/1/voltage"]["quality"], "ok");  // the held value is untouched

  json still_stale = json::object();
  append_changed_channels(g, false, kEverything, sent, still_stale);
  EXPECT_TRUE(still_stale.empty());

  // Back: every channel again with its own quality.
  json fresh = json::object();
  append_changed_channels(g, true, kEverything, sent, fresh);
  ASSERT_EQ(fresh.size(), 3U);
  for (const auto& [name, r] : fresh.items()) EXPECT_EQ(r["quality"], "ok") << name;
}

TEST(ChannelChanges, OnlySubscribedPrefixes) {
  auto g = gateway_with_two_strings();
  SentState sent;
  json out = json::object();
  append_changed_channels(g, true, {"gw2/string/2/", "gw1/"}, sent, out);
  EXPECT_EQ(out, (json{{"gw2/string/2/voltage", reading(541.0)}}));

  receive(g, json{{"string/1/voltage", reading(530.0)}});
  json none = json::object();
  append_changed_channels(g, true, {"gw2/string/2/"}, sent, none);
  EXPECT_TRUE(none.empty()) << none.dump();
}

TEST(ChannelChanges, MergeKeepsOtherChannelsAndIgnoresNonObjects) {
  auto g = gateway_with_two_strings();
  receive(g, json::array({1, 2}));
  EXPECT_EQ(g.channels.size(), 3U);
  receive(g, json{{"string/3/voltage", reading(1.0)}});
  EXPECT_EQ(g.channels.size(), 4U);
  EXPECT_EQ(g.channel_changed.at("string/3/voltage"), g.changes);
  EXPECT_EQ(g.channel_changed.at("string/1/voltage"), 1U);
}

}  // namespace
}  // namespace btms::aggregator
