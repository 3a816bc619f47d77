#include "engine/engine_runner.hpp"

#include <cstdio>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>

#include "engine/config_fields.hpp"

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

// Write-then-rename, so a crash mid-write leaves the previous file intact.
std::string save_json_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return "cannot write " + tmp;
    out << text << '\n';
    out.flush();
    if (!out) return "cannot write " + tmp;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return "cannot replace " + path + ": " +
           std::error_code(errno, std::generic_category()).message();
  }
  return {};
}

template <class T>
void push_bounded(std::deque<T>& queue, T item, std::size_t max, std::uint64_t& dropped) {
  if (queue.size() >= max) {
    queue.pop_front();
    ++dropped;
  }
  queue.push_back(std::move(item));
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
      config_(engine_->config()) {}

EngineRunner::~EngineRunner() {
  stop();
}

void EngineRunner::start() {
  {
    std::lock_guard lock(wake_mutex_);
    if (running_) return;
    running_ = true;
  }
  thread_ = std::thread([this] { loop(); });
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
  for (auto& p : left) p.done.set_value({false, "engine stopped"});
}

void EngineRunner::loop() {
  std::unique_lock lock(wake_mutex_);
  while (running_) {
    lock.unlock();
    run_once();
    lock.lock();
    if (!running_) break;
    if (pending_.empty()) wake_.wait_for(lock, options_.poll_interval);
  }
}

void EngineRunner::run_once() {
  std::deque<Pending> actions;
  {
    std::lock_guard lock(wake_mutex_);
    actions.swap(pending_);
  }
  const auto now_ms = options_.clock();
  std::vector<ActionResult> results;
  results.reserve(actions.size());
  for (const auto& p : actions) {
    // A refused action (e.g. set_config's std::invalid_argument for a bad alarm output) is
    // answered with its reason; it must never end the engine thread.
    try {
      results.push_back(carry_out(p.action, p.who, now_ms));
    } catch (const std::exception& e) {
      results.push_back({false, e.what()});
    }
  }

  const auto snapshot = plant_ ? plant_->latest() : nullptr;
  if (snapshot && (!stepped_once_ || snapshot->sequence != last_sequence_)) {
    stepped_once_ = true;
    last_sequence_ = snapshot->sequence;
    auto output = engine_->step(*snapshot, now_ms);
    // Commands first: the relay that opens a string must not wait for anything else.
    for (const auto& command : output.commands) commands_.submit(command);
    publish(std::move(output), now_ms);
  } else if (!actions.empty()) {
    // Between snapshots: the actions' events and commands go out now, not with the next step.
    auto output = engine_->take_action_output();
    for (const auto& command : output.commands) commands_.submit(command);
    publish(std::move(output), now_ms);
  }
  // Answered only once published: whoever asked sees the effect when the answer arrives.
  for (std::size_t i = 0; i < actions.size(); ++i) actions[i].done.set_value(std::move(results[i]));
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
            e.reset_resistance_baseline(a.string_id, a.position);
            return ActionResult{
                true, a.position == 0
                          ? "resistance baselines of string " + std::to_string(a.string_id) +
                                " will be learned again"
                          : "resistance baseline of battery " + std::to_string(a.string_id) + "/" +
                                std::to_string(a.position) + " will be learned again"};
          },
          [&](const ReplaceConfig& a) {
            e.set_config(a.config);
            config_changed_ = true;
            return ActionResult{true, "configuration replaced by " + who.user};
          },
          [&](const SetSystemCondition& a) {
            e.set_system_condition(a.source, a.rule, a.active, a.severity, a.text, now_ms);
            return ActionResult{true,
                                a.source + ":" + a.rule + (a.active ? " raised" : " cleared")};
          },
      },
      action);
}

void EngineRunner::publish(EngineOutput&& output, std::int64_t now_ms) {
  if (output.derived) derived_->publish(output.derived);
  {
    std::lock_guard lock(views_mutex_);
    for (const auto& event : output.events) {
      if (recent_events_.size() >= options_.recent_events) recent_events_.pop_front();
      recent_events_.push_back(event);
      push_bounded(consumer_events_, event, options_.consumer_queue_max, consumer_dropped_);
    }
    for (auto& record : output.finished_discharges) {
      push_bounded(consumer_discharges_, std::move(record), options_.consumer_queue_max,
                   consumer_dropped_);
    }
  }
  publish_views(now_ms);
}

void EngineRunner::publish_views(std::int64_t now_ms) {
  auto list = std::make_shared<AlarmList>();
  list->time_ms = now_ms;
  list->alarms = engine_->active_alarms();
  auto running = engine_->running_discharges();
  std::optional<EngineConfig> config;  // copied only when it changed, not every step
  if (config_changed_) config = engine_->config();
  config_changed_ = false;
  std::lock_guard lock(views_mutex_);
  alarms_ = std::move(list);
  running_discharges_ = std::move(running);
  if (config) config_ = std::move(*config);
}

std::vector<model::Event> EngineRunner::take_events() {
  std::lock_guard lock(views_mutex_);
  std::vector<model::Event> out(std::make_move_iterator(consumer_events_.begin()),
                                std::make_move_iterator(consumer_events_.end()));
  consumer_events_.clear();
  return out;
}

std::vector<model::DischargeRecord> EngineRunner::take_finished_discharges() {
  std::lock_guard lock(views_mutex_);
  std::vector<model::DischargeRecord> out(std::make_move_iterator(consumer_discharges_.begin()),
                                          std::make_move_iterator(consumer_discharges_.end()));
  consumer_discharges_.clear();
  return out;
}

std::uint64_t EngineRunner::consumer_items_dropped() const {
  std::lock_guard lock(views_mutex_);
  return consumer_dropped_;
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
    if (stopped_) return ready({false, "engine stopped"});
  }
  if (const auto* replace = std::get_if<ReplaceConfig>(&action);
      replace && !options_.config_path.empty()) {
    // Saved before it is applied: what runs is always what the next start will load.
    const auto problem =
        save_json_atomically(options_.config_path, config_to_json(replace->config).dump(2));
    if (!problem.empty()) return ready({false, "configuration not changed: " + problem});
  }
  Pending pending{std::move(action), std::move(who), {}};
  auto future = pending.done.get_future();
  {
    std::lock_guard lock(wake_mutex_);
    if (stopped_) return ready({false, "engine stopped"});
    pending_.push_back(std::move(pending));
  }
  wake_.notify_one();
  return future;
}

}  // namespace btms::engine
