#include "web/stream_differ.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_plant.hpp"

namespace btms::web {
namespace {

using nlohmann::json;

json parse(const std::optional<std::string>& msg) {
  EXPECT_TRUE(msg);
  return msg ? json::parse(*msg) : json{};
}

TEST(ParseStreamRequest, AcceptsPrefixListRefusesTheRest) {
  const auto ok = parse_stream_request(R"({"subscribe": ["battery/1/", "string/"]})");
  ASSERT_TRUE(std::holds_alternative<std::vector<std::string>>(ok));
  EXPECT_EQ(std::get<std::vector<std::string>>(ok).size(), 2u);
  for (const char* bad :
       {"", "not json", "[]", R"({"subscribe": "string/"})", R"({"subscribe": [1]})",
        R"({"subscribe": ["Bad!"]})", R"({"unsubscribe": []})"}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_stream_request(bad))) << bad;
  }
}

TEST(StreamDiffer, NothingBeforeSubscribe) {
  test::TestPlant plant;
  plant.publish();
  StreamDiffer differ;
  EXPECT_FALSE(differ.next_message(plant.plant->latest(), plant.derived->latest()));
}

TEST(StreamDiffer, FirstMessageHasAllSubscribedThenOnlyChanges) {
  test::TestPlant plant;
  plant.publish();
  StreamDiffer differ;
  differ.subscribe({"battery/1/", "string/1/soc"});
  auto first = parse(differ.next_message(plant.plant->latest(), plant.derived->latest()));
  EXPECT_EQ(first["type"], "values");
  EXPECT_EQ(first["sequence"], 1);
  EXPECT_EQ(first["channels"].size(), 4u * 4u + 1u);  // 4 batteries x 4 quantities + soc
  EXPECT_TRUE(first["channels"].contains("string/1/soc"));
  EXPECT_EQ(first["channels"]["battery/1/1/voltage"]["quality"], "ok");

  // Same snapshot again: nothing to send.
  EXPECT_FALSE(differ.next_message(plant.plant->latest(), plant.derived->latest()));

  // A value change, a quality change and a change outside the subscription.
  plant.set(plant.plant_id("battery/1/2/voltage"), 13.1);
  plant.set(plant.plant_id("battery/1/3/temperature"), 25.0, model::Quality::stale);
  plant.set(plant.plant_id("battery/2/1/voltage"), 12.9);
  plant.publish();
  auto second = parse(differ.next_message(plant.plant->latest(), plant.derived->latest()));
  EXPECT_EQ(second["sequence"], 2);
  ASSERT_EQ(second["channels"].size(), 2u) << second.dump();
  EXPECT_EQ(second["channels"]["battery/1/2/voltage"]["value"], 13.1);
  EXPECT_EQ(second["channels"]["battery/1/3/temperature"]["quality"], "stale");
}

TEST(StreamDiffer, SlowClientGetsOnlyNewestStateCoalesced) {
  test::TestPlant plant;
  plant.publish();
  StreamDiffer differ;
  differ.subscribe({"battery/1/1/voltage"});
  ASSERT_TRUE(differ.next_message(plant.plant->latest(), plant.derived->latest()));
  // Three publishes while the client's previous message is still being written.
  for (double v : {13.0, 13.1, 13.2}) {
    plant.set(plant.plant_id("battery/1/1/voltage"), v);
    plant.publish();
  }
  auto msg = parse(differ.next_message(plant.plant->latest(), plant.derived->latest()));
  EXPECT_EQ(msg["sequence"], 4);
  EXPECT_EQ(msg["channels"]["battery/1/1/voltage"]["value"], 13.2);
  EXPECT_FALSE(differ.next_message(plant.plant->latest(), plant.derived->latest()));
}

TEST(StreamDiffer, ResubscribeSendsEverythingAgain) {
  test::TestPlant plant;
  plant.publish();
  StreamDiffer differ;
  differ.subscribe({"string/2/"});
  auto a = parse(differ.next_message(plant.plant->latest(), plant.derived->latest()));
  EXPECT_EQ(a["channels"].size(), 4u);
  differ.subscribe({"string/2/"});
  auto b = parse(differ.next_message(plant.plant->latest(), plant.derived->latest()));
  EXPECT_EQ(b["channels"].size(), 4u);
}

TEST(StreamDiffer, NullDerivedAndNanValues) {
  test::TestPlant plant;
  plant.set(plant.plant_id("string/1/current"), std::nan(""), model::Quality::invalid);
  plant.publish();
  StreamDiffer differ;
  differ.subscribe({"string/1/current"});
  auto msg = parse(differ.next_message(plant.plant->latest(), nullptr));
  EXPECT_TRUE(msg["channels"]["string/1/current"]["value"].is_null());
  EXPECT_EQ(msg["channels"]["string/1/current"]["quality"], "invalid");
  // NaN stays NaN: not a change.
  EXPECT_FALSE(differ.next_message(plant.plant->latest(), nullptr));
}

}  // namespace
}  // namespace btms::web
