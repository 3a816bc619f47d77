#include "ops/systemd_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>

namespace btms::ops {

SystemdNotifier::SystemdNotifier(std::shared_ptr<const engine::StepPublication> publication)
    : publication_(std::move(publication)) {
  std::uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is this process.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) interval_ = std::chrono::microseconds(usec);
  if (!watchdog_enabled() || !publication_) return;
  subscription_ = publication_->on_publish([this] {
    // Engine thread: only signal.
    {
      std::lock_guard lock(mutex_);
      stepped_ = true;
    }
    wake_.notify_one();
  });
  thread_ = std::thread([this] { loop(); });
  spdlog::info("systemd watchdog: fed by engine steps, timeout {} ms",
               std::chrono::duration_cast<std::chrono::milliseconds>(interval_).count());
}

SystemdNotifier::~SystemdNotifier() {
  subscription_.reset();
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SystemdNotifier::ready(const std::string& status) {
  sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
}

void SystemdNotifier::stopping() {
  sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

std::uint64_t SystemdNotifier::pings_sent() const {
  std::lock_guard lock(mutex_);
  return pings_;
}

void SystemdNotifier::loop() {
  // Several pings per timeout, so one late wake-up is not a restart; not one per step (a step
  // every few milliseconds would flood the manager).
  const auto min_gap = interval_ / 4;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    wake_.wait(lock, [this] { return stop_ || stepped_; });
    if (stop_) break;
    stepped_ = false;
    lock.unlock();
    sd_notify(0, "WATCHDOG=1");
    lock.lock();
    ++pings_;
    // Steps during the gap set stepped_ again and are answered by the next ping; a hung
    // engine sets nothing and the loop waits in wake_.wait above, sending nothing.
    wake_.wait_for(lock, min_gap, [this] { return stop_; });
  }
}

}  // namespace btms::ops
