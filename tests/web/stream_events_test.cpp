// Engine events and alarm counts on the live stream (docs/api.md "Live stream events"), with a
// fake EngineService the test feeds: the feed alone, and end to end over a WebSocket.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

#include "fake_engine.hpp"
#include "test_client.hpp"
#include "test_plant.hpp"
#include "web/stream_events.hpp"
#include "web/web_server.hpp"

namespace btms::web {
namespace {

using test::FakeEngine;

using nlohmann::json;
using namespace std::chrono_literals;

json next(StreamEventFeed& feed) {
  auto message = feed.next_message();
  EXPECT_TRUE(message);
  return message ? json::parse(*message) : json{};
}

TEST(StreamEventFeed, WithoutEngineNothingIsSent) {
  StreamEventFeed feed(nullptr, nullptr);
  EXPECT_FALSE(feed.next_message());
}

TEST(StreamEventFeed, SendsCountsFirstThenNewEventsInOrderThenChangedCounts) {
  auto engine = std::make_shared<FakeEngine>();
  engine->add_event(model::EventKind::note, "mc", 0.0);  // before the client: not sent
  engine->set_alarms(2, 1);
  StreamEventFeed feed(engine, engine->event_log);
  EXPECT_EQ(next(feed), json({{"type", "alarms"}, {"count", 2}, {"unacknowledged", 1}}));
  EXPECT_FALSE(feed.next_message());

  const auto raised = engine->add_event(model::EventKind::alarm_raised, "battery/1/7", 47.1);
  engine->add_event(model::EventKind::alarm_cleared, "battery/1/8", 30.0);
  engine->set_alarms(3, 1);
  const auto first = next(feed);
  EXPECT_EQ(first["type"], "event");
  EXPECT_EQ(first["event"]["id"], raised.id);
  EXPECT_EQ(first["event"]["kind"], "alarm_raised");
  EXPECT_EQ(first["event"]["severity"], "alarm");
  EXPECT_EQ(first["event"]["source"], "battery/1/7");
  EXPECT_EQ(first["event"]["rule"], "battery_temperature_alarm");
  EXPECT_EQ(first["event"]["time_ms"], raised.time_ms);
  EXPECT_DOUBLE_EQ(first["event"]["value"].get<double>(), 47.1);
  EXPECT_TRUE(first["event"].contains("text"));
  EXPECT_TRUE(first["event"].contains("user"));
  EXPECT_EQ(next(feed)["event"]["kind"], "alarm_cleared");
  EXPECT_EQ(next(feed), json({{"type", "alarms"}, {"count", 3}, {"unacknowledged", 2}}));
  EXPECT_FALSE(feed.next_message());

  engine->set_alarms(3, 3);  // acknowledged: unacknowledged count changes only
  EXPECT_EQ(next(feed), json({{"type", "alarms"}, {"count", 3}, {"unacknowledged", 0}}));
  EXPECT_FALSE(feed.next_message());
}

// A client that fell behind the event log's ring is told how many events it lost (then it reads
// them from /api/v1/events), and goes on with the ones still kept.
TEST(StreamEventFeed, ClientThatFellBehindTheRingIsToldHowManyItMissed) {
  auto engine = std::make_shared<FakeEngine>(4);         // the log keeps the newest four
  engine->add_event(model::EventKind::note, "mc", 0.0);  // id 1: the client's starting point
  StreamEventFeed feed(engine, engine->event_log);
  (void)next(feed);                                                                 // counts
  for (int i = 0; i < 10; ++i) engine->add_event(model::EventKind::note, "mc", i);  // ids 2..11
  // The ring holds 8..11: 2..7 (six) were never sent to this client.
  EXPECT_EQ(next(feed), json({{"type", "events_missed"}, {"count", 6}}));
  for (int id = 8; id <= 11; ++id) EXPECT_EQ(next(feed)["event"]["id"], id);
  EXPECT_FALSE(feed.next_message());
}

// Two clients read the same log at their own pace: one reading nothing for a while takes nothing
// from the other.
TEST(StreamEventFeed, EachClientHasItsOwnPlaceInTheLog) {
  auto engine = std::make_shared<FakeEngine>();
  StreamEventFeed quick(engine, engine->event_log);
  StreamEventFeed slow(engine, engine->event_log);
  (void)next(quick);
  (void)next(slow);
  for (int i = 0; i < 3; ++i) engine->add_event(model::EventKind::note, "mc", i);
  for (int id = 1; id <= 3; ++id) EXPECT_EQ(next(quick)["event"]["id"], id);
  EXPECT_FALSE(quick.next_message());
  for (int id = 1; id <= 3; ++id) EXPECT_EQ(next(slow)["event"]["id"], id);
  EXPECT_FALSE(slow.next_message());
}

// A client coming back asks for the events since the newest it has: the ring's from then on,
// none it was already sent since it connected, then the live ones.
TEST(StreamEventFeed, CatchUpReplaysTheRingSinceTheTimeAskedThenGoesLive) {
  auto engine = std::make_shared<FakeEngine>();
  std::vector<model::Event> before;
  for (int i = 0; i < 5; ++i) before.push_back(engine->add_event(model::EventKind::note, "mc", i));
  StreamEventFeed feed(engine, engine->event_log);
  (void)next(feed);  // counts
  // Made after the client connected and sent before its subscription was read.
  EXPECT_EQ(next(feed)["event"]["id"], engine->add_event(model::EventKind::note, "mc", 5).id);
  bool store_asked = false;
  feed.catch_up(before[2].time_ms, [&](std::int64_t, std::int64_t, std::size_t) {
    store_asked = true;  // the ring holds everything since then
    return std::vector<model::Event>{};
  });
  EXPECT_FALSE(store_asked);
  for (int id = 3; id <= 5; ++id) EXPECT_EQ(next(feed)["event"]["id"], id);  // 6 went already
  EXPECT_FALSE(feed.next_message());
  EXPECT_EQ(next(feed)["event"]["id"], engine->add_event(model::EventKind::note, "mc", 6).id);
  EXPECT_FALSE(feed.next_message());
  // Once per client: a second request repeats nothing.
  feed.catch_up(0, {});
  EXPECT_FALSE(feed.next_message());
}

// What the ring lost comes from the store (up to the ring's oldest event), then the ring's.
TEST(StreamEventFeed, CatchUpTakesWhatTheRingLostFromTheStore) {
  auto engine = std::make_shared<FakeEngine>(4);  // the log keeps the newest four
  std::vector<model::Event> all;
  for (int i = 0; i < 10; ++i) all.push_back(engine->add_event(model::EventKind::note, "mc", i));
  StreamEventFeed feed(engine, engine->event_log);
  (void)next(feed);  // counts
  std::int64_t asked_from = 0, asked_to = 0;
  feed.catch_up(all[1].time_ms, [&](std::int64_t from_ms, std::int64_t to_ms, std::size_t limit) {
    asked_from = from_ms;
    asked_to = to_ms;
    EXPECT_EQ(limit, StreamEventFeed::kCatchUpStoredMax);
    std::vector<model::Event> found;
    for (const auto& e : all) {
      if (e.time_ms >= from_ms && e.time_ms < to_ms) found.push_back(e);
    }
    return found;
  });
  EXPECT_EQ(asked_from, all[1].time_ms);
  EXPECT_EQ(asked_to, all[6].time_ms);  // id 7: the ring's oldest
  for (int id = 2; id <= 10; ++id) EXPECT_EQ(next(feed)["event"]["id"], id);
  EXPECT_FALSE(feed.next_message());
}

// More events in the store than a catch-up takes: the client is told that older ones were left
// out, and from when, before the newest ones come.
TEST(StreamEventFeed, CatchUpSaysWhenTheStoreHadMoreThanItTakes) {
  auto engine = std::make_shared<FakeEngine>(4);
  engine->add_event(model::EventKind::note, "mc", 0);
  StreamEventFeed feed(engine, engine->event_log);
  (void)next(feed);  // counts
  feed.catch_up(0, [](std::int64_t, std::int64_t, std::size_t limit) {
    std::vector<model::Event> found(limit);
    for (std::size_t i = 0; i < limit; ++i) {
      found[i].id = i + 100;
      found[i].time_ms = 1'000 + static_cast<std::int64_t>(i);
      found[i].kind = model::EventKind::note;
    }
    return found;
  });
  EXPECT_EQ(next(feed), json({{"type", "events_missed"}, {"count", 0}, {"older_than_ms", 1000}}));
  EXPECT_EQ(next(feed)["event"]["id"], 100);
  int events = 1;
  while (auto m = feed.next_message()) {
    if (json::parse(*m)["type"] == "event") ++events;
  }
  EXPECT_EQ(events, static_cast<int>(StreamEventFeed::kCatchUpStoredMax) + 1);  // + the ring's
}

TEST(StreamEventFeed, ManyEventsComeOutOneMessageEachInOrder) {
  auto engine = std::make_shared<FakeEngine>();
  StreamEventFeed feed(engine, engine->event_log);
  (void)next(feed);  // counts
  for (int i = 0; i < 40; ++i) engine->add_event(model::EventKind::note, "mc", i);
  for (int i = 0; i < 40; ++i) {
    const auto m = next(feed);
    ASSERT_EQ(m["type"], "event");
    EXPECT_EQ(m["event"]["id"], i + 1);
  }
  EXPECT_FALSE(feed.next_message());
}

class StreamEventsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plant.set(plant.plant_id("battery/1/1/voltage"), 13.52);
    plant.publish();
  }
  void TearDown() override {
    if (server) server->stop();
  }
  void start(std::shared_ptr<FakeEngine> with_engine) {
    WebOptions options;
    options.port = 0;
    options.allow_anonymous_read = true;
    server = std::make_unique<WebServer>(options, plant.plant, plant.derived, plant.site);
    if (with_engine) {
      server->set_event_log(with_engine->event_log);
      server->set_engine(std::move(with_engine));
    }
    server->start();
  }
  json read(test::WsClient& ws) {
    const auto text = ws.read_text(3s);
    EXPECT_TRUE(text) << "no message";
    return text ? json::parse(*text) : json{};
  }

  test::TestPlant plant;
  std::unique_ptr<WebServer> server;
};

TEST_F(StreamEventsServerTest, EventsAndAlarmCountsReachTheClient) {
  auto engine = std::make_shared<FakeEngine>();
  start(engine);
  test::WsClient ws;
  ASSERT_EQ(ws.connect(server->port(), "/api/v1/stream"), 101);
  EXPECT_EQ(read(ws), json({{"type", "alarms"}, {"count", 0}, {"unacknowledged", 0}}));
  ASSERT_TRUE(ws.send_text(R"({"subscribe": ["battery/1/1/"]})"));
  EXPECT_EQ(read(ws)["type"], "values");

  engine->add_event(model::EventKind::alarm_raised, "battery/1/1", 47.1);
  engine->set_alarms(1, 0);
  // The engine publishes after a step with events; that publish wakes the stream (no timer).
  plant.publish();
  const auto event = read(ws);
  EXPECT_EQ(event["type"], "event");
  EXPECT_EQ(event["event"]["source"], "battery/1/1");
  EXPECT_EQ(event["event"]["kind"], "alarm_raised");
  EXPECT_EQ(read(ws), json({{"type", "alarms"}, {"count", 1}, {"unacknowledged", 1}}));
  // Values keep flowing next to events.
  plant.set(plant.plant_id("battery/1/1/voltage"), 13.0);
  plant.publish();
  EXPECT_EQ(read(ws)["type"], "values");
  EXPECT_FALSE(ws.read_text(100ms));
}

TEST_F(StreamEventsServerTest, WithoutEngineOnlyValuesAreSent) {
  start(nullptr);
  test::WsClient ws;
  ASSERT_EQ(ws.connect(server->port(), "/api/v1/stream"), 101);
  EXPECT_FALSE(ws.read_text(150ms));
  ASSERT_TRUE(ws.send_text(R"({"subscribe": ["battery/1/1/"]})"));
  EXPECT_EQ(read(ws)["type"], "values");
  EXPECT_FALSE(ws.read_text(150ms));
}

}  // namespace
}  // namespace btms::web
