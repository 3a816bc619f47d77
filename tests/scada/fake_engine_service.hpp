// An EngineService that records the actions submitted to it and answers each at once with a
// ready result: enough for the SCADA write tests, which check what was asked and by whom.
#pragma once

#include <future>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "engine/engine_service.hpp"

namespace btms::scada::testing {

class FakeEngineService final : public engine::EngineService {
 public:
  struct Submitted {
    engine::Action action;
    engine::Actor actor;
  };

  std::shared_ptr<const engine::AlarmList> alarms() const override {
    return std::make_shared<const engine::AlarmList>();
  }
  std::vector<model::Event> events_after(std::uint64_t, std::size_t) const override { return {}; }
  std::vector<model::DischargeRecord> running_discharges() const override { return {}; }
  engine::EngineConfig config() const override { return {}; }

  std::future<engine::ActionResult> submit(engine::Action action, engine::Actor who) override {
    std::lock_guard lock(mutex_);
    submitted_.push_back(Submitted{std::move(action), std::move(who)});
    std::promise<engine::ActionResult> result;
    auto future = result.get_future();
    if (hold_results_) {
      held_.push_back(std::move(result));  // an engine that never gets round to it
    } else {
      result.set_value(engine::ActionResult{answer_ok_, answer_ok_ ? "done" : "refused by fake"});
    }
    return future;
  }

  std::vector<Submitted> submitted() const {
    std::lock_guard lock(mutex_);
    return submitted_;
  }
  void answer_ok(bool ok) {
    std::lock_guard lock(mutex_);
    answer_ok_ = ok;
  }
  // Results stay pending until release_held(): shows that nobody waits for them.
  void hold_results(bool hold) {
    std::lock_guard lock(mutex_);
    hold_results_ = hold;
  }
  void release_held() {
    std::lock_guard lock(mutex_);
    for (auto& p : held_) p.set_value(engine::ActionResult{true, "done late"});
    held_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Submitted> submitted_;
  bool answer_ok_ = true;
  bool hold_results_ = false;
  std::vector<std::promise<engine::ActionResult>> held_;
};

}  // namespace btms::scada::testing
