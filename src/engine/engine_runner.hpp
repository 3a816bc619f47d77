// Runs the engine on its own thread: woken by the acquisition publishing a plant snapshot (no
// timer), steps the engine, sends its commands straight to the bus workers, then publishes one
// StepBundle (step_publication.hpp) and appends the events and finished discharges to their
// logs (append_log.hpp), which every consumer reads with its own cursor. Operator actions from
// other threads are queued and carried out between two steps.
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

#include "engine/append_log.hpp"
#include "engine/engine.hpp"
#include "engine/engine_service.hpp"
#include "engine/step_publication.hpp"
#include "model/clock.hpp"
#include "model/commands.hpp"
#include "model/snapshot.hpp"

namespace btms::engine {

struct EngineRunnerOptions {
  // A configuration accepted through ReplaceConfig is saved here as JSON (written atomically by
  // the submitting thread before the action is queued); empty = not saved.
  std::string config_path;
  std::size_t recent_events = 1024;  // kept for events_after()
  // Events and finished discharges kept for readers of the logs; a reader further behind is
  // told how many it missed.
  std::size_t event_log_capacity = 100'000;
  // "Now" for every step and action (alarm delays, rates, event times). Never null.
  std::shared_ptr<const model::Clock> clock = model::system_clock();
  // Steps at most this often (clock time). Each bus worker publishes after its own cycle, so a
  // full gateway (33 buses at 1 s) publishes 33 times a second, each time with one bus's news.
  // Gathering them saves engine steps and consumer wake-ups, but a wake-up inside the interval
  // waits for its end, so a value (and a fault) reaches consumers and the relay up to this much
  // later; operator actions are never held. Off (0, step on every publish) by default: the
  // publish-to-consumer target is p99 < 50 ms, and publishes 30 ms apart leave nothing to gather
  // below that.
  std::int64_t min_step_interval_ms = 0;
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

  // What consumers join (see step_publication.hpp and append_log.hpp). Never null.
  std::shared_ptr<const StepPublication> publication() const { return publication_; }
  std::shared_ptr<const AppendLog<model::Event>> event_log() const { return event_log_; }
  std::shared_ptr<const AppendLog<model::DischargeRecord>> discharge_log() const {
    return discharge_log_;
  }

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
  void publish(EngineOutput&& output, std::shared_ptr<const model::Snapshot> plant,
               std::int64_t now_ms);
  void publish_views(std::int64_t now_ms);

  std::unique_ptr<Engine> engine_;  // touched only by the running thread (or run_once)
  std::shared_ptr<const model::SnapshotPublisher> plant_;
  std::shared_ptr<model::SnapshotPublisher> derived_;
  model::CommandSink& commands_;
  EngineRunnerOptions options_;
  std::uint64_t last_sequence_ = 0;
  bool stepped_once_ = false;
  std::int64_t last_step_ms_ = 0;  // clock time of the latest step (loop thread)
  bool config_changed_ = false;    // a ReplaceConfig was carried out since the last publish
  std::uint64_t config_version_ = 1;
  std::uint64_t step_ = 0;                                            // bundles published
  std::uint64_t last_event_id_ = 0;                                   // newest event published
  std::shared_ptr<const model::Snapshot> last_plant_, last_derived_;  // of the latest bundle

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;   // guarded by wake_mutex_
  bool running_ = false;          // guarded by wake_mutex_
  bool stopped_ = false;          // stop() was called: actions are refused from then on
  bool plant_published_ = false;  // guarded by wake_mutex_: the acquisition published since
  std::thread thread_;
  model::PublishListeners::Subscription plant_wake_;

  // What readers see, replaced after every cycle.
  mutable std::mutex views_mutex_;
  std::shared_ptr<const AlarmList> alarms_;
  std::vector<model::DischargeRecord> running_discharges_;
  EngineConfig config_;
  std::deque<model::Event> recent_events_;

  std::shared_ptr<StepPublication> publication_ = std::make_shared<StepPublication>();
  std::shared_ptr<AppendLog<model::Event>> event_log_;
  std::shared_ptr<AppendLog<model::DischargeRecord>> discharge_log_;
};

}  // namespace btms::engine
