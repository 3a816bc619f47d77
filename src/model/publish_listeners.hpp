// Wake-ups for consumers of a publisher (snapshots, step bundles, event logs): instead of
// polling on a timer, a consumer registers a callback that the publishing thread calls right
// after each publish. The callback runs on the publisher's thread (acquisition, engine), so it
// must only signal -- notify a condition variable, post to an io_context, write an eventfd --
// and never block or do the consumer's work there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace btms::model {

class PublishListeners {
  struct Shared {
    std::mutex mutex;
    std::uint64_t next_id = 1;
    std::vector<std::pair<std::uint64_t, std::function<void()>>> listeners;
  };

 public:
  // Unsubscribes when destroyed (or reset). Movable; may outlive the publisher.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(std::weak_ptr<Shared> shared, std::uint64_t id)
        : shared_(std::move(shared)), id_(id) {}
    Subscription(Subscription&& other) noexcept
        : shared_(std::move(other.shared_)), id_(std::exchange(other.id_, 0)) {}
    Subscription& operator=(Subscription&& other) noexcept {
      if (this != &other) {
        reset();
        shared_ = std::move(other.shared_);
        id_ = std::exchange(other.id_, 0);
      }
      return *this;
    }
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription() { reset(); }
    // After reset() returns, the callback is not running and will not run again.
    void reset() {
      if (auto shared = shared_.lock(); shared && id_ != 0) {
        std::lock_guard lock(shared->mutex);
        std::erase_if(shared->listeners, [this](const auto& l) { return l.first == id_; });
      }
      shared_.reset();
      id_ = 0;
    }

   private:
    std::weak_ptr<Shared> shared_;
    std::uint64_t id_ = 0;
  };

  [[nodiscard]] Subscription add(std::function<void()> on_publish) const {
    std::lock_guard lock(shared_->mutex);
    const auto id = shared_->next_id++;
    shared_->listeners.emplace_back(id, std::move(on_publish));
    return Subscription(shared_, id);
  }

  // Called by the publisher after each publish. Listeners are called under the list's lock so
  // that Subscription::reset() cannot return while one of them runs (the consumer may be
  // destroyed right after); they only signal, so the lock is held for microseconds.
  void notify() const {
    std::lock_guard lock(shared_->mutex);
    for (const auto& [id, listener] : shared_->listeners) listener();
  }

 private:
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

}  // namespace btms::model
