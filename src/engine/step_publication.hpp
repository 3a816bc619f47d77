// The publication bus every consumer joins: after each engine cycle that changed anything the
// engine runner publishes one immutable StepBundle -- the plant snapshot it stepped on, the
// derived snapshot it computed from it, the alarm list, the configuration version and the id
// of the last event -- numbered by step. A consumer reads latest() (always a matching pair of
// plant and derived snapshots) and waits for the next bundle with wait_after() or a wake-up
// (on_publish) instead of polling on a timer. Events go through the event log (append_log.hpp),
// which each consumer reads with its own cursor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "engine/engine_service.hpp"
#include "model/publish_listeners.hpp"
#include "model/snapshot.hpp"

namespace btms::engine {

struct StepBundle {
  std::uint64_t step = 0;                          // 1, 2, 3, ... one per published engine cycle
  std::int64_t time_ms = 0;                        // engine clock when the cycle ran
  std::shared_ptr<const model::Snapshot> plant;    // what the engine stepped on (may be null
                                                   // before the first snapshot arrived)
  std::shared_ptr<const model::Snapshot> derived;  // computed from `plant`; null before a step
  std::shared_ptr<const AlarmList> alarms;         // never null
  std::uint64_t config_version = 0;                // +1 with every configuration change carried out
  std::uint64_t last_event_id = 0;  // newest event id the engine emitted so far (0 = none)
  std::uint64_t event_log_end = 0;  // event log position after this step's events
};

class StepPublication {
 public:
  void publish(std::shared_ptr<const StepBundle> bundle) {
    {
      std::lock_guard lock(mutex_);
      latest_.swap(bundle);
    }
    changed_.notify_all();
    listeners_.notify();
  }

  // Null before the first publish.
  std::shared_ptr<const StepBundle> latest() const {
    std::lock_guard lock(mutex_);
    return latest_;
  }

  // The newest bundle once its step is after `after_step`; null when the deadline passes first.
  std::shared_ptr<const StepBundle> wait_after(
      std::uint64_t after_step, std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_until(lock, deadline,
                             [&] { return latest_ && latest_->step > after_step; })) {
      return nullptr;
    }
    return latest_;
  }

  // For consumers with their own event loop (asio, poll()): `wake` runs on the engine thread
  // after each publish and must only signal (publish_listeners.hpp).
  [[nodiscard]] model::PublishListeners::Subscription on_publish(std::function<void()> wake) const {
    return listeners_.add(std::move(wake));
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::shared_ptr<const StepBundle> latest_;
  model::PublishListeners listeners_;
};

}  // namespace btms::engine
