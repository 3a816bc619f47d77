// Hands engine events to the consumers' thread. push() never blocks for long and never waits on
// a consumer; when consumers fall behind, the oldest events beyond the bound are dropped and
// counted (they stay in the engine's own state and the log line says so).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "model/events.hpp"

namespace btms::app {

class EventQueue {
 public:
  explicit EventQueue(std::size_t capacity = 10'000) : capacity_(capacity) {}

  void push(const std::vector<model::Event>& events) {
    std::lock_guard lock(mutex_);
    for (const auto& e : events) {
      if (queue_.size() == capacity_) {
        queue_.pop_front();
        ++dropped_;
      }
      queue_.push_back(e);
    }
  }

  std::vector<model::Event> take_all() {
    std::lock_guard lock(mutex_);
    std::vector<model::Event> out(queue_.begin(), queue_.end());
    queue_.clear();
    return out;
  }

  std::uint64_t dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<model::Event> queue_;
  std::size_t capacity_;
  std::uint64_t dropped_ = 0;
};

}  // namespace btms::app
