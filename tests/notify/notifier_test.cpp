// The notifier thread with a recording sender (no network): it starts from the first published
// step's alarm list (alarms restored after a restart are told), and re-reads the engine's list
// when its cursor fell a whole event log behind.
#include "notify/notifier.hpp"

#include <gtest/gtest.h>

#include "recording_sender.hpp"

namespace btms::notify {
namespace {

using test_support::Recorded;
using test_support::RecordingSender;

NotifySettings settings() {
  NotifySettings s;
  s.enabled = true;
  s.routing.group_wait_ms = 0;
  s.routing.base_url = "http://btms.test";
  Recipient r;
  r.name = "ops";
  r.channel = ChannelKind::webhook;
  r.address = "http://unused";
  s.recipients = {r};
  return s;
}

engine::ActiveAlarm active(std::string source, std::string rule) {
  engine::ActiveAlarm a;
  a.key = source + ":" + rule;
  a.source = std::move(source);
  a.rule = std::move(rule);
  a.severity = model::Severity::alarm;
  a.since_ms = model::system_clock()->now_ms();
  a.text = a.key;
  return a;
}

TEST(Notifier, StartsFromTheFirstPublishedStep) {
  auto recorded = std::make_shared<Recorded>();
  auto publication = std::make_shared<engine::StepPublication>();
  auto log = std::make_shared<engine::AppendLog<model::Event>>(16);
  Notifier notifier(settings(), SiteNames{}, {log, nullptr, publication}, model::system_clock(),
                    [&](const Recipient&) { return std::make_unique<RecordingSender>(recorded); });
  notifier.start();
  // The engine's first step publishes an alarm restored from before a restart.
  auto alarms = std::make_shared<engine::AlarmList>();
  alarms->alarms = {active("battery/1/3", "battery_voltage_low")};
  auto bundle = std::make_shared<engine::StepBundle>();
  bundle->step = 1;
  bundle->alarms = alarms;
  publication->publish(bundle);
  ASSERT_TRUE(recorded->wait_for(1));
  notifier.stop();
  std::lock_guard lock(recorded->mutex);
  ASSERT_EQ(recorded->sent.size(), 1u);
  ASSERT_EQ(recorded->sent[0].alarms.size(), 1u);
  EXPECT_EQ(recorded->sent[0].alarms[0].key, "battery/1/3:battery_voltage_low");
}

class FixedAlarms final : public engine::EngineService {
 public:
  explicit FixedAlarms(std::vector<engine::ActiveAlarm> alarms)
      : list_(std::make_shared<engine::AlarmList>(engine::AlarmList{0, std::move(alarms)})) {}
  std::shared_ptr<const engine::AlarmList> alarms() const override { return list_; }
  std::vector<model::Event> events_after(std::uint64_t, std::size_t) const override { return {}; }
  std::vector<model::DischargeRecord> running_discharges() const override { return {}; }
  engine::EngineConfig config() const override { return {}; }
  std::future<engine::ActionResult> submit(engine::Action, engine::Actor) override {
    std::promise<engine::ActionResult> p;
    p.set_value({});
    return p.get_future();
  }

 private:
  std::shared_ptr<const engine::AlarmList> list_;
};

TEST(Notifier, FallingBehindTheLogRereadsTheEnginesList) {
  auto recorded = std::make_shared<Recorded>();
  auto log = std::make_shared<engine::AppendLog<model::Event>>(4);  // tiny: easy to overrun
  auto engine = std::make_shared<FixedAlarms>(
      std::vector<engine::ActiveAlarm>{active("battery/2/9", "battery_temperature_alarm")});
  // The first step had no alarm: only the re-read after the overrun can find the engine's one.
  auto publication = std::make_shared<engine::StepPublication>();
  auto bundle = std::make_shared<engine::StepBundle>();
  bundle->step = 1;
  bundle->alarms = std::make_shared<engine::AlarmList>();
  publication->publish(bundle);
  Notifier notifier(settings(), SiteNames{}, {log, engine, publication}, model::system_clock(),
                    [&](const Recipient&) { return std::make_unique<RecordingSender>(recorded); });
  // Not started yet: ten notes overrun the 4-item log before the cursor reads anything.
  std::vector<model::Event> notes(10);
  log->append(notes);
  notifier.start();
  ASSERT_TRUE(recorded->wait_for(1));
  notifier.stop();
  std::lock_guard lock(recorded->mutex);
  ASSERT_EQ(recorded->sent.size(), 1u);
  EXPECT_EQ(recorded->sent[0].alarms[0].key, "battery/2/9:battery_temperature_alarm");
}

}  // namespace
}  // namespace btms::notify
