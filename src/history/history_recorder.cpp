#include "history/history_recorder.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace btms::history {

HistoryRecorder::HistoryRecorder(std::shared_ptr<HistoryStore> store, RecorderSources sources,
                                 std::shared_ptr<engine::EventDurability> durability,
                                 HistoryRecorderOptions options)
    : store_(std::move(store)),
      sources_(std::move(sources)),
      durability_(std::move(durability)),
      options_(std::move(options)),
      // From the start of what the logs keep: events emitted before the recorder started (the
      // engine may already have stepped) are recorded too.
      event_cursor_(sources_.events, 0),
      discharge_cursor_(sources_.discharges, 0) {
  if (!options_.clock) options_.clock = model::system_clock();
  if (store_ && durability_) durability_->attach();
}

HistoryRecorder::~HistoryRecorder() {
  stop();
}

void HistoryRecorder::start() {
  {
    std::lock_guard lock(wake_mutex_);
    if (running_ || thread_.joinable()) return;
    running_ = true;
  }
  // Each wake-up only sets a flag: the engine thread that publishes never waits for this one.
  const auto wake = [this] {
    {
      std::lock_guard lock(wake_mutex_);
      woken_ = true;
    }
    wake_.notify_one();
  };
  if (sources_.publication) on_bundle_ = sources_.publication->on_publish(wake);
  on_event_ = sources_.events->on_append(wake);
  on_discharge_ = sources_.discharges->on_append(wake);
  if (durability_) on_wanted_ = durability_->on_wanted(wake);
  thread_ = std::thread([this] { loop(); });
}

void HistoryRecorder::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    running_ = false;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  on_bundle_.reset();
  on_event_.reset();
  on_discharge_.reset();
  on_wanted_.reset();
}

void HistoryRecorder::loop() {
  const auto clock = options_.clock;
  auto next_retention_ms = clock->now_ms();
  auto next_health = std::chrono::steady_clock::now() + options_.health_interval;
  std::unique_lock lock(wake_mutex_);
  while (running_) {
    woken_ = false;
    lock.unlock();
    drain_once();
    if (store_ && clock->now_ms() >= next_retention_ms) {
      next_retention_ms = clock->now_ms() + options_.retention_interval_ms;
      store_->enforce_retention(clock->now_ms());
    }
    if (store_ && std::chrono::steady_clock::now() >= next_health) {
      next_health = std::chrono::steady_clock::now() + options_.health_interval;
      report_health();
    }
    lock.lock();
    // Sleeps until something is published (or an operator waits for durability); the deadline
    // is only for the timed duties above, never to look for changes.
    const auto deadline = std::min(next_health, clock->wall_deadline(next_retention_ms));
    wake_.wait_until(lock, deadline, [this] { return woken_ || !running_; });
  }
  lock.unlock();
  drain_once();
  if (store_ && store_->flush() && durability_) durability_->committed(last_event_id_);
}

void HistoryRecorder::drain_once() {
  while (true) {
    auto batch = event_cursor_.next(options_.batch_max);
    if (batch.missed > 0) {
      events_missed_ += batch.missed;
      spdlog::error(
          "history: {} events were lost before they could be stored (recorder fell "
          "a whole event log behind)",
          batch.missed);
      if (sources_.engine && !missed_alarm_raised_) {
        missed_alarm_raised_ = true;
        sources_.engine->submit(
            engine::SetSystemCondition{"history", "history_events_lost", true,
                                       model::Severity::warning,
                                       "History store lost events: the recorder fell behind"},
            engine::Actor{"system", "history"});
      }
    }
    // Events are logged by the engine's event logger (engine/event_logger.hpp), not here.
    for (const auto& event : batch.items) {
      if (store_) store_->append_event(event);
      last_event_id_ = event.id;
    }
    if (batch.items.size() < options_.batch_max) break;
  }
  for (const auto& record : discharge_cursor_.next(options_.batch_max).items) {
    spdlog::info("discharge of string {} recorded: {:.1f} Ah, weakest battery {}", record.string_id,
                 record.ah_out, record.weakest_position);
    if (!store_) continue;
    store_->append_discharge(record);
    // Committed now (a discharge ends rarely), then the engine may stop listing it as awaiting.
    if (store_->flush() && sources_.engine) {
      sources_.engine->submit(engine::DischargeStored{record.string_id, record.start_ms},
                              engine::Actor{"system", "history"});
    }
  }
  if (store_ && sources_.publication) {
    if (auto bundle = sources_.publication->latest(); bundle && bundle->step != bundle_step_) {
      bundle_step_ = bundle->step;
      // A bundle published after an action repeats the step's snapshots: stored once.
      if (bundle->plant && bundle->plant->sequence != plant_sequence_) {
        plant_sequence_ = bundle->plant->sequence;
        store_->append(bundle->plant);
      }
      if (bundle->derived && bundle->derived->sequence != derived_sequence_) {
        derived_sequence_ = bundle->derived->sequence;
        store_->append(bundle->derived);
      }
    }
  }
  // An operator waits for its event: commit now rather than at the store's next periodic
  // commit. Only this thread waits for the disk.
  if (store_ && durability_ && durability_->wanted_id() > durability_->committed_id() &&
      last_event_id_ > durability_->committed_id()) {
    // A failed commit (disk full) leaves the operator's answer saying "not durable".
    if (store_->flush()) durability_->committed(last_event_id_);
  }
}

std::uint64_t HistoryRecorder::events_missed() const {
  return events_missed_.load();
}

// The store's trouble becomes an alarm like any other (the engine owns alarms); only changes
// are sent, and nothing here waits for the engine to take them.
void HistoryRecorder::report_health() {
  if (!sources_.engine) return;
  const auto health = store_->health();
  const auto send = [&](const char* rule, bool active, bool was, const std::string& text) {
    if (active == was) return;
    sources_.engine->submit(
        engine::SetSystemCondition{"history", rule, active, model::Severity::warning, text},
        engine::Actor{"system", "history"});
  };
  send("history_falling_behind", health.falling_behind, last_health_.falling_behind,
       health.text.empty() ? "History store falling behind: data is being dropped" : health.text);
  send("history_disk_low", health.disk_low, last_health_.disk_low,
       health.text.empty() ? "History disk low: oldest raw data is being removed" : health.text);
  last_health_ = health;
}

}  // namespace btms::history
