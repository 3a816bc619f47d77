// The history recorder: the consumer that writes what the engine publishes into the history
// store -- every event and finished discharge (from its own cursors on the engine's logs), and
// the plant and derived snapshots of each published step. It runs on its own thread and waits
// for the next bundle or event (no timer polling), so a slow disk makes only this thread late,
// never the engine or another consumer.
//
// It also reports which events are committed (EventDurability): an operator's answer waits for
// that, so an acknowledgement answered "done" survives a crash right after the answer; and it
// turns the store's trouble (falling behind, disk low) into alarms through the engine.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/append_log.hpp"
#include "engine/engine_service.hpp"
#include "engine/event_durability.hpp"
#include "engine/step_publication.hpp"
#include "history/history_store.hpp"
#include "model/clock.hpp"

namespace btms::history {

struct HistoryRecorderOptions {
  // "Now" for retention (clock time: an accelerated plant ages its data as fast as it runs).
  std::shared_ptr<const model::Clock> clock = model::system_clock();
  std::int64_t retention_interval_ms = 3'600'000;  // clock time between retention passes
  // Real time between looks at the store's health (its queue and free disk).
  std::chrono::milliseconds health_interval{10'000};
  std::size_t batch_max = 4096;  // events taken per pass
};

// What the engine publishes, as the recorder reads it.
struct RecorderSources {
  std::shared_ptr<const engine::StepPublication> publication;
  std::shared_ptr<const engine::AppendLog<model::Event>> events;
  std::shared_ptr<const engine::AppendLog<model::DischargeRecord>> discharges;
  std::shared_ptr<engine::EngineService> engine;  // for history alarms; may be null
};

class HistoryRecorder {
 public:
  // store may be null: events are still written to the log (spdlog), nothing is stored, and
  // durability is never reported (waiters are told at once that it is not durable).
  HistoryRecorder(std::shared_ptr<HistoryStore> store, RecorderSources sources,
                  std::shared_ptr<engine::EventDurability> durability,
                  HistoryRecorderOptions options = {});
  ~HistoryRecorder();  // stops
  HistoryRecorder(const HistoryRecorder&) = delete;
  HistoryRecorder& operator=(const HistoryRecorder&) = delete;

  void start();
  // Takes what is still published, flushes the store and joins. Idempotent.
  void stop();

  // One pass on the caller's thread (tests): events, discharges, the newest bundle, then a
  // commit when someone waits for an event's durability.
  void drain_once();

  // Events the recorder's cursor lost because it fell a whole log behind (they are then missing
  // from the store too: it logs and alarms it).
  std::uint64_t events_missed() const;

 private:
  void loop();
  void report_health();

  std::shared_ptr<HistoryStore> store_;
  RecorderSources sources_;
  std::shared_ptr<engine::EventDurability> durability_;
  HistoryRecorderOptions options_;
  engine::LogCursor<model::Event> event_cursor_;
  engine::LogCursor<model::DischargeRecord> discharge_cursor_;
  std::uint64_t bundle_step_ = 0;
  std::uint64_t plant_sequence_ = 0;
  std::uint64_t derived_sequence_ = 0;
  std::uint64_t last_event_id_ = 0;  // newest event handed to the store
  HistoryHealth last_health_;
  std::atomic<std::uint64_t> events_missed_{0};
  bool missed_alarm_raised_ = false;

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool woken_ = false;    // guarded by wake_mutex_
  bool running_ = false;  // guarded by wake_mutex_
  std::thread thread_;
  model::PublishListeners::Subscription on_bundle_, on_event_, on_discharge_, on_wanted_;
};

}  // namespace btms::history
