// One recipient's delivery: its own thread and queue, so a dead mail server or webhook receiver
// only makes this recipient's messages late, never the engine, the notifier or another
// recipient. Tries each message up to `attempts` times with doubling backoff, logging every try.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "model/clock.hpp"
#include "notify/delivery_log.hpp"
#include "notify/outbox.hpp"
#include "notify/sender.hpp"

namespace btms::notify {

class ChannelWorker {
 public:
  ChannelWorker(Recipient recipient, std::unique_ptr<Sender> sender, DeliverySettings delivery,
                std::shared_ptr<DeliveryLog> log, std::shared_ptr<const model::Clock> clock,
                std::size_t queue_limit = 256, std::shared_ptr<Outbox> outbox = nullptr);
  ~ChannelWorker();  // stops
  ChannelWorker(const ChannelWorker&) = delete;
  ChannelWorker& operator=(const ChannelWorker&) = delete;

  void start();
  // Ends the current try's backoff at once; a try in progress ends within its timeout.
  void stop();
  // Never blocks on the sender. A full queue drops its oldest message (logged as failed).
  // With an outbox the message gets its id and is written there before it is queued.
  void enqueue(Notification n);
  // A message left in the outbox by an earlier run: queued (before start) in outbox order.
  void resume(UnsentMessage unsent);
  const Recipient& recipient() const { return recipient_; }
  std::size_t queued() const;
  // After stop(): the messages not yet delivered (the one whose try or backoff the stop cut
  // first), so a changed recipient's new worker can take them over; the worker is left empty.
  std::vector<UnsentMessage> take_unsent();

 private:
  struct Queued {
    Notification message;
    std::uint64_t outbox_row = 0;  // 0: not in the outbox
    int attempts_done = 0;
  };
  void loop();
  void push(Queued q);
  // A message whose try or backoff the stop cut: back to the front, so take_unsent() has it.
  void put_back(Queued q);
  void log_try(const Notification& n, DeliveryResult result, std::string detail, int attempt);
  // Delivered or given up: no longer to be sent after a restart.
  void forget(const Queued& q);

  Recipient recipient_;
  std::unique_ptr<Sender> sender_;
  DeliverySettings delivery_;
  std::shared_ptr<DeliveryLog> log_;
  std::shared_ptr<const model::Clock> clock_;
  std::size_t queue_limit_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Queued> queue_;
  std::shared_ptr<Outbox> outbox_;  // null: messages live in memory only
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};  // aborts the sender's try in progress on stop()
  std::thread thread_;
};

}  // namespace btms::notify
