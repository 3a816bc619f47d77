#include "notify/notifier.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "notify/message_text.hpp"

namespace btms::notify {

namespace {

std::shared_ptr<const engine::AppendLog<model::Event>> or_empty_log(
    std::shared_ptr<const engine::AppendLog<model::Event>> log) {
  return log ? std::move(log) : std::make_shared<engine::AppendLog<model::Event>>(1);
}

}  // namespace

Notifier::Notifier(NotifySettings settings, SiteNames names, NotifierSources sources,
                   std::shared_ptr<const model::Clock> clock, SenderFactory make_sender)
    : settings_(std::move(settings)),
      names_(names),
      sources_{or_empty_log(std::move(sources.events)), std::move(sources.engine),
               std::move(sources.publication), sources.delivery_file,
               std::move(sources.ups_alarms)},
      make_sender_(std::move(make_sender)),
      clock_(clock ? std::move(clock) : model::system_clock()),
      router_(settings_.routing, settings_.recipients, names, clock_),
      log_(sources_.delivery_file.empty()
               ? std::make_shared<DeliveryLog>()
               : std::make_shared<DeliveryLog>(1000, sources_.delivery_file)),
      outbox_(sources_.delivery_file.empty() ? nullptr
                                             : std::make_shared<Outbox>(sources_.delivery_file)),
      cursor_(sources_.events, sources_.events->end()) {
  if (!make_sender_) {
    // Mail and webhook settings never change while running: only the recipient list does.
    make_sender_ = [this](const Recipient& r) -> std::unique_ptr<Sender> {
      switch (r.channel) {
        case ChannelKind::mail:
          return make_mail_sender(settings_.mail);
        case ChannelKind::snmp:
          return make_snmp_sender(settings_.routing, names_);
        case ChannelKind::webhook:
          break;
      }
      return make_webhook_sender(settings_.routing, names_, settings_.delivery.webhook_timeout_ms);
    };
  }
  for (const auto& r : settings_.recipients) {
    workers_.push_back(std::make_unique<ChannelWorker>(r, make_sender_(r), settings_.delivery, log_,
                                                       clock_, 256, outbox_));
  }
  if (outbox_) resume_unsent();
  ups_traps_ = wants_ups_traps();
}

bool Notifier::wants_ups_traps() const {
  const bool wanted = std::any_of(
      settings_.recipients.begin(), settings_.recipients.end(),
      [](const Recipient& r) { return r.channel == ChannelKind::snmp && r.snmp.ups_mib; });
  const bool served = sources_.ups_alarms && sources_.ups_alarms->serves() && sources_.publication;
  if (wanted && !served) {
    spdlog::warn(
        "notify: UPS-MIB traps (mib = \"ups\" / \"both\") need a site with exactly one UPS: "
        "none are sent");
  }
  return wanted && served;
}

void Notifier::drop_unsent(const UnsentMessage& unsent, const std::string& why) {
  Delivery d;
  d.time_ms = clock_->now_ms();
  d.recipient = unsent.message.recipient;
  d.group = unsent.message.group;
  d.reason = unsent.message.test ? "test" : reason_name(unsent.message.reason);
  d.subject = unsent.message.subject;
  d.result = DeliveryResult::failed;
  d.detail = why;
  d.attempt = unsent.attempts_done;
  log_->add(std::move(d));
  if (outbox_ && unsent.row != 0) outbox_->remove(unsent.row);
}

std::vector<Recipient> Notifier::recipients() const {
  std::lock_guard lock(state_mutex_);
  return settings_.recipients;
}

void Notifier::replace_recipients(std::vector<Recipient> recipients) {
  std::lock_guard lock(state_mutex_);
  std::vector<std::unique_ptr<ChannelWorker>> workers;
  std::vector<UnsentMessage> handed_over;
  for (const auto& r : recipients) {
    auto same = std::find_if(workers_.begin(), workers_.end(),
                             [&](const auto& w) { return w && w->recipient() == r; });
    if (same != workers_.end()) {
      workers.push_back(std::move(*same));
      continue;
    }
    workers.push_back(std::make_unique<ChannelWorker>(r, make_sender_(r), settings_.delivery, log_,
                                                      clock_, 256, outbox_));
  }
  // What is left was changed or removed: its undelivered messages go to the new worker of the
  // same name, or are dropped when the name is gone.
  for (auto& old : workers_) {
    if (!old) continue;
    old->stop();
    auto unsent = old->take_unsent();
    auto successor = std::find_if(workers.begin(), workers.end(), [&](const auto& w) {
      return w->recipient().name == old->recipient().name;
    });
    for (auto& u : unsent) {
      if (successor == workers.end()) {
        drop_unsent(u, "dropped: recipient removed on the settings page");
      } else {
        (*successor)->resume(std::move(u));
      }
    }
  }
  const auto count = recipients.size();
  workers_ = std::move(workers);
  settings_.recipients = std::move(recipients);
  router_.set_recipients(settings_.recipients);
  const bool had_ups_traps = ups_traps_;
  ups_traps_ = wants_ups_traps();
  if (started_) {
    for (auto& w : workers_) w->start();  // a running worker ignores it
    if (ups_traps_ && !had_ups_traps) subscribe_steps();
  }
  spdlog::info("notify: recipient list replaced ({} recipients)", count);
  {
    std::lock_guard wake_lock(mutex_);
    news_ = true;  // a new recipient may be due now for the active alarms
  }
  wake_.notify_all();
}

void Notifier::subscribe_steps() {
  // UPS-MIB traps follow the UPS's alarm bits too, which change without an event.
  step_subscription_ = sources_.publication->on_publish([this] {
    {
      std::lock_guard lock(mutex_);
      news_ = true;
    }
    wake_.notify_all();
  });
}

void Notifier::resume_unsent() {
  for (auto& unsent : outbox_->unsent()) {
    auto worker = std::find_if(workers_.begin(), workers_.end(), [&](const auto& w) {
      return w->recipient().name == unsent.message.recipient;
    });
    if (worker == workers_.end()) {
      drop_unsent(unsent, "dropped after a restart: recipient no longer configured");
      continue;
    }
    mark_late(unsent.message, clock_->now_ms());
    spdlog::info("notify: resending message {} to {} queued before the restart",
                 unsent.message.message_id, unsent.message.recipient);
    (*worker)->resume(std::move(unsent));
  }
}

Notifier::~Notifier() {
  stop();
}

void Notifier::start() {
  std::lock_guard state_lock(state_mutex_);
  if (thread_.joinable()) return;
  started_ = true;
  // The wake-up runs on the engine thread: it only sets a flag and signals.
  subscription_ = sources_.events->on_append([this] {
    {
      std::lock_guard lock(mutex_);
      news_ = true;
    }
    wake_.notify_all();
  });
  if (ups_traps_) subscribe_steps();
  if (sources_.publication) {
    first_step_subscription_ = sources_.publication->on_publish([this] {
      {
        std::lock_guard lock(mutex_);
        news_ = true;
      }
      wake_.notify_all();
    });
  }
  for (auto& w : workers_) w->start();
  thread_ = std::thread([this] { loop(); });
}

void Notifier::stop() {
  subscription_.reset();
  first_step_subscription_.reset();
  step_subscription_.reset();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard state_lock(state_mutex_);
  started_ = false;
  for (auto& w : workers_) w->stop();
}

bool Notifier::send_test(const std::string& recipient) {
  std::lock_guard lock(state_mutex_);
  for (auto& w : workers_) {
    if (w->recipient().name != recipient) continue;
    auto n = router_.test_message(recipient);  // reads only immutable settings
    if (!n) return false;
    w->enqueue(std::move(*n));
    return true;
  }
  return false;
}

void Notifier::loop() {
  for (;;) {
    std::unique_lock state_lock(state_mutex_);
    // Alarms active before we started (restored after a restart) are told like new ones, from
    // the first published step on; then only the event log counts.
    if (!synced_) {
      if (sources_.publication) {
        if (const auto bundle = sources_.publication->latest()) {
          router_.sync_active(bundle->alarms->alarms);
          synced_ = true;
          first_step_subscription_.reset();  // this thread, not the callback: safe to reset
        }
      } else {
        if (sources_.engine) router_.sync_active(sources_.engine->alarms()->alarms);
        synced_ = true;
      }
    }
    for (;;) {
      auto batch = cursor_.next(4096);
      if (batch.missed > 0) {
        spdlog::warn("notify: fell {} events behind the event log; re-reading the active alarms",
                     batch.missed);
        if (sources_.engine) router_.sync_active(sources_.engine->alarms()->alarms);
      }
      for (const auto& e : batch.items) router_.on_event(e);
      if (batch.items.empty()) break;
    }
    if (ups_traps_) send_ups_alarm_changes();
    for (auto& n : router_.take_due()) {
      for (auto& w : workers_) {
        if (w->recipient().name == n.recipient) {
          const auto& r = w->recipient();
          if (r.channel == ChannelKind::snmp && !r.snmp.btms_mib) break;  // UPS-MIB only
          w->enqueue(std::move(n));
          break;
        }
      }
    }
    const auto next = router_.next_due_ms();
    state_lock.unlock();
    std::unique_lock lock(mutex_);
    const auto ready = [&] { return stopping_ || news_; };
    if (next) {
      wake_.wait_until(lock, clock_->wall_deadline(*next), ready);
    } else {
      wake_.wait(lock, ready);
    }
    if (stopping_) return;
    news_ = false;
  }
}

void Notifier::send_ups_alarm_changes() {
  if (const auto bundle = sources_.publication->latest()) sources_.ups_alarms->update(*bundle);
  for (const auto& change : sources_.ups_alarms->changes_after(ups_alarm_seq_)) {
    ups_alarm_seq_ = change.seq;
    for (auto& w : workers_) {
      const auto& r = w->recipient();
      if (r.channel != ChannelKind::snmp || !r.snmp.ups_mib) continue;
      Notification n;
      n.recipient = r.name;
      n.group = "ups-mib";
      n.reason = change.added ? Reason::first : Reason::recovery;
      n.time_ms = clock_->now_ms();
      n.ups_alarm =
          UpsAlarmNotice{change.added, change.row.id, static_cast<std::uint32_t>(change.row.alarm),
                         change.row.since_ms};
      n.subject = fmt::format("UPS-MIB {} {} (upsAlarmId {})",
                              change.added ? "upsTrapAlarmEntryAdded" : "upsTrapAlarmEntryRemoved",
                              ups_alarm_name(change.row.alarm), change.row.id);
      n.text = n.subject;
      w->enqueue(std::move(n));
    }
  }
}

}  // namespace btms::notify
