// A notification sender for tests: records every message it is handed (no network) and lets the
// test wait until a number of them arrived. Used by the gateway's notifier tests and the site's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "notify/notification.hpp"
#include "notify/sender.hpp"

namespace btms::notify::test_support {

struct Recorded {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Notification> sent;

  bool wait_for(std::size_t count) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(20), [&] { return sent.size() >= count; });
  }
};

class RecordingSender final : public Sender {
 public:
  explicit RecordingSender(std::shared_ptr<Recorded> into) : into_(std::move(into)) {}
  SendOutcome send(const Notification& n, const Recipient&) override {
    {
      std::lock_guard lock(into_->mutex);
      into_->sent.push_back(n);
    }
    into_->changed.notify_all();
    return {true, false, "recorded"};
  }

 private:
  std::shared_ptr<Recorded> into_;
};

}  // namespace btms::notify::test_support
