// The notify protocol seen from systemd's side: a unix datagram socket of the test's own stands
// in for the manager (NOTIFY_SOCKET), the engine runs on its thread, fed plant snapshots. READY
// arrives, then WATCHDOG pings while the engine steps; a frozen engine thread (a publish
// listener that blocks it, the debug hook) sends none; pings resume when it runs again.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../engine/plant_fixture.hpp"
#include "engine/engine_runner.hpp"
#include "ops/systemd_notifier.hpp"
#include "temp_dir.hpp"

namespace btms::ops {
namespace {

using namespace std::chrono_literals;

class NullSink : public model::CommandSink {
 public:
  void submit(const model::Command&) override {}
};

// The manager's end of NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof(address.sun_path) - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0)
      throw std::runtime_error("cannot bind " + path);
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // The next datagram, or "" when none arrives within `wait`.
  std::string receive(std::chrono::milliseconds wait) {
    timeval timeout{static_cast<time_t>(wait.count() / 1000),
                    static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    char buffer[512];
    const auto n = ::recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  }
  // Every datagram already queued.
  std::vector<std::string> drain() {
    std::vector<std::string> out;
    char buffer[512];
    for (;;) {
      const auto n = ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (n <= 0) break;
      out.emplace_back(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }
  // Waits (up to a generous bound, this is no timing assertion) for `count` WATCHDOG=1.
  int await_pings(int count) {
    int seen = 0;
    const auto end = std::chrono::steady_clock::now() + 20s;
    while (seen < count && std::chrono::steady_clock::now() < end)
      if (receive(500ms) == "WATCHDOG=1") ++seen;
    return seen;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// What systemd puts into the environment of a Type=notify service with WatchdogSec=.
class SystemdEnvironment {
 public:
  SystemdEnvironment(const std::string& socket, std::chrono::microseconds watchdog) {
    ::setenv("NOTIFY_SOCKET", socket.c_str(), 1);
    ::setenv("WATCHDOG_USEC", std::to_string(watchdog.count()).c_str(), 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  }
  ~SystemdEnvironment() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
};

// Freezes the engine thread inside its publish (the debug hook): a listener that blocks.
class EngineFreezer {
 public:
  explicit EngineFreezer(const engine::StepPublication& publication)
      : subscription_(publication.on_publish([this] {
          std::unique_lock lock(mutex_);
          if (!frozen_) return;
          inside_ = true;
          changed_.notify_all();
          changed_.wait(lock, [this] { return !frozen_; });
          inside_ = false;
        })) {}
  ~EngineFreezer() {
    release();
    subscription_.reset();
  }
  void freeze() {
    std::unique_lock lock(mutex_);
    frozen_ = true;
    // Returns once the engine thread is stuck (it steps every few milliseconds).
    changed_.wait(lock, [this] { return inside_; });
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      frozen_ = false;
    }
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool frozen_ = false;
  bool inside_ = false;
  model::PublishListeners::Subscription subscription_;
};

class SystemdNotifierTest : public engine::testing::PlantFixture {
 protected:
  // A plant that publishes a new snapshot every 5 ms, like the acquisition, until stopped.
  void start_plant() {
    feeding_ = true;
    feeder_ = std::thread([this] {
      std::uint64_t sequence = 0;
      std::int64_t time_ms = 1'760'000'000'000;
      while (feeding_) {
        time_ms += 1000;
        auto next = std::make_shared<model::Snapshot>(snap);
        next->sequence = ++sequence;
        next->time_ms = time_ms;
        for (auto& s : next->samples) s.time_ms = time_ms;
        plant_pub->publish(next);
        std::this_thread::sleep_for(5ms);
      }
    });
  }
  void stop_plant() {
    feeding_ = false;
    if (feeder_.joinable()) feeder_.join();
  }
  ~SystemdNotifierTest() override { stop_plant(); }

  std::shared_ptr<model::SnapshotPublisher> plant_pub =
      std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<model::SnapshotPublisher> derived_pub =
      std::make_shared<model::SnapshotPublisher>();
  NullSink sink;
  std::atomic<bool> feeding_{false};
  std::thread feeder_;
};

TEST_F(SystemdNotifierTest, ReadyThenPingsFromEngineStepsThatStopWhileTheEngineIsFrozen) {
  test::TempDir dir;
  NotifySocket manager(dir.file("notify"));
  SystemdEnvironment environment(dir.file("notify"), 200ms);

  engine::EngineRunner runner(std::make_unique<engine::Engine>(site, plant), plant_pub, derived_pub,
                              sink);
  EngineFreezer freezer(*runner.publication());
  SystemdNotifier notifier(runner.publication());
  ASSERT_TRUE(notifier.watchdog_enabled());
  EXPECT_EQ(notifier.watchdog_interval(), 200ms);

  runner.start();
  start_plant();
  notifier.ready("serving");
  EXPECT_EQ(manager.receive(5000ms), "READY=1\nSTATUS=serving");
  EXPECT_EQ(manager.await_pings(3), 3);

  // Frozen: the ping of a step just before the freeze may still come; after that, none.
  freezer.freeze();
  std::this_thread::sleep_for(200ms);  // > the notifier's gap: that last ping has been sent
  manager.drain();
  const auto pings_frozen = notifier.pings_sent();
  std::this_thread::sleep_for(600ms);  // three watchdog timeouts' worth of quarter-periods
  EXPECT_TRUE(manager.drain().empty()) << "a frozen engine must not feed the watchdog";
  EXPECT_EQ(notifier.pings_sent(), pings_frozen);

  freezer.release();
  EXPECT_EQ(manager.await_pings(2), 2);  // running again: fed again

  notifier.stopping();
  EXPECT_EQ(manager.receive(5000ms).substr(0, 10), "STOPPING=1");
  stop_plant();
  runner.stop();
}

TEST_F(SystemdNotifierTest, WithoutNotifySocketEverythingIsANoOp) {
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  engine::EngineRunner runner(std::make_unique<engine::Engine>(site, plant), plant_pub, derived_pub,
                              sink);
  SystemdNotifier notifier(runner.publication());
  EXPECT_FALSE(notifier.watchdog_enabled());
  runner.start();
  start_plant();
  notifier.ready("serving");
  notifier.stopping();
  stop_plant();
  runner.stop();
  EXPECT_EQ(notifier.pings_sent(), 0u);
}

TEST_F(SystemdNotifierTest, AWatchdogMeantForAnotherProcessIsIgnored) {
  test::TempDir dir;
  NotifySocket manager(dir.file("notify"));
  SystemdEnvironment environment(dir.file("notify"), 200ms);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  engine::EngineRunner runner(std::make_unique<engine::Engine>(site, plant), plant_pub, derived_pub,
                              sink);
  SystemdNotifier notifier(runner.publication());
  EXPECT_FALSE(notifier.watchdog_enabled());
}

}  // namespace
}  // namespace btms::ops
