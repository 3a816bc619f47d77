#include "web/stream_differ.hpp"

#include <gtest/gtest.h>

#include <limits>

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
  ASSERT_TRUE(std::holds_alternative<StreamRequest>(ok));
  EXPECT_EQ(std::get<StreamRequest>(ok).prefixes.size(), 2u);
  EXPECT_FALSE(std::get<StreamRequest>(ok).events_since_ms);
  const auto catching_up =
      parse_stream_request(R"({"subscribe": ["string/"], "events_since_ms": 1700000000123})");
  ASSERT_TRUE(std::holds_alternative<StreamRequest>(catching_up));
  EXPECT_EQ(std::get<StreamRequest>(catching_up).events_since_ms, 1700000000123);
  for (const char* bad :
       {"", "not json", "[]", R"({"subscribe": "string/"})", R"({"subscribe": [1]})",
        R"({"subscribe": ["Bad!"]})", R"({"unsubscribe": []})",
        R"({"subscribe": [], "events_since_ms": -1})",
        R"({"subscribe": [], "events_since_ms": "yesterday"})",
        R"({"subscribe": [], "events_since_ms": 1.5})", R"({"subscribe": [], "since": 1})"}) {
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

// Only what a reader can see changed is sent: a value within its resolution or a new time
// alone is not, until the time enters a new 5 s resend window.
TEST(StreamDiffer, SendsChangesAtResolutionNotRestampsOrNoise) {
  auto dir = std::make_shared<model::ChannelDirectory>();
  dir->add("battery/1/1/voltage", "V");  // 1 mV
  dir->add("battery/1/1/soc", "%");      // 0.1 %
  std::uint64_t sequence = 0;
  const auto snapshot = [&](double voltage, double soc, std::int64_t time_ms) {
    auto snap = std::make_shared<model::Snapshot>();
    snap->channels = dir;
    snap->samples = {{voltage, time_ms, model::Quality::ok}, {soc, time_ms, model::Quality::ok}};
    snap->sequence = ++sequence;
    snap->time_ms = time_ms;
    return std::shared_ptr<const model::Snapshot>(snap);
  };
  StreamDiffer differ;
  differ.subscribe({"battery/1/1/"});
  auto first = parse(differ.next_message(snapshot(2.25, 99.99979988055553, 10'000), nullptr));
  EXPECT_EQ(first["channels"].size(), 2u);
  EXPECT_EQ(first["channels"]["battery/1/1/soc"]["value"], 100.0);
  // Restamped 200 ms later with noise under the resolution: nothing.
  EXPECT_FALSE(differ.next_message(snapshot(2.2502, 99.9999, 10'200), nullptr));
  // One count of voltage: only the voltage.
  auto second = parse(differ.next_message(snapshot(2.251, 99.9999, 10'400), nullptr));
  ASSERT_EQ(second["channels"].size(), 1u) << second.dump();
  EXPECT_EQ(second["channels"]["battery/1/1/voltage"]["value"], 2.251);
  // The time enters the next 5 s window: both again, so shown ages stay bounded.
  auto third = parse(differ.next_message(snapshot(2.251, 99.9999, 15'000), nullptr));
  EXPECT_EQ(third["channels"].size(), 2u);
  EXPECT_FALSE(differ.next_message(snapshot(2.251, 99.9999, 15'200), nullptr));
}

TEST(StreamMessageCache, SharedMessagesEqualUnsharedOnes) {
  test::TestPlant plant;
  plant.publish();
  auto cache = std::make_shared<StreamMessageCache>();
  StreamDiffer alone;
  StreamDiffer early(cache);
  StreamDiffer late(cache);
  StreamDiffer late_alone;
  alone.subscribe({"battery/1/", "string/"});
  early.subscribe({"battery/1/", "string/"});
  int hits = 0;
  for (int round = 0; round < 6; ++round) {
    if (round == 2) {
      late.subscribe({"battery/1/", "string/"});
      late_alone.subscribe({"battery/1/", "string/"});
    }
    const auto p = plant.plant->latest();
    const auto d = plant.derived->latest();
    const auto a = alone.next_message(p, d);
    const auto e = early.next_shared_message(p, d);
    ASSERT_EQ(a.has_value(), e != nullptr) << round;
    if (a) {
      EXPECT_EQ(json::parse(*a), json::parse(*e)) << round;
    }
    if (round >= 2) {
      const auto la = late_alone.next_message(p, d);
      const auto l = late.next_shared_message(p, d);
      ASSERT_EQ(la.has_value(), l != nullptr) << round;
      if (la) {
        EXPECT_EQ(json::parse(*la), json::parse(*l)) << round;
      }
    }
    // A second client in the same position shares the first one's message.
    StreamDiffer twin(cache);
    twin.subscribe({"battery/1/", "string/"});
    const auto t1 = twin.next_shared_message(p, d);
    StreamDiffer twin2(cache);
    twin2.subscribe({"battery/1/", "string/"});
    if (twin2.next_shared_message(p, d) == t1) ++hits;
    // Change a few values (one outside the subscription) for the next round.
    plant.set(plant.plant_id("battery/1/2/voltage"), 13.0 + 0.1 * round);
    if (round % 2 == 0) plant.set(plant.plant_id("battery/2/1/voltage"), 12.0 + round);
    if (round != 3) plant.publish();  // round 3: nothing new, nothing sent
  }
  EXPECT_EQ(hits, 6);
}

TEST(StreamDiffer, IntegralAndNonFiniteValuesAreValidJson) {
  test::TestPlant plant;
  plant.set(plant.plant_id("battery/1/1/voltage"), 13.0);
  plant.set(plant.plant_id("battery/1/2/voltage"), std::numeric_limits<double>::infinity());
  plant.publish();
  StreamDiffer differ;
  differ.subscribe({"battery/1/1/voltage", "battery/1/2/voltage"});
  const auto text = differ.next_message(plant.plant->latest(), nullptr);
  ASSERT_TRUE(text);
  const auto msg = json::parse(*text);
  EXPECT_TRUE(msg["channels"]["battery/1/1/voltage"]["value"].is_number_float());
  EXPECT_EQ(msg["channels"]["battery/1/1/voltage"]["value"], 13.0);
  EXPECT_TRUE(msg["channels"]["battery/1/2/voltage"]["value"].is_null());
}

}  // namespace
}  // namespace btms::web
