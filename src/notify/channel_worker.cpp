#include "notify/channel_worker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

namespace btms::notify {

ChannelWorker::ChannelWorker(Recipient recipient, std::unique_ptr<Sender> sender,
                             DeliverySettings delivery, std::shared_ptr<DeliveryLog> log,
                             std::shared_ptr<const model::Clock> clock, std::size_t queue_limit,
                             std::shared_ptr<Outbox> outbox)
    : recipient_(std::move(recipient)),
      sender_(std::move(sender)),
      delivery_(delivery),
      log_(std::move(log)),
      clock_(clock ? std::move(clock) : model::system_clock()),
      queue_limit_(queue_limit == 0 ? 1 : queue_limit),
      outbox_(std::move(outbox)) {
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
  if (n.message_id.empty()) n.message_id = new_message_id();
  Queued q{std::move(n), 0, 0};
  if (outbox_) {
    try {
      q.outbox_row = outbox_->keep(q.message, clock_->now_ms());
    } catch (const std::exception& e) {
      // A full or read-only disk must not stop notifications: sent, but not kept.
      spdlog::error("notify: message {} to {} not kept in the outbox: {}", q.message.message_id,
                    recipient_.name, e.what());
    }
  }
  push(std::move(q));
}

void ChannelWorker::resume(UnsentMessage unsent) {
  push(Queued{std::move(unsent.message), unsent.row, unsent.attempts_done});
}

void ChannelWorker::push(Queued q) {
  std::optional<Queued> dropped;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= queue_limit_) {
      dropped = std::move(queue_.front());
      queue_.pop_front();
    }
    queue_.push_back(std::move(q));
  }
  wake_.notify_all();
  if (dropped) {
    log_try(dropped->message, DeliveryResult::failed, "dropped: queue full", 0);
    forget(*dropped);
  }
}

void ChannelWorker::put_back(Queued q) {
  std::lock_guard lock(mutex_);
  queue_.push_front(std::move(q));
}

std::vector<UnsentMessage> ChannelWorker::take_unsent() {
  std::vector<UnsentMessage> out;
  std::lock_guard lock(mutex_);
  for (auto& q : queue_) {
    out.push_back(
        UnsentMessage{q.outbox_row, std::move(q.message), clock_->now_ms(), q.attempts_done});
  }
  queue_.clear();
  return out;
}

void ChannelWorker::forget(const Queued& q) {
  if (!outbox_ || q.outbox_row == 0) return;
  try {
    outbox_->remove(q.outbox_row);
  } catch (const std::exception& e) {
    spdlog::error(
        "notify: message {} not removed from the outbox (may be sent again after a "
        "restart): {}",
        q.message.message_id, e.what());
  }
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
    Queued q;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;  // what is still queued stays in the outbox
      q = std::move(queue_.front());
      queue_.pop_front();
    }
    const Notification& n = q.message;
    // A message resumed after a restart gets at least one more try.
    const int last_attempt = std::max(delivery_.attempts, q.attempts_done + 1);
    auto backoff = std::chrono::milliseconds(delivery_.first_backoff_ms);
    for (int attempt = q.attempts_done + 1;; ++attempt) {
      SendOutcome outcome;
      try {
        outcome = sender_->send(n, recipient_);
      } catch (const std::exception& e) {
        outcome = {false, true, e.what()};
      }
      if (cancel_) {  // stopped during the try: nothing to report, still in the outbox
        q.attempts_done = attempt - 1;
        put_back(std::move(q));
        return;
      }
      if (outcome.ok) {
        forget(q);
        log_try(n, DeliveryResult::sent, outcome.detail, attempt);
        break;
      }
      if (!outcome.retry || attempt >= last_attempt) {
        forget(q);
        log_try(n, DeliveryResult::failed, outcome.detail, attempt);
        break;
      }
      if (outbox_ && q.outbox_row != 0) {
        try {
          outbox_->tried(q.outbox_row, attempt);
        } catch (const std::exception& e) {
          spdlog::error("notify: outbox try count of {} not kept: {}", n.message_id, e.what());
        }
      }
      log_try(n, DeliveryResult::retrying, outcome.detail, attempt);
      // Backoff on real time: it is about the server's recovery, not the plant's clock.
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, backoff, [&] { return stopping_; })) {
        q.attempts_done = attempt;
        queue_.push_front(std::move(q));
        return;
      }
      backoff *= 2;
    }
  }
}

}  // namespace btms::notify
