// An append-only log that any number of consumers read at their own pace, each with its own
// cursor (LogCursor). Used for the engine's events and finished discharges.
//
// The writer (the engine thread) never waits for a reader: the log keeps the newest `capacity`
// items in a ring; a reader that falls further behind loses the oldest ones and is told how
// many it missed (it then resynchronizes from the history store). Positions count every item
// ever appended (0, 1, 2, ...), independent of the items' own ids.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "model/publish_listeners.hpp"

namespace btms::engine {

template <class T>
struct LogBatch {
  std::vector<T> items;      // oldest first, consecutive in the log
  std::uint64_t missed = 0;  // items between the reader's position and items.front() that are
                             // gone from the ring (overwritten before this reader got them)
  std::uint64_t next = 0;    // the reader's position after this batch
};

template <class T>
class AppendLog {
 public:
  explicit AppendLog(std::size_t capacity = 4096) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Appends in order and wakes the waiting readers. Holds the lock only to move the items in.
  void append(std::vector<T> items) {
    if (items.empty()) return;
    {
      std::lock_guard lock(mutex_);
      for (auto& item : items) {
        if (ring_.size() >= capacity_) {
          ring_.pop_front();
          ++first_;
        }
        ring_.push_back(std::move(item));
      }
    }
    changed_.notify_all();
    listeners_.notify();
  }

  // Position after the newest item: a reader starting here sees only what comes next.
  std::uint64_t end() const {
    std::lock_guard lock(mutex_);
    return first_ + ring_.size();
  }
  std::size_t capacity() const { return capacity_; }

  // Up to `max` items from position `from` on.
  LogBatch<T> read(std::uint64_t from, std::size_t max) const {
    LogBatch<T> batch;
    std::lock_guard lock(mutex_);
    if (from < first_) {
      batch.missed = first_ - from;
      from = first_;
    }
    const auto end = first_ + ring_.size();
    const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(end - from, max));
    const auto begin = ring_.begin() + static_cast<std::ptrdiff_t>(from - first_);
    batch.items.assign(begin, begin + static_cast<std::ptrdiff_t>(count));
    batch.next = from + count;
    return batch;
  }

  // Blocks until there is an item at or after `from`, or the deadline passes; true when there
  // is. For a consumer thread that waits for nothing else.
  bool wait_beyond(std::uint64_t from, std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] { return first_ + ring_.size() > from; });
  }

  // For consumers that wait on several things (see publish_listeners.hpp): `wake` runs on the
  // appending thread after each append and must only signal.
  [[nodiscard]] model::PublishListeners::Subscription on_append(std::function<void()> wake) const {
    return listeners_.add(std::move(wake));
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::deque<T> ring_;
  std::uint64_t first_ = 0;  // position of ring_.front()
  model::PublishListeners listeners_;
};

// One consumer's place in a log. Not thread-safe: one per consumer thread.
template <class T>
class LogCursor {
 public:
  // start = log->end() to see only what is appended from now on, 0 to see all that is kept.
  LogCursor(std::shared_ptr<const AppendLog<T>> log, std::uint64_t start)
      : log_(std::move(log)), position_(start) {}

  // The next items (at most max) and how many were lost since the last call.
  LogBatch<T> next(std::size_t max = 1024) {
    auto batch = log_->read(position_, max);
    position_ = batch.next;
    missed_total_ += batch.missed;
    return batch;
  }
  bool wait(std::chrono::steady_clock::time_point deadline) const {
    return log_->wait_beyond(position_, deadline);
  }
  bool has_more() const { return log_->end() > position_; }
  std::uint64_t position() const { return position_; }
  std::uint64_t missed_total() const { return missed_total_; }

 private:
  std::shared_ptr<const AppendLog<T>> log_;
  std::uint64_t position_;
  std::uint64_t missed_total_ = 0;
};

}  // namespace btms::engine
