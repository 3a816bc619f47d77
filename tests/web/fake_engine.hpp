// An EngineService whose events and alarms a test (or fuzz target) sets by hand. Actions are
// refused with "fake engine"; configuration reads give the defaults.
#pragma once

#include <algorithm>

#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/append_log.hpp"
#include "engine/engine_service.hpp"

namespace btms::web::test {

class FakeEngine : public engine::EngineService {
 public:
  // The engine's event log as stream clients read it; a small capacity makes it overflow.
  explicit FakeEngine(std::size_t event_log_capacity = 1024)
      : event_log(std::make_shared<engine::AppendLog<model::Event>>(event_log_capacity)) {}

  std::shared_ptr<const engine::AlarmList> alarms() const override {
    std::lock_guard lock(mutex_);
    return alarms_;
  }
  std::vector<model::Event> events_after(std::uint64_t after_id, std::size_t limit) const override {
    std::lock_guard lock(mutex_);
    std::vector<model::Event> out;
    for (const auto& e : events_) {
      if (e.id > after_id && out.size() < limit) out.push_back(e);
    }
    return out;
  }
  std::vector<model::DischargeRecord> running_discharges() const override { return {}; }
  engine::EngineConfig config() const override { return {}; }
  std::future<engine::ActionResult> submit(engine::Action, engine::Actor) override {
    std::promise<engine::ActionResult> p;
    p.set_value({false, "fake engine"});
    return p.get_future();
  }

  model::Event add_event(model::EventKind kind, const std::string& source, double value) {
    std::lock_guard lock(mutex_);
    model::Event e;
    e.id = ++last_id_;
    e.time_ms = 1'790'000'000'000 + static_cast<std::int64_t>(e.id);
    e.kind = kind;
    e.severity = model::Severity::alarm;
    e.source = source;
    e.rule = "battery_temperature_alarm";
    e.text = "Battery temperature high: " + std::to_string(value);
    e.value = value;
    events_.push_back(e);
    event_log->append({e});
    return e;
  }
  const std::shared_ptr<engine::AppendLog<model::Event>> event_log;

  void set_alarms(std::size_t count, std::size_t acknowledged) {
    auto list = std::make_shared<engine::AlarmList>();
    for (std::size_t i = 0; i < count; ++i) {
      engine::ActiveAlarm a;
      a.key = "battery/1/" + std::to_string(i + 1) + ":battery_temperature_alarm";
      a.acknowledged = i < acknowledged;
      list->alarms.push_back(a);
    }
    std::lock_guard lock(mutex_);
    alarms_ = std::move(list);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<model::Event> events_;
  std::uint64_t last_id_ = 0;
  std::shared_ptr<const engine::AlarmList> alarms_ = std::make_shared<engine::AlarmList>();
};

}  // namespace btms::web::test
