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

// One client turn: the members appended, read back as the JSON object a client receives.
json send(const GatewayData& g, bool fresh, const std::vector<std::string>& prefixes,
          SentState& sent) {
  std::string members;
  append_changed_channels(g, fresh, prefixes, sent, members);
  return json::parse("{" + members + "}");
}

TEST(ChannelChanges, FirstSendCarriesEveryChannelWithTheGatewayPrefix) {
  const auto g = gateway_with_two_strings();
  SentState sent;
  const json out = send(g, true, kEverything, sent);
  EXPECT_EQ(out.size(), 3U);
  EXPECT_EQ(out["gw2/string/1/voltage"], reading(540.0));
  EXPECT_EQ(out["gw2/ups/1/soc"], reading(99.0));
  EXPECT_EQ(sent.changes, g.changes);
}

TEST(ChannelChanges, OnlyWhatChangedSinceTheLastSend) {
  auto g = gateway_with_two_strings();
  SentState sent;
  const json out = send(g, true, kEverything, sent);

  const json again = send(g, true, kEverything, sent);
  EXPECT_TRUE(again.empty()) << again.dump();

  receive(g, json{{"string/2/voltage", reading(539.5)}});
  receive(g, json{{"ups/1/soc", reading(98.0)}});
  const json changed = send(g, true, kEverything, sent);
  EXPECT_EQ(changed,
            (json{{"gw2/string/2/voltage", reading(539.5)}, {"gw2/ups/1/soc", reading(98.0)}}));
}

TEST(ChannelChanges, FreshnessFlipResendsEverythingStaleThenFresh) {
  auto g = gateway_with_two_strings();
  SentState sent;
  const json out = send(g, true, kEverything, sent);

  // Nothing new arrived, but the gateway went silent: every channel again, as stale.
  const json stale = send(g, false, kEverything, sent);
  ASSERT_EQ(stale.size(), 3U);
  for (const auto& [name, r] : stale.items()) EXPECT_EQ(r["quality"], "stale") << name;
  EXPECT_EQ(g.channels["string/1/voltage"]["quality"], "ok");  // the held value is untouched

  const json still_stale = send(g, false, kEverything, sent);
  EXPECT_TRUE(still_stale.empty());

  // Back: every channel again with its own quality.
  const json fresh = send(g, true, kEverything, sent);
  ASSERT_EQ(fresh.size(), 3U);
  for (const auto& [name, r] : fresh.items()) EXPECT_EQ(r["quality"], "ok") << name;
}

TEST(ChannelChanges, OnlySubscribedPrefixes) {
  auto g = gateway_with_two_strings();
  SentState sent;
  const json out = send(g, true, {"gw2/string/2/", "gw1/"}, sent);
  EXPECT_EQ(out, (json{{"gw2/string/2/voltage", reading(541.0)}}));

  receive(g, json{{"string/1/voltage", reading(530.0)}});
  const json none = send(g, true, {"gw2/string/2/"}, sent);
  EXPECT_TRUE(none.empty()) << none.dump();
}

TEST(ChannelChanges, TwoGatewaysInOneMessageAndNamesThatNeedEscaping) {
  auto a = gateway_with_two_strings();
  GatewayData b;
  b.name = "gw3";
  receive(b, json{{"string/1/\"odd\"", reading(1.5)}});
  SentState sent_a, sent_b;
  std::string members;
  append_changed_channels(a, true, kEverything, sent_a, members);
  append_changed_channels(b, true, kEverything, sent_b, members);
  const auto message = json::parse("{" + members + "}");
  EXPECT_EQ(message.size(), 4U);
  EXPECT_EQ(message["gw3/string/1/\"odd\""], reading(1.5));
  EXPECT_EQ(message["gw2/string/2/voltage"], reading(541.0));
}

TEST(ChannelChanges, PrefixesMatchAcrossTheGatewayNameBoundary) {
  const auto g = gateway_with_two_strings();
  struct Case {
    std::string prefix;
    std::size_t channels;
  };
  const Case cases[] = {
      {"", 3},        {"gw", 3},   {"gw2", 3},   {"gw2/", 3}, {"gw2/string/", 2},
      {"gw2/ups", 1}, {"gw2x", 0}, {"gw20/", 0}, {"gw1/", 0}, {"gw2/string/3", 0}};
  for (const auto& c : cases) {
    SentState sent;
    EXPECT_EQ(send(g, true, {c.prefix}, sent).size(), c.channels) << c.prefix;
  }
}

TEST(ChannelChanges, MergeKeepsOtherChannelsAndIgnoresNonObjects) {
  auto g = gateway_with_two_strings();
  receive(g, json::array({1, 2}));
  EXPECT_EQ(g.channels.size(), 3U);
  receive(g, json{{"string/3/voltage", reading(1.0)}});
  EXPECT_EQ(g.channels.size(), 4U);
  EXPECT_EQ(g.channel_changed.at("string/3/voltage").changed, g.changes);
  EXPECT_EQ(g.channel_changed.at("string/1/voltage").changed, 1U);
}

}  // namespace
}  // namespace btms::aggregator
