// Runs the engine on its own thread: takes each new plant snapshot, steps the engine, sends its
// commands straight to the bus workers and publishes the derived snapshot, the alarm list and
// the events. Operator actions from other threads are queued and carried out between two steps.
// This is the protection path: it never waits on a consumer (web, SCADA, history, cloud), and
// it never touches the disk (a new configuration is saved by the thread that submits it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.hpp"
#include "engine/engine_service.hpp"
#include "model/commands.hpp"
#include "model/snapshot.hpp"

namespace btms::engine {

struct EngineRunnerOptions {
  // How often the thread looks for a new snapshot when nothing wakes it; actions wake it at once.
  std::chrono::milliseconds poll_interval{20};
  // A configuration accepted through ReplaceConfig is saved here as JSON (written atomically by
  // the submitting thread before the action is queued); empty = not saved.
  std::string config_path;
  std::size_t recent_events = 1024;          // kept for events_after()
  std::size_t consumer_queue_max = 100'000;  // events and discharges waiting for take_*()
  // Unix ms; tests replace it.
  std::function<std::int64_t()> clock = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
};

class EngineRunner final : public EngineService {
 public:
  EngineRunner(std::unique_ptr<Engine> engine,
               std::shared_ptr<const model::SnapshotPublisher> plant,
               std::shared_ptr<model::SnapshotPublisher> derived, model::CommandSink& commands,
               EngineRunnerOptions options = {});
  ~EngineRunner() override;  // stops
  EngineRunner(const EngineRunner&) = delete;
  EngineRunner& operator=(const EngineRunner&) = delete;

  void start();
  // Joins the thread; actions still queued, and any submitted later, are answered "engine
  // stopped". Idempotent. (Before start(), actions queue up for run_once or the thread.)
  void stop();

  // One cycle on the caller's thread (tests, and start-up before the thread runs): carry out the
  // queued actions, then step when the plant publisher holds a snapshot not stepped yet.
  void run_once();

  // For consumers that must see everything once and in order (history, the log): takes what
  // accumulated since the last call. Beyond consumer_queue_max the oldest are dropped and
  // counted.
  std::vector<model::Event> take_events();
  std::vector<model::DischargeRecord> take_finished_discharges();
  std::uint64_t consumer_items_dropped() const;

  // EngineService
  std::shared_ptr<const AlarmList> alarms() const override;
  std::vector<model::Event> events_after(std::uint64_t after_id, std::size_t limit) const override;
  std::vector<model::DischargeRecord> running_discharges() const override;
  EngineConfig config() const override;
  std::future<ActionResult> submit(Action action, Actor who) override;

 private:
  struct Pending {
    Action action;
    Actor who;
    std::promise<ActionResult> done;
  };

  void loop();
  ActionResult carry_out(const Action& action, const Actor& who, std::int64_t now_ms);
  void publish(EngineOutput&& output, std::int64_t now_ms);
  void publish_views(std::int64_t now_ms);

  std::unique_ptr<Engine> engine_;  // touched only by the running thread (or run_once)
  std::shared_ptr<const model::SnapshotPublisher> plant_;
  std::shared_ptr<model::SnapshotPublisher> derived_;
  model::CommandSink& commands_;
  EngineRunnerOptions options_;
  std::uint64_t last_sequence_ = 0;
  bool stepped_once_ = false;
  bool config_changed_ = false;  // a ReplaceConfig was carried out since the last publish

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;  // guarded by wake_mutex_
  bool running_ = false;         // guarded by wake_mutex_
  bool stopped_ = false;         // stop() was called: actions are refused from then on
  std::thread thread_;

  // What readers see, replaced after every cycle.
  mutable std::mutex views_mutex_;
  std::shared_ptr<const AlarmList> alarms_;
  std::vector<model::DischargeRecord> running_discharges_;
  EngineConfig config_;
  std::deque<model::Event> recent_events_;
  std::deque<model::Event> consumer_events_;
  std::deque<model::DischargeRecord> consumer_discharges_;
  std::uint64_t consumer_dropped_ = 0;
};

}  // namespace btms::engine
