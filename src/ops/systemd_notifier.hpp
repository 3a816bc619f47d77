// The gateway's side of systemd's notify protocol (Type=notify, WatchdogSec=): READY=1 once the
// gateway serves, WATCHDOG=1 fed by the engine's steps, STOPPING=1 on the way out.
//
// The watchdog is fed from the engine loop, not from a timer of its own: every published step
// bundle (one per engine step, engine/step_publication.hpp) wakes this notifier's thread, which
// sends WATCHDOG=1 at most every quarter of WATCHDOG_USEC. An engine thread that hangs publishes
// nothing, the pings stop, and systemd kills and restarts the service after WatchdogSec. The
// wake-up callback runs on the engine thread and only sets a flag: the datagram is sent from
// this notifier's own thread, so the engine never waits on the socket.
//
// Without NOTIFY_SOCKET (not started by systemd, or Type=simple) every call is a no-op, and
// without WATCHDOG_USEC no ping is sent (libsystemd's sd_notify / sd_watchdog_enabled).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/step_publication.hpp"

namespace btms::ops {

class SystemdNotifier {
 public:
  explicit SystemdNotifier(std::shared_ptr<const engine::StepPublication> publication);
  ~SystemdNotifier();  // stops the thread
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // READY=1 with a status line; call once the gateway serves (listeners bound, engine running).
  void ready(const std::string& status);
  // STOPPING=1; call first thing on shutdown (systemd then does not count a slow stop as a hang).
  void stopping();

  bool watchdog_enabled() const { return interval_.count() > 0; }
  std::chrono::microseconds watchdog_interval() const { return interval_; }
  std::uint64_t pings_sent() const;

 private:
  void loop();

  std::shared_ptr<const engine::StepPublication> publication_;
  std::chrono::microseconds interval_{0};  // WATCHDOG_USEC, 0 = no watchdog asked for
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stepped_ = false;  // the engine published since the last ping
  bool stop_ = false;
  std::uint64_t pings_ = 0;
  model::PublishListeners::Subscription subscription_;
  std::thread thread_;
};

}  // namespace btms::ops
