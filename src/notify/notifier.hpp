// The notifications consumer: reads the engine's event log with its own cursor on its own
// thread, feeds the routing core and hands due messages to one ChannelWorker per recipient.
// It waits for events (a wake-up on append) or for the next message's due time -- no polling --
// and never calls into the engine's thread (alarms() only reads the published list).
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/append_log.hpp"
#include "engine/engine_service.hpp"
#include "engine/step_publication.hpp"
#include "model/clock.hpp"
#include "model/events.hpp"
#include "model/publish_listeners.hpp"
#include "notify/alarm_router.hpp"
#include "notify/channel_worker.hpp"
#include "notify/delivery_log.hpp"
#include "notify/notify_settings.hpp"

namespace btms::notify {

struct NotifierSources {
  std::shared_ptr<const engine::AppendLog<model::Event>> events;
  // Active alarms after the cursor fell a whole log behind; may be null.
  std::shared_ptr<const engine::EngineService> engine;
  // The first published step's alarm list is where the notifier starts (alarms restored after
  // a restart included); may be null (then: the engine's list at start, or nothing).
  std::shared_ptr<const engine::StepPublication> publication;
  // Where the delivery log is kept across restarts (notify.db in the data directory); empty:
  // in memory only.
  std::filesystem::path delivery_file{};
};

// Makes the sender of a recipient (tests put fakes here); default: mail or webhook.
using SenderFactory = std::function<std::unique_ptr<Sender>(const Recipient&)>;

class Notifier {
 public:
  Notifier(NotifySettings settings, SiteNames names, NotifierSources sources,
           std::shared_ptr<const model::Clock> clock, SenderFactory make_sender = nullptr);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void start();
  void stop();  // idempotent; messages still queued are not sent

  std::shared_ptr<const DeliveryLog> deliveries() const { return log_; }
  const std::vector<Recipient>& recipients() const { return settings_.recipients; }
  // Queues a test message to the named recipient; false when there is none.
  bool send_test(const std::string& recipient);

 private:
  void loop();

  NotifySettings settings_;
  NotifierSources sources_;
  std::shared_ptr<const model::Clock> clock_;
  AlarmRouter router_;
  std::shared_ptr<DeliveryLog> log_;
  std::vector<std::unique_ptr<ChannelWorker>> workers_;  // one per recipient, same order
  engine::LogCursor<model::Event> cursor_;
  model::PublishListeners::Subscription subscription_;
  model::PublishListeners::Subscription first_step_subscription_;  // until the first sync
  bool synced_ = false;                                            // notifier thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  bool news_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace btms::notify
