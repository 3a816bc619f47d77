#include "engine/engine_runner.hpp"

#include <pthread.h>

#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "engine/engine_config_store.hpp"

namespace btms::engine {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::future<ActionResult> ready(ActionResult result) {
  std::promise<ActionResult> promise;
  promise.set_value(std::move(result));
  return promise.get_future();
}

// Every answer gets a status callers can branch on: the engine sets refused or not_found where
// it refuses; whatever was carried out is done.
ActionResult finished(ActionResult result) {
  if (result.ok) result.status = ActionStatus::done;
  return result;
}

ActionResult engine_stopped() {
  return {false, "engine stopped", ActionStatus::engine_stopped};
}

}  // namespace

EngineRunner::EngineRunner(std::unique_ptr<Engine> engine,
                           std::shared_ptr<const model::SnapshotPublisher> plant,
                           std::shared_ptr<model::SnapshotPublisher> derived,
                           model::CommandSink& commands, EngineRunnerOptions options)
    : engine_(std::move(engine)),
      plant_(std::move(plant)),
      derived_(std::move(derived)),
      commands_(commands),
      options_(std::move(options)),
      alarms_(std::make_shared<const AlarmList>()),
      config_(engine_->config()),
      event_log_(std::make_shared<AppendLog<model::Event>>(options_.event_log_capacity)),
      discharge_log_(
          std::make_shared<AppendLog<model::DischargeRecord>>(options_.event_log_capacity)) {
  if (!options_.clock) options_.clock = model::system_clock();
  // Woken by the acquisition's publish instead of looking on a timer; the wake-up only sets a
  // flag and notifies, so the bus worker publishing never waits for the engine.
  if (plant_) {
    plant_wake_ = plant_->on_publish([this] {
      {
        std::lock_guard lock(wake_mutex_);
        plant_published_ = true;
      }
      wake_.notify_one();
    });
  }
}

EngineRunner::~EngineRunner() {
  stop();
  plant_wake_.reset();  // before the members the wake-up touches go
}

void EngineRunner::start() {
  {
    std::lock_guard lock(wake_mutex_);
    if (running_) return;
    running_ = true;
  }
  thread_ = std::thread([this] { loop(); });
  // Named so per-thread CPU figures (top -H, the full-scale benchmark) show the engine apart.
  pthread_setname_np(thread_.native_handle(), "engine");
}

void EngineRunner::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    running_ = false;
    stopped_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::deque<Pending> left;
  {
    std::lock_guard lock(wake_mutex_);
    left.swap(pending_);
  }
  for (auto& p : left) p.done.set_value(engine_stopped());
}

void EngineRunner::loop() {
  std::unique_lock lock(wake_mutex_);
  while (running_) {
    lock.unlock();
    run_once();
    lock.lock();
    if (!running_) break;
    wake_.wait(lock, [this] { return !running_ || plant_published_ || !pending_.empty(); });
    // Woken by a publish soon after the latest step: gather what the other buses publish until
    // the interval is over (an operator action ends the wait at once).
    if (pending_.empty() && stepped_once_ && options_.min_step_interval_ms > 0) {
      const auto due = options_.clock->wall_deadline(last_step_ms_ + options_.min_step_interval_ms);
      wake_.wait_until(lock, due, [this] { return !running_ || !pending_.empty(); });
    }
  }
}

void EngineRunner::run_once() {
  std::deque<Pending> actions;
  {
    std::lock_guard lock(wake_mutex_);
    actions.swap(pending_);
    plant_published_ = false;  // latest() below sees that snapshot or a newer one
  }
  const auto now_ms = options_.clock->now_ms();
  std::vector<ActionResult> results;
  results.reserve(actions.size());
  for (const auto& p : actions) {
    // A refused action (e.g. set_config's std::invalid_argument for a bad alarm output) is
    // answered with its reason; it must never end the engine thread.
    try {
      results.push_back(finished(carry_out(p.action, p.who, now_ms)));
    } catch (const std::exception& e) {
      results.push_back({false, e.what(), ActionStatus::refused});
    }
  }

  const auto snapshot = plant_ ? plant_->latest() : nullptr;
  if (snapshot && (!stepped_once_ || snapshot->sequence != last_sequence_)) {
    stepped_once_ = true;
    last_sequence_ = snapshot->sequence;
    last_step_ms_ = now_ms;
    auto output = engine_->step(*snapshot, now_ms);
    // Commands first: the relay that opens a string must not wait for anything else.
    for (const auto& command : output.commands) commands_.submit(command);
    publish(std::move(output), snapshot, now_ms);
  } else if (!actions.empty()) {
    // Between snapshots: the actions' events and commands go out now, not with the next step.
    auto output = engine_->take_action_output();
    for (const auto& command : output.commands) commands_.submit(command);
    publish(std::move(output), last_plant_, now_ms);
  }
  // Answered only once published: whoever asked sees the effect when the answer arrives, and
  // learns the newest event id (its own events are at or below it) to wait for durability.
  for (std::size_t i = 0; i < actions.size(); ++i) {
    results[i].event_id = last_event_id_;
    actions[i].done.set_value(std::move(results[i]));
  }
}

ActionResult EngineRunner::carry_out(const Action& action, const Actor& who, std::int64_t now_ms) {
  Engine& e = *engine_;
  return std::visit(
      Overloaded{
          [&](const AcknowledgeAlarm& a) {
            return e.acknowledge(a.alarm_key, who.user, now_ms, a.comment);
          },
          [&](const AcknowledgeAlarmsOf& a) {
            return e.acknowledge_all_of(a.source, who.user, a.comment, now_ms);
          },
          [&](const ResetString& a) {
            return e.reset_string(a.string_id, who.user, a.reason, now_ms);
          },
          [&](const OpenString& a) {
            return e.open_string(a.string_id, who.user, a.reason, now_ms);
          },
          [&](const ResetResistanceBaseline& a) {
            return e.reset_resistance_baseline(a.string_id, a.position);
          },
          [&](const ReplaceConfig& a) {
            e.set_config(a.config);
            config_changed_ = true;
            ++config_version_;
            // A configuration change is an event like any other: in the log, the stream, the
            // history and the cloud, not only in the web's audit log.
            model::Event event;
            event.time_ms = now_ms;
            event.kind = model::EventKind::config_changed;
            event.severity = model::Severity::info;
            event.source = "config";
            event.user = who.user;
            event.text = "Configuration changed by " + (who.user.empty() ? "?" : who.user) +
                         (who.address.empty() ? "" : " from " + who.address) + " (version " +
                         std::to_string(config_version_) + ")";
            e.record_event(std::move(event));
            return ActionResult{true, "configuration replaced by " + who.user};
          },
          [&](const SetSystemCondition& a) {
            e.set_system_condition(a.source, a.rule, a.active, a.severity, a.text, now_ms);
            return ActionResult{true,
                                a.source + ":" + a.rule + (a.active ? " raised" : " cleared")};
          },
          [&](const DischargeStored& a) {
            e.discharge_stored(a.string_id, a.start_ms);
            return ActionResult{true,
                                "discharge of string " + std::to_string(a.string_id) + " stored"};
          },
      },
      action);
}

void EngineRunner::publish(EngineOutput&& output, std::shared_ptr<const model::Snapshot> plant,
                           std::int64_t now_ms) {
  if (output.derived) {
    derived_->publish(output.derived);
    last_derived_ = output.derived;
  }
  last_plant_ = std::move(plant);
  if (!output.events.empty()) last_event_id_ = output.events.back().id;
  {
    std::lock_guard lock(views_mutex_);
    for (const auto& event : output.events) {
      if (recent_events_.size() >= options_.recent_events) recent_events_.pop_front();
      recent_events_.push_back(event);
    }
  }
  event_log_->append(std::move(output.events));
  discharge_log_->append(std::move(output.finished_discharges));
  publish_views(now_ms);
}

void EngineRunner::publish_views(std::int64_t now_ms) {
  auto list = std::make_shared<AlarmList>();
  list->time_ms = now_ms;
  list->alarms = engine_->active_alarms();
  // Running discharges and those finished but not yet stored: the list a reader merges with the
  // store never loses one between its end and its storage.
  auto running = engine_->running_discharges();
  for (auto& r : engine_->discharges_awaiting_storage()) running.push_back(std::move(r));
  std::optional<EngineConfig> config;  // copied only when it changed, not every step
  if (config_changed_) config = engine_->config();
  config_changed_ = false;
  auto bundle = std::make_shared<StepBundle>();
  bundle->step = ++step_;
  bundle->time_ms = now_ms;
  bundle->plant = last_plant_;
  bundle->derived = last_derived_;
  bundle->alarms = list;
  bundle->config_version = config_version_;
  bundle->last_event_id = last_event_id_;
  bundle->event_log_end = event_log_->end();
  {
    std::lock_guard lock(views_mutex_);
    alarms_ = std::move(list);
    running_discharges_ = std::move(running);
    if (config) config_ = std::move(*config);
  }
  // Last: a consumer woken by the bundle finds the views above already in place.
  publication_->publish(std::move(bundle));
}

std::shared_ptr<const AlarmList> EngineRunner::alarms() const {
  std::lock_guard lock(views_mutex_);
  return alarms_;
}

std::vector<model::Event> EngineRunner::events_after(std::uint64_t after_id,
                                                     std::size_t limit) const {
  std::lock_guard lock(views_mutex_);
  std::vector<model::Event> out;
  for (const auto& event : recent_events_) {
    if (event.id <= after_id) continue;
    if (out.size() >= limit) break;
    out.push_back(event);
  }
  return out;
}

std::vector<model::DischargeRecord> EngineRunner::running_discharges() const {
  std::lock_guard lock(views_mutex_);
  return running_discharges_;
}

EngineConfig EngineRunner::config() const {
  std::lock_guard lock(views_mutex_);
  return config_;
}

std::future<ActionResult> EngineRunner::submit(Action action, Actor who) {
  {
    std::lock_guard lock(wake_mutex_);
    if (stopped_) return ready(engine_stopped());
  }
  if (const auto* replace = std::get_if<ReplaceConfig>(&action);
      replace && !options_.config_path.empty()) {
    // Saved before it is applied: what runs is always what the next start will load.
    const auto problem = save_engine_config(options_.config_path, replace->config);
    if (!problem.empty()) {
      return ready({false, "configuration not changed: " + problem, ActionStatus::refused});
    }
  }
  Pending pending{std::move(action), std::move(who), {}};
  auto future = pending.done.get_future();
  {
    std::lock_guard lock(wake_mutex_);
    if (stopped_) return ready(engine_stopped());
    pending_.push_back(std::move(pending));
  }
  wake_.notify_one();
  return future;
}

}  // namespace btms::engine
