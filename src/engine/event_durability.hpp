// Where operator actions learn that their events are on disk. The history recorder reports the
// newest event id committed to the store; a thread answering an operator (web worker) waits
// here, with a deadline, before it answers -- so an acknowledgement answered "done" survives a
// crash right after the answer. The engine thread never waits here: it only emits the event.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "model/publish_listeners.hpp"

namespace btms::engine {

class EventDurability {
 public:
  // Recorder: every event with id <= event_id is committed.
  void committed(std::uint64_t event_id) {
    {
      std::lock_guard lock(mutex_);
      committed_ = std::max(committed_, event_id);
    }
    changed_.notify_all();
  }
  std::uint64_t committed_id() const {
    std::lock_guard lock(mutex_);
    return committed_;
  }
  // Highest id someone waits for: the recorder commits at once (instead of at its periodic
  // commit) while this is ahead of what it committed.
  std::uint64_t wanted_id() const {
    std::lock_guard lock(mutex_);
    return wanted_;
  }
  // Operator side: true once event_id is committed, false when the deadline passes first (or
  // no recorder is attached: then nothing will ever commit it).
  bool wait_committed(std::uint64_t event_id, std::chrono::steady_clock::time_point deadline) {
    {
      std::lock_guard lock(mutex_);
      if (!attached_) return false;
      if (committed_ >= event_id) return true;
      wanted_ = std::max(wanted_, event_id);
    }
    listeners_.notify();  // the recorder wakes and commits now
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] { return committed_ >= event_id; });
  }
  // Recorder: called once it runs (without a recorder every wait answers false at once).
  void attach() {
    std::lock_guard lock(mutex_);
    attached_ = true;
  }
  bool attached() const {
    std::lock_guard lock(mutex_);
    return attached_;
  }
  // Recorder's wake-up when someone starts waiting; must only signal.
  [[nodiscard]] model::PublishListeners::Subscription on_wanted(std::function<void()> wake) const {
    return listeners_.add(std::move(wake));
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t committed_ = 0;
  std::uint64_t wanted_ = 0;
  bool attached_ = false;
  model::PublishListeners listeners_;
};

}  // namespace btms::engine
