// EngineRunner: the engine on its own thread, actions queued between steps, published views.
#include "engine/engine_runner.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "plant_fixture.hpp"

namespace btms::engine {
namespace {

using namespace std::chrono_literals;

class RecordingSink : public model::CommandSink {
 public:
  void submit(const model::Command& command) override {
    std::lock_guard lock(mutex);
    commands.push_back(command);
  }
  std::vector<model::SetRelay> relays() {
    std::lock_guard lock(mutex);
    std::vector<model::SetRelay> out;
    for (const auto& c : commands) {
      if (const auto* r = std::get_if<model::SetRelay>(&c)) out.push_back(*r);
    }
    return out;
  }
  std::mutex mutex;
  std::vector<model::Command> commands;
};

// Reads the fixture's now_ms: the test moves time, not the wall clock.
class FixtureClock final : public model::Clock {
 public:
  explicit FixtureClock(const std::int64_t& now_ms) : now_ms_(now_ms) {}
  std::int64_t now_ms() const override { return now_ms_; }
  double rate() const override { return 1.0; }

 private:
  const std::int64_t& now_ms_;
};

class EngineRunnerTest : public testing::PlantFixture {
 protected:
  std::unique_ptr<EngineRunner> make_runner(EngineRunnerOptions options = {}) {
    options.clock = std::make_shared<FixtureClock>(now_ms);
    return std::make_unique<EngineRunner>(std::make_unique<Engine>(site, plant), plant_pub,
                                          derived_pub, sink, std::move(options));
  }
  // Publishes the fixture's snapshot as a new one (next sequence, 1 s later).
  void publish_next() {
    now_ms += 1000;
    for (auto& s : snap.samples) s.time_ms = now_ms;
    snap.sequence = ++sequence;
    snap.time_ms = now_ms;
    plant_pub->publish(std::make_shared<const model::Snapshot>(snap));
  }
  void cycles(EngineRunner& r, int n) {
    for (int i = 0; i < n; ++i) {
      publish_next();
      r.run_once();
    }
  }
  std::shared_ptr<model::SnapshotPublisher> plant_pub =
      std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<model::SnapshotPublisher> derived_pub =
      std::make_shared<model::SnapshotPublisher>();
  RecordingSink sink;
  std::uint64_t sequence = 0;
};

const ActiveAlarm* find_alarm(const AlarmList& list, const std::string& key) {
  for (const auto& a : list.alarms) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

TEST_F(EngineRunnerTest, StepsOnlyOnNewSnapshotsAndPublishesDerived) {
  auto r = make_runner();
  r->run_once();  // nothing published yet
  EXPECT_EQ(derived_pub->latest(), nullptr);
  cycles(*r, 1);
  const auto first = derived_pub->latest();
  ASSERT_NE(first, nullptr);
  r->run_once();  // same snapshot again: no new step
  EXPECT_EQ(derived_pub->latest(), first);
  cycles(*r, 1);
  EXPECT_NE(derived_pub->latest(), first);
}

TEST_F(EngineRunnerTest, TripOpensTheRelayAndShowsInTheAlarmList) {
  auto r = make_runner();
  cycles(*r, 2);
  EXPECT_TRUE(r->alarms()->alarms.empty());
  set_battery(1, 3, "temperature", 60.0);
  cycles(*r, 5);
  const auto list = r->alarms();
  const auto* trip = find_alarm(*list, "battery/1/3:battery_temperature_trip");
  ASSERT_NE(trip, nullptr);
  EXPECT_EQ(trip->severity, model::Severity::trip);
  EXPECT_FALSE(trip->text.empty());
  EXPECT_FALSE(trip->acknowledged);
  const auto relays = sink.relays();
  ASSERT_FALSE(relays.empty());
  EXPECT_EQ(relays.back().point, (model::IoPoint{0, 1}));
  EXPECT_FALSE(relays.back().on);
}

TEST_F(EngineRunnerTest, AcknowledgementIsCarriedOutBetweenStepsAndShowsAtOnce) {
  auto r = make_runner();
  set_battery(1, 3, "temperature", 40.0);  // warning
  cycles(*r, 5);
  const std::string key = "battery/1/3:battery_temperature_warning";
  ASSERT_NE(find_alarm(*r->alarms(), key), nullptr);
  auto done = r->submit(AcknowledgeAlarm{key, "checked the fan"}, Actor{"olga", "192.0.2.7"});
  EXPECT_EQ(done.wait_for(0s), std::future_status::timeout);  // queued, not carried out yet
  r->run_once();                                              // no new snapshot: the action alone
  ASSERT_EQ(done.wait_for(0s), std::future_status::ready);
  const auto result = done.get();
  EXPECT_TRUE(result.ok) << result.message;
  const auto* alarm = find_alarm(*r->alarms(), key);
  ASSERT_NE(alarm, nullptr);
  EXPECT_TRUE(alarm->acknowledged);
  EXPECT_EQ(alarm->acknowledged_by, "olga");
  // The acknowledgement event went out with the action, not with the next step, and the answer
  // names it (an operator's answer waits for that id to be durable).
  bool seen = false;
  std::uint64_t ack_id = 0;
  for (const auto& e : r->event_log()->read(0, 1000).items) {
    if (e.kind == model::EventKind::alarm_acknowledged && e.user == "olga") {
      seen = true;
      ack_id = e.id;
    }
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(result.status, ActionStatus::done);
  EXPECT_GE(result.event_id, ack_id);
}

TEST_F(EngineRunnerTest, RefusedActionsCarryTheEnginesReason) {
  auto r = make_runner();
  cycles(*r, 1);
  auto unknown = r->submit(AcknowledgeAlarm{"battery/9/9:nothing", ""}, Actor{"olga", ""});
  auto not_tripped = r->submit(ResetString{1, "test"}, Actor{"olga", ""});
  r->run_once();
  const auto a = unknown.get();
  const auto b = not_tripped.get();
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.status, ActionStatus::not_found);
  EXPECT_NE(a.message.find("unknown alarm"), std::string::npos) << a.message;
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.status, ActionStatus::refused);
  EXPECT_NE(b.message.find("not tripped"), std::string::npos) << b.message;
}

TEST_F(EngineRunnerTest, EventsAfterAndTheEventLog) {
  auto r = make_runner();
  set_battery(1, 1, "temperature", 40.0);
  set_battery(1, 2, "temperature", 40.0);
  cycles(*r, 5);
  const auto all = r->events_after(0, 100);
  ASSERT_GE(all.size(), 2u);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i].id, all[i - 1].id);
  const auto after_first = r->events_after(all.front().id, 100);
  EXPECT_EQ(after_first.size(), all.size() - 1);
  EXPECT_EQ(r->events_after(0, 1).size(), 1u);
  // Every reader of the log sees every event: reading takes nothing away.
  EXPECT_EQ(r->event_log()->read(0, 100).items.size(), all.size());
  EXPECT_EQ(r->event_log()->read(0, 100).items.size(), all.size());
  EXPECT_EQ(r->events_after(0, 100).size(), all.size());
}

TEST_F(EngineRunnerTest, RecentEventRingIsBounded) {
  EngineRunnerOptions options;
  options.recent_events = 2;
  options.event_log_capacity = 3;
  auto r = make_runner(options);
  for (int p = 1; p <= 4; ++p) set_battery(1, p, "temperature", 40.0);
  cycles(*r, 5);
  EXPECT_EQ(r->events_after(0, 100).size(), 2u);
  const auto batch = r->event_log()->read(0, 100);
  EXPECT_EQ(batch.items.size(), 3u);
  EXPECT_EQ(batch.missed, r->event_log()->end() - 3);  // a reader from the start is told
  EXPECT_GT(batch.missed, 0u);
}

TEST_F(EngineRunnerTest, NewConfigurationIsSavedBeforeItApplies) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("btms-runner-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  EngineRunnerOptions options;
  options.config_path = (dir / "engine-config.json").string();
  auto r = make_runner(options);
  auto config = r->config();
  config.defaults.battery.temperature_alarm_C = 41.0;
  auto done = r->submit(ReplaceConfig{config}, Actor{"admin", "127.0.0.1"});
  ASSERT_TRUE(std::filesystem::exists(options.config_path));  // saved at submit
  r->run_once();
  EXPECT_TRUE(done.get().ok);
  EXPECT_DOUBLE_EQ(r->config().defaults.battery.temperature_alarm_C, 41.0);
  std::ifstream in(options.config_path);
  const auto saved = nlohmann::json::parse(in);
  EXPECT_DOUBLE_EQ(saved["defaults"]["battery"]["temperature_alarm_C"].get<double>(), 41.0);
  std::filesystem::remove_all(dir);
}

TEST_F(EngineRunnerTest, UnwritableConfigurationPathRefusesTheChange) {
  EngineRunnerOptions options;
  options.config_path = "/nonexistent-btms-dir/engine-config.json";
  auto r = make_runner(options);
  auto config = r->config();
  config.defaults.battery.temperature_alarm_C = 41.0;
  auto done = r->submit(ReplaceConfig{config}, Actor{"admin", ""});
  const auto result = done.get();  // answered at once, nothing queued
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.message.find("not changed"), std::string::npos);
  r->run_once();
  EXPECT_DOUBLE_EQ(r->config().defaults.battery.temperature_alarm_C, 45.0);
}

TEST_F(EngineRunnerTest, AnActionTheEngineThrowsOnIsRefusedAndTheEngineGoesOn) {
  auto r = make_runner();
  cycles(*r, 1);
  auto config = r->config();
  // String 1's disconnect relay cannot also be an alarm output: set_config throws.
  config.alarm_outputs.push_back({model::IoPoint{0, 1}, AlarmOutputTrigger::common_alarm});
  auto done = r->submit(ReplaceConfig{config}, Actor{"admin", ""});
  r->run_once();
  const auto result = done.get();
  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(result.message.empty());
  EXPECT_TRUE(r->config().alarm_outputs.empty());
  cycles(*r, 1);  // still stepping
  EXPECT_NE(derived_pub->latest(), nullptr);
}

TEST_F(EngineRunnerTest, StopAnswersQueuedAndLaterActions) {
  auto r = make_runner();
  auto queued = r->submit(AcknowledgeAlarm{"*", ""}, Actor{"olga", ""});
  r->stop();
  EXPECT_EQ(queued.get().status, ActionStatus::engine_stopped);
  EXPECT_EQ(r->submit(AcknowledgeAlarm{"*", ""}, Actor{"olga", ""}).get().status,
            ActionStatus::engine_stopped);
}

TEST_F(EngineRunnerTest, ThreadCarriesOutActionsWithoutNewSnapshots) {
  auto r = make_runner();
  set_battery(1, 3, "temperature", 40.0);
  cycles(*r, 5);
  r->start();
  auto done =
      r->submit(AcknowledgeAlarm{"battery/1/3:battery_temperature_warning", ""}, Actor{"olga", ""});
  // Generous bound: this checks that the thread picks the action up at all, not its speed.
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(done.get().ok);
  r->stop();
}

// Each bus worker publishes after its own cycle: publishes soon after a step are gathered into
// one step at the end of the interval, on the newest snapshot. An operator action is not held.
TEST_F(EngineRunnerTest, PublishesInsideTheStepIntervalAreGatheredIntoOneStep) {
  EngineRunnerOptions options;
  options.min_step_interval_ms = 10LL * 60 * 1000;  // far longer than the test runs
  auto r = make_runner(options);
  publish_next();
  r->start();
  const auto first = r->publication()->wait_after(0, std::chrono::steady_clock::now() + 10s);
  ASSERT_NE(first, nullptr);
  // Three more bus publishes (the fixture's clock stands still: the runner thread reads it).
  for (int i = 0; i < 3; ++i) {
    snap.sequence = ++sequence;
    plant_pub->publish(std::make_shared<const model::Snapshot>(snap));
  }
  auto done = r->submit(AcknowledgeAlarmsOf{"", ""}, Actor{"olga", ""});
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(done.get().ok);
  const auto latest = r->publication()->latest();
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(latest->step, first->step + 1);      // one step for the three publishes
  EXPECT_EQ(latest->plant->sequence, sequence);  // on the newest of them
  r->stop();
}

}  // namespace
}  // namespace btms::engine
