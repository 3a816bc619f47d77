#include "notify/notifier.hpp"

#include <spdlog/spdlog.h>

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
      sources_{or_empty_log(std::move(sources.events)), std::move(sources.engine),
               std::move(sources.publication)},
      clock_(clock ? std::move(clock) : model::system_clock()),
      router_(settings_.routing, settings_.recipients, names, clock_),
      log_(std::make_shared<DeliveryLog>()),
      cursor_(sources_.events, sources_.events->end()) {
  if (!make_sender) {
    make_sender = [&](const Recipient& r) -> std::unique_ptr<Sender> {
      switch (r.channel) {
        case ChannelKind::mail:
          return make_mail_sender(settings_.mail);
        case ChannelKind::snmp:
          return make_snmp_sender(settings_.routing, names);
        case ChannelKind::webhook:
          break;
      }
      return make_webhook_sender(settings_.routing, names, settings_.delivery.webhook_timeout_ms);
    };
  }
  for (const auto& r : settings_.recipients) {
    workers_.push_back(
        std::make_unique<ChannelWorker>(r, make_sender(r), settings_.delivery, log_, clock_));
  }
}

Notifier::~Notifier() {
  stop();
}

void Notifier::start() {
  if (thread_.joinable()) return;
  // The wake-up runs on the engine thread: it only sets a flag and signals.
  subscription_ = sources_.events->on_append([this] {
    {
      std::lock_guard lock(mutex_);
      news_ = true;
    }
    wake_.notify_all();
  });
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
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& w : workers_) w->stop();
}

bool Notifier::send_test(const std::string& recipient) {
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
    for (auto& n : router_.take_due()) {
      for (auto& w : workers_) {
        if (w->recipient().name == n.recipient) {
          w->enqueue(std::move(n));
          break;
        }
      }
    }
    const auto next = router_.next_due_ms();
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

}  // namespace btms::notify
