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
#include "notify/outbox.hpp"
#include "notify/ups_alarm_board.hpp"

namespace btms::notify {

struct NotifierSources {
  std::shared_ptr<const engine::AppendLog<model::Event>> events;
  // Active alarms after the cursor fell a whole log behind; may be null.
  std::shared_ptr<const engine::EngineService> engine;
  // The first published step's alarm list is where the notifier starts (alarms restored after
  // a restart included); may be null (then: the engine's list at start, or nothing).
  std::shared_ptr<const engine::StepPublication> publication;
  // Where the delivery log and the outbox of undelivered messages are kept across restarts
  // (notify.db in the data directory); empty: in memory only.
  std::filesystem::path delivery_file{};
  // UPS-MIB's alarm table (shared with the SNMP subagent): its changes are sent to SNMP
  // recipients with mib = "ups" / "both" as upsTrapAlarmEntryAdded / Removed. Null: none sent.
  std::shared_ptr<UpsAlarmBoard> ups_alarms{};
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
  // Idempotent. Messages still queued or waiting for a retry stay in the outbox (with a file)
  // and are sent, marked late, by the next notifier on the same file.
  void stop();
  std::shared_ptr<const Outbox> outbox() const { return outbox_; }

  std::shared_ptr<const DeliveryLog> deliveries() const { return log_; }
  // A copy: the list may be replaced while the caller reads it.
  std::vector<Recipient> recipients() const;
  // Queues a test message to the named recipient; false when there is none.
  bool send_test(const std::string& recipient);
  // Takes a new recipient list (edited on the settings page) while running, outbox kept:
  // an unchanged recipient keeps its worker; a changed one (same name) gets a new worker that
  // takes over its undelivered messages; a removed one's undelivered messages are dropped and
  // logged as failed ("recipient removed"), as after a restart without it. Blocks until the
  // replaced workers stopped (a try in progress ends within its timeout).
  void replace_recipients(std::vector<Recipient> recipients);

 private:
  void loop();
  // Hands the outbox's messages of an earlier run to their recipients' workers, marked late.
  void resume_unsent();
  // Feeds the UPS alarm table from the newest step and queues its changes as UPS-MIB traps.
  void send_ups_alarm_changes();
  // Whether UPS-MIB traps are sent: some recipient wants them and the table is served.
  bool wants_ups_traps() const;
  void subscribe_steps();
  // A message that no recipient of the list will deliver: logged as failed, out of the outbox.
  void drop_unsent(const UnsentMessage& unsent, const std::string& why);

  NotifySettings settings_;
  SiteNames names_;
  NotifierSources sources_;
  SenderFactory make_sender_;
  std::shared_ptr<const model::Clock> clock_;
  AlarmRouter router_;
  std::shared_ptr<DeliveryLog> log_;
  std::shared_ptr<Outbox> outbox_;  // messages not yet delivered; null without a file
  std::vector<std::unique_ptr<ChannelWorker>> workers_;  // one per recipient, same order
  engine::LogCursor<model::Event> cursor_;
  model::PublishListeners::Subscription subscription_;
  model::PublishListeners::Subscription first_step_subscription_;  // until the first sync
  model::PublishListeners::Subscription step_subscription_;        // every step, for UPS-MIB traps
  bool ups_traps_ = false;           // some recipient wants them and the table is served
  std::uint64_t ups_alarm_seq_ = 0;  // table changes already queued
  bool synced_ = false;              // notifier thread only
  bool started_ = false;
  // Held while the recipient list, the router or the workers are used: the notifier thread,
  // send_test and replace_recipients.
  mutable std::mutex state_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool news_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace btms::notify
