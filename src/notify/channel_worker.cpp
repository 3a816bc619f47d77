#include "notify/channel_worker.hpp"

#include <spdlog/spdlog.h>

namespace btms::notify {

ChannelWorker::ChannelWorker(Recipient recipient, std::unique_ptr<Sender> sender,
                             DeliverySettings delivery, std::shared_ptr<DeliveryLog> log,
                             std::shared_ptr<const model::Clock> clock, std::size_t queue_limit)
    : recipient_(std::move(recipient)),
      sender_(std::move(sender)),
      delivery_(delivery),
      log_(std::move(log)),
      clock_(clock ? std::move(clock) : model::system_clock()),
      queue_limit_(queue_limit == 0 ? 1 : queue_limit) {
  if (sender_) sender_->set_cancel(&cancel_);
}

ChannelWorker::~ChannelWorker() {
  stop();
}

void ChannelWorker::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void ChannelWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cancel_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::size_t ChannelWorker::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void ChannelWorker::enqueue(Notification n) {
  std::optional<Notification> dropped;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= queue_limit_) {
      dropped = std::move(queue_.front());
      queue_.pop_front();
    }
    queue_.push_back(std::move(n));
  }
  wake_.notify_all();
  if (dropped) log_try(*dropped, DeliveryResult::failed, "dropped: queue full", 0);
}

void ChannelWorker::log_try(const Notification& n, DeliveryResult result, std::string detail,
                            int attempt) {
  Delivery d;
  d.time_ms = clock_->now_ms();
  d.recipient = recipient_.name;
  d.channel = recipient_.channel;
  d.group = n.group;
  d.reason = n.test ? "test" : reason_name(n.reason);
  d.subject = n.subject;
  d.result = result;
  d.detail = std::move(detail);
  d.attempt = attempt;
  log_->add(std::move(d));
}

void ChannelWorker::loop() {
  for (;;) {
    Notification n;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      n = std::move(queue_.front());
      queue_.pop_front();
    }
    auto backoff = std::chrono::milliseconds(delivery_.first_backoff_ms);
    for (int attempt = 1;; ++attempt) {
      SendOutcome outcome;
      try {
        outcome = sender_->send(n, recipient_);
      } catch (const std::exception& e) {
        outcome = {false, true, e.what()};
      }
      if (cancel_) return;  // stopped during the try: nothing to report
      if (outcome.ok) {
        log_try(n, DeliveryResult::sent, outcome.detail, attempt);
        break;
      }
      if (!outcome.retry || attempt >= delivery_.attempts) {
        log_try(n, DeliveryResult::failed, outcome.detail, attempt);
        break;
      }
      log_try(n, DeliveryResult::retrying, outcome.detail, attempt);
      // Backoff on real time: it is about the server's recovery, not the plant's clock.
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, backoff, [&] { return stopping_; })) return;
      backoff *= 2;
    }
  }
}

}  // namespace btms::notify
