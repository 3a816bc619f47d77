// The history recorder: a consumer of the engine's publication that stores events, discharges
// and each step's snapshots, reports which events are committed, and says when it lost events.
#include "history/history_recorder.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "store_fixture.hpp"

namespace btms::history {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

model::Event event(std::uint64_t id, std::string user = "") {
  model::Event e;
  e.id = id;
  e.time_ms = kT0 + static_cast<std::int64_t>(id);
  e.kind = user.empty() ? model::EventKind::alarm_raised : model::EventKind::alarm_acknowledged;
  e.source = "battery/1/1";
  e.user = std::move(user);
  e.text = "event " + std::to_string(id);
  return e;
}

class HistoryRecorderTest : public ::testing::Test {
 protected:
  TempDb db;
  std::shared_ptr<HistoryStore> store = open_sqlite_store(db.path(), big_queue());
  std::shared_ptr<engine::StepPublication> publication =
      std::make_shared<engine::StepPublication>();
  std::shared_ptr<engine::AppendLog<model::Event>> events =
      std::make_shared<engine::AppendLog<model::Event>>(8);
  std::shared_ptr<engine::AppendLog<model::DischargeRecord>> discharges =
      std::make_shared<engine::AppendLog<model::DischargeRecord>>(8);
  std::shared_ptr<engine::EventDurability> durability = std::make_shared<engine::EventDurability>();

  std::unique_ptr<HistoryRecorder> make_recorder() {
    return std::make_unique<HistoryRecorder>(
        store, RecorderSources{publication, events, discharges, nullptr}, durability);
  }
};

TEST_F(HistoryRecorderTest, OperatorEventIsCommittedWhenSomeoneWaitsForIt) {
  auto recorder = make_recorder();
  recorder->start();
  events->append({event(1), event(2, "olga")});
  // What a web worker does after the engine answered: wait for the event to be on disk. The
  // deadline is generous; the check is that the recorder commits on request, not how fast.
  ASSERT_TRUE(durability->wait_committed(2, steady::now() + 30s));
  // Committed means readable from the database now, without any further flush.
  const auto stored = store->events(kT0, kT0 + 100, 10);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].user, "olga");
  recorder->stop();
}

TEST_F(HistoryRecorderTest, StoresEachStepsSnapshotsOnceAndEveryEvent) {
  auto recorder = make_recorder();
  const auto directory = make_directory();
  auto plant = std::make_shared<model::Snapshot>();
  plant->channels = directory;
  plant->sequence = 1;
  plant->time_ms = kT0;
  for (model::ChannelId id = 0; id < directory->size(); ++id)
    plant->samples.push_back({12.0 + id, kT0, model::Quality::ok});
  auto bundle = std::make_shared<engine::StepBundle>();
  bundle->step = 1;
  bundle->plant = plant;
  bundle->alarms = std::make_shared<engine::AlarmList>();
  publication->publish(bundle);
  events->append({event(1)});
  recorder->drain_once();
  // A second bundle for the same snapshot (an action between steps) stores nothing new.
  auto again = std::make_shared<engine::StepBundle>(*bundle);
  again->step = 2;
  publication->publish(again);
  recorder->drain_once();
  store->flush();
  EXPECT_EQ(store->stats().values_written, directory->size());
  EXPECT_EQ(store->events(kT0, kT0 + 100, 10).size(), 1u);
}

TEST_F(HistoryRecorderTest, SaysHowManyEventsItLostWhenItFellBehind) {
  auto recorder = make_recorder();
  for (std::uint64_t id = 1; id <= 20; ++id) events->append({event(id)});  // log keeps 8
  recorder->drain_once();
  EXPECT_EQ(recorder->events_missed(), 12u);
  store->flush();
  const auto stored = store->events(kT0, kT0 + 100, 100);
  ASSERT_EQ(stored.size(), 8u);
  EXPECT_EQ(stored.front().id, 13u);
}

TEST_F(HistoryRecorderTest, WithoutStoreNothingIsEverDurable) {
  HistoryRecorder recorder(nullptr, RecorderSources{publication, events, discharges, nullptr},
                           durability);
  recorder.start();
  events->append({event(1, "olga")});
  EXPECT_FALSE(durability->wait_committed(1, steady::now() + 30s));  // answered at once
  recorder.stop();
}

}  // namespace
}  // namespace btms::history
