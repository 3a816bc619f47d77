// The publication bus: the append-only log with cursors, the step bundle publication, the
// wake-ups, event durability, and the engine runner publishing through them (woken by the
// plant snapshot, no timer).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "engine/append_log.hpp"
#include "engine/engine_runner.hpp"
#include "engine/event_durability.hpp"
#include "engine/step_publication.hpp"
#include "plant_fixture.hpp"

namespace btms::engine {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

std::vector<int> ints(int from, int to) {
  std::vector<int> out;
  for (int i = from; i <= to; ++i) out.push_back(i);
  return out;
}

// ---- AppendLog: what a reader at a given position gets --------------------------------------

struct ReadCase {
  const char* name;
  int appended;          // items 1..appended, capacity 5
  std::uint64_t from;    // reader position
  std::size_t max;       // batch limit
  int first_item;        // expected first item (0 = none)
  std::size_t count;     // expected items
  std::uint64_t missed;  // expected missed
  std::uint64_t next;    // expected position after
};

TEST(AppendLog, ReadsFromAnyPositionAndCountsWhatWasLost) {
  const ReadCase cases[] = {
      {"empty log", 0, 0, 10, 0, 0, 0, 0},
      {"all kept, from start", 3, 0, 10, 1, 3, 0, 3},
      {"all kept, limited batch", 3, 0, 2, 1, 2, 0, 2},
      {"all kept, from middle", 3, 2, 10, 3, 1, 0, 3},
      {"at the end: nothing new", 3, 3, 10, 0, 0, 0, 3},
      {"ring full, from start", 5, 0, 10, 1, 5, 0, 5},
      {"one overwritten", 6, 0, 10, 2, 5, 1, 6},
      {"many overwritten", 12, 0, 10, 8, 5, 7, 12},
      {"overwritten, limited batch", 12, 3, 2, 8, 2, 4, 9},
      {"reader inside the ring", 12, 9, 10, 10, 3, 0, 12},
  };
  for (const auto& c : cases) {
    AppendLog<int> log(5);
    log.append(ints(1, c.appended));
    const auto batch = log.read(c.from, c.max);
    EXPECT_EQ(batch.items.size(), c.count) << c.name;
    if (c.count > 0) {
      EXPECT_EQ(batch.items.front(), c.first_item) << c.name;
      for (std::size_t i = 1; i < batch.items.size(); ++i) {
        EXPECT_EQ(batch.items[i], batch.items[i - 1] + 1) << c.name;
      }
    }
    EXPECT_EQ(batch.missed, c.missed) << c.name;
    EXPECT_EQ(batch.next, c.next) << c.name;
    EXPECT_EQ(log.end(), static_cast<std::uint64_t>(c.appended)) << c.name;
  }
}

TEST(AppendLog, CursorsAreIndependent) {
  auto log = std::make_shared<AppendLog<int>>(4);
  LogCursor<int> fast(log, 0), slow(log, 0);
  log->append(ints(1, 3));
  EXPECT_EQ(fast.next().items, ints(1, 3));  // reading takes nothing away from the others
  LogCursor<int> late(log, log->end());      // joins now: 1..3 are not its business
  log->append(ints(4, 5));
  EXPECT_EQ(late.next().items, ints(4, 5));
  EXPECT_EQ(fast.next().items, ints(4, 5));
  log->append(ints(6, 9));  // the ring (4) now holds 6..9
  EXPECT_EQ(fast.next().items, ints(6, 9));
  EXPECT_EQ(fast.missed_total(), 0u);
  const auto s = slow.next();  // never read: 1..5 are gone, and it is told
  EXPECT_EQ(s.items, ints(6, 9));
  EXPECT_EQ(s.missed, 5u);
  EXPECT_EQ(late.next().items, ints(6, 9));
  EXPECT_EQ(late.missed_total(), 0u);
  EXPECT_FALSE(fast.has_more());
}

TEST(AppendLog, WaitReturnsAtOnceWhenSomethingIsThereAndAtTheDeadlineOtherwise) {
  auto log = std::make_shared<AppendLog<int>>(4);
  LogCursor<int> cursor(log, 0);
  EXPECT_FALSE(cursor.wait(steady::now()));  // nothing yet: the deadline ends the wait
  int wakes = 0;
  auto sub = log->on_append([&] { ++wakes; });
  log->append({1});
  EXPECT_TRUE(cursor.wait(steady::now() + 3600s));  // returns at once: an item is there
  EXPECT_EQ(wakes, 1);
  log->append({});  // nothing appended, nobody woken
  EXPECT_EQ(wakes, 1);
  sub.reset();
  log->append({2});
  EXPECT_EQ(wakes, 1);
}

TEST(PublishListeners, SubscriptionEndsWithItsOwner) {
  model::SnapshotPublisher publisher;
  int wakes = 0;
  {
    auto sub = publisher.on_publish([&] { ++wakes; });
    publisher.publish(std::make_shared<const model::Snapshot>());
    EXPECT_EQ(wakes, 1);
    auto moved = std::move(sub);
    publisher.publish(std::make_shared<const model::Snapshot>());
    EXPECT_EQ(wakes, 2);
  }
  publisher.publish(std::make_shared<const model::Snapshot>());
  EXPECT_EQ(wakes, 2);
}

TEST(StepPublication, WaitAfterSeesOnlyNewerSteps) {
  StepPublication publication;
  EXPECT_EQ(publication.latest(), nullptr);
  EXPECT_EQ(publication.wait_after(0, steady::now()), nullptr);
  auto bundle = std::make_shared<StepBundle>();
  bundle->step = 1;
  publication.publish(bundle);
  EXPECT_EQ(publication.wait_after(0, steady::now() + 3600s), bundle);  // at once
  EXPECT_EQ(publication.wait_after(1, steady::now()), nullptr);         // nothing after step 1
}

// ---- EventDurability ----------------------------------------------------------------------

TEST(EventDurability, AnswersFromWhatTheRecorderCommitted) {
  EventDurability durability;
  // No recorder attached: nothing will ever commit, the answer is "not durable" at once.
  EXPECT_FALSE(durability.wait_committed(1, steady::now() + 3600s));
  durability.attach();
  int wanted_wakes = 0;
  auto sub = durability.on_wanted([&] { ++wanted_wakes; });
  EXPECT_FALSE(durability.wait_committed(5, steady::now()));  // deadline passes
  EXPECT_EQ(durability.wanted_id(), 5u);                      // the recorder is asked ...
  EXPECT_EQ(wanted_wakes, 1);                                 // ... and woken
  durability.committed(7);
  EXPECT_TRUE(durability.wait_committed(5, steady::now()));
  EXPECT_TRUE(durability.wait_committed(7, steady::now()));
  EXPECT_FALSE(durability.wait_committed(8, steady::now()));
  durability.committed(3);  // never goes back
  EXPECT_EQ(durability.committed_id(), 7u);
}

// ---- EngineRunner publishing through the bus ----------------------------------------------

class RunnerPublicationTest : public testing::PlantFixture {
 protected:
  class NullSink : public model::CommandSink {
   public:
    void submit(const model::Command&) override {}
  };
  std::shared_ptr<model::SnapshotPublisher> plant_pub =
      std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<model::SnapshotPublisher> derived_pub =
      std::make_shared<model::SnapshotPublisher>();
  NullSink sink;
  std::uint64_t sequence = 0;

  std::shared_ptr<const model::Snapshot> publish_next() {
    now_ms += 1000;
    for (auto& s : snap.samples) s.time_ms = now_ms;
    snap.sequence = ++sequence;
    snap.time_ms = now_ms;
    auto published = std::make_shared<const model::Snapshot>(snap);
    plant_pub->publish(published);
    return published;
  }
};

TEST_F(RunnerPublicationTest, ThreadIsWokenByThePlantSnapshotAndPublishesOneBundlePerStep) {
  EngineRunner runner(std::make_unique<Engine>(site, plant), plant_pub, derived_pub, sink);
  const auto publication = runner.publication();
  runner.start();
  std::uint64_t step = 0;
  for (int i = 0; i < 5; ++i) {
    const auto published = publish_next();
    // Generous deadline: this checks that a publish wakes the thread, not its speed.
    auto bundle = publication->wait_after(step, steady::now() + 10s);
    while (bundle && bundle->plant != published) {
      bundle = publication->wait_after(bundle->step, steady::now() + 10s);
    }
    ASSERT_NE(bundle, nullptr) << "no bundle for snapshot " << published->sequence;
    EXPECT_GT(bundle->step, step);
    step = bundle->step;
    ASSERT_NE(bundle->derived, nullptr);
    ASSERT_NE(bundle->alarms, nullptr);
    // The pair belongs together: the derived snapshot was computed at this step.
    EXPECT_EQ(bundle->time_ms, bundle->alarms->time_ms);
    EXPECT_EQ(bundle->derived, derived_pub->latest());
    EXPECT_EQ(bundle->config_version, 1u);
  }
  runner.stop();
}

TEST_F(RunnerPublicationTest, ConfigurationChangeIsAnEventAndANewVersion) {
  EngineRunner runner(std::make_unique<Engine>(site, plant), plant_pub, derived_pub, sink);
  LogCursor<model::Event> cursor(runner.event_log(), runner.event_log()->end());
  publish_next();
  runner.run_once();
  auto config = runner.config();
  config.defaults.battery.temperature_alarm_C = 41.0;
  auto done = runner.submit(ReplaceConfig{config}, Actor{"admin", "192.0.2.9"});
  runner.run_once();
  const auto result = done.get();
  ASSERT_TRUE(result.ok);
  const auto batch = cursor.next();
  ASSERT_EQ(batch.items.size(), 1u);
  const auto& event = batch.items.front();
  EXPECT_EQ(event.kind, model::EventKind::config_changed);
  EXPECT_EQ(event.user, "admin");
  EXPECT_NE(event.text.find("192.0.2.9"), std::string::npos) << event.text;
  EXPECT_EQ(result.event_id, event.id);
  const auto bundle = runner.publication()->latest();
  ASSERT_NE(bundle, nullptr);
  EXPECT_EQ(bundle->config_version, 2u);
  EXPECT_EQ(bundle->last_event_id, event.id);
  EXPECT_EQ(bundle->event_log_end, runner.event_log()->end());
}

// A reader that never reads does not hold the engine back: with a log of 8 events and a
// reader stalled from the start, the engine runs 200 steps that raise and clear alarms, and the
// reader is then told how many it missed.
TEST_F(RunnerPublicationTest, StalledReaderNeverHoldsTheEngineBack) {
  EngineRunnerOptions options;
  options.event_log_capacity = 8;
  EngineRunner runner(std::make_unique<Engine>(site, plant), plant_pub, derived_pub, sink, options);
  LogCursor<model::Event> stalled(runner.event_log(), 0);
  for (int i = 0; i < 200; ++i) {
    // Over the warning limit and back, so alarms are raised and cleared all along.
    set_battery(1, 1 + i % 4, "temperature", (i / 4) % 2 ? 25.0 : 50.0);
    publish_next();
    runner.run_once();
  }
  EXPECT_EQ(runner.publication()->latest()->step, 200u);
  const auto total = runner.event_log()->end();
  ASSERT_GT(total, 8u);
  const auto batch = stalled.next(100);
  EXPECT_EQ(batch.missed, total - 8);
  EXPECT_EQ(batch.items.size(), 8u);
}

}  // namespace
}  // namespace btms::engine
