// Three independent consumers of one event log, one of them stalled ("dead") the whole time:
// the writer (as the engine thread appends) never waits for it, the other two see every event
// once and in order, and the stalled one is told exactly how many it missed when it reads again.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <thread>

#include "engine/append_log.hpp"
#include "model/events.hpp"

namespace btms::engine {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kCapacity = 10'000;
constexpr std::uint64_t kEvents = 400'000;  // forty times the log: the stalled reader loses most
constexpr std::size_t kBatch = 50;          // events per engine step

model::Event make_event(std::uint64_t id) {
  model::Event e;
  e.id = id;
  e.time_ms = static_cast<std::int64_t>(id);
  e.kind = model::EventKind::alarm_raised;
  e.source = "battery/1/" + std::to_string(id % 120 + 1);
  return e;
}

// Reads until it has seen `total` events or is told it missed some; checks order on the way.
struct LiveConsumer {
  std::atomic<std::uint64_t> seen{0};
  std::uint64_t missed = 0;
  bool in_order = true;

  void run(std::shared_ptr<const AppendLog<model::Event>> log, std::uint64_t total) {
    LogCursor<model::Event> cursor(log, 0);
    std::uint64_t expected_id = 1;
    while (seen < total && missed == 0) {
      cursor.wait(std::chrono::steady_clock::now() + 100ms);
      auto batch = cursor.next(1000);
      missed += batch.missed;
      for (const auto& e : batch.items) {
        if (e.id != expected_id) in_order = false;
        expected_id = e.id + 1;
        ++seen;
      }
    }
  }
};

TEST(EventConsumers, StalledConsumerDelaysNobodyAndIsToldWhatItMissed) {
  auto log = std::make_shared<AppendLog<model::Event>>(kCapacity);

  // The stalled consumer: its cursor starts at the beginning, then its thread blocks until the
  // writer is done (a consumer stuck on a dead broker or a full disk).
  std::latch release_stalled(1);
  LogBatch<model::Event> stalled_batch;
  std::thread stalled([&] {
    LogCursor<model::Event> cursor(log, 0);
    release_stalled.wait();
    stalled_batch = cursor.next(kCapacity);
  });

  LiveConsumer a, b;
  std::thread ta([&] { a.run(log, kEvents); });
  std::thread tb([&] { b.run(log, kEvents); });

  // The writer stands for the engine at a bounded event rate: it stays within half a log of the
  // live consumers (flow control of this test only, so that they can keep up on a loaded
  // machine). It never looks at the stalled consumer.
  auto writer = std::async(std::launch::async, [&] {
    std::uint64_t next_id = 1;
    while (next_id <= kEvents) {
      while (next_id - 1 > std::min(a.seen.load(), b.seen.load()) + kCapacity / 2) {
        std::this_thread::yield();
      }
      std::vector<model::Event> step;
      for (std::size_t i = 0; i < kBatch && next_id <= kEvents; ++i) {
        step.push_back(make_event(next_id++));
      }
      log->append(std::move(step));
    }
  });
  // Generous bound: if the writer waited for the stalled consumer it would never finish.
  ASSERT_EQ(writer.wait_for(120s), std::future_status::ready) << "the writer was held up";
  ta.join();
  tb.join();

  EXPECT_EQ(a.seen, kEvents);
  EXPECT_EQ(b.seen, kEvents);
  EXPECT_EQ(a.missed, 0u);
  EXPECT_EQ(b.missed, 0u);
  EXPECT_TRUE(a.in_order);
  EXPECT_TRUE(b.in_order);

  // Now the stalled one reads: it is told how many it lost and gets the newest, in order.
  release_stalled.count_down();
  stalled.join();
  EXPECT_EQ(stalled_batch.missed, kEvents - kCapacity);
  ASSERT_EQ(stalled_batch.items.size(), kCapacity);
  EXPECT_EQ(stalled_batch.items.front().id, kEvents - kCapacity + 1);
  EXPECT_EQ(stalled_batch.items.back().id, kEvents);
  EXPECT_EQ(stalled_batch.next, kEvents);
}

}  // namespace
}  // namespace btms::engine
