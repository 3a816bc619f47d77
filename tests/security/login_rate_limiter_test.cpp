#include "security/login_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace btms::security {
namespace {

constexpr std::int64_t kMinute_ms = 60 * 1000;
constexpr std::int64_t kT0_ms = 1'700'000'000'000;

TEST(LoginRateLimiter, FreshKeysAllowed) {
  LoginRateLimiter limiter;
  EXPECT_TRUE(limiter.allowed("alice", "10.0.0.1", kT0_ms));
  EXPECT_EQ(limiter.retry_after_ms("alice", "10.0.0.1", kT0_ms), 0);
}

struct LockCase {
  const char* what;
  std::vector<std::int64_t> failures_ms;  // relative to kT0_ms
  std::int64_t check_ms;                  // relative to kT0_ms
  bool allowed;
};

TEST(LoginRateLimiter, LockoutTimings) {
  const std::int64_t m = kMinute_ms;
  const LockCase cases[] = {
      {"four failures stay allowed", {0, 1, 2, 3}, 4, true},
      {"fifth failure locks", {0, 1, 2, 3, 4}, 5, false},
      {"locked just before 15 min", {0, 1, 2, 3, 4}, 4 + 15 * m - 1, false},
      {"unlocked at 15 min", {0, 1, 2, 3, 4}, 4 + 15 * m, true},
      {"failures spread over more than the window",
       {0, 4 * m, 8 * m, 12 * m, 16 * m},
       16 * m + 1,
       true},
      {"five within the window after an old one",
       {0, 5 * m, 6 * m, 7 * m, 8 * m, 9 * m},
       9 * m + 1,
       false},
  };
  for (const auto& c : cases) {
    LoginRateLimiter limiter;
    for (const auto t : c.failures_ms) limiter.record_failure("alice", "10.0.0.1", kT0_ms + t);
    EXPECT_EQ(limiter.allowed("alice", "10.0.0.1", kT0_ms + c.check_ms), c.allowed) << c.what;
  }
}

TEST(LoginRateLimiter, RetryAfterCountsDown) {
  LoginRateLimiter limiter;
  for (int i = 0; i < 5; ++i) limiter.record_failure("alice", "10.0.0.1", kT0_ms);
  EXPECT_EQ(limiter.retry_after_ms("alice", "10.0.0.1", kT0_ms), 15 * kMinute_ms);
  EXPECT_EQ(limiter.retry_after_ms("alice", "10.0.0.1", kT0_ms + 10 * kMinute_ms), 5 * kMinute_ms);
}

// Issue 17 item 8: a user name is throttled, never locked. Each row: failures of "admin"
// from distinct addresses at the given times, then the wait an attempt at check_ms gets.
TEST(LoginRateLimiter, NameThrottleTable) {
  const std::int64_t s = 1000;
  struct Row {
    const char* what;
    int failures;           // at kT0_ms, one per address
    std::int64_t check_ms;  // relative to kT0_ms
    const char* address;    // of the checking attempt
    std::int64_t expected_wait_ms;
  };
  const Row rows[] = {
      {"five are free", 5, 0, "192.168.1.1", 0},
      {"sixth: 1 s", 6, 0, "192.168.1.1", 1 * s},
      {"sixth: over after 1 s", 6, 1 * s, "192.168.1.1", 0},
      {"seventh: 2 s", 7, 0, "192.168.1.1", 2 * s},
      {"eighth: 4 s", 8, 500, "192.168.1.1", 4 * s - 500},
      {"ninth: 8 s", 9, 0, "192.168.1.1", 8 * s},
      {"twenty: capped at 30 s", 20, 0, "192.168.1.1", 30 * s},
      {"a thousand: still 30 s", 1000, 0, "192.168.1.1", 30 * s},
      {"window over", 20, 15 * kMinute_ms, "192.168.1.1", 0},
      {"known address not throttled", 20, 0, "10.1.1.1", 0},
  };
  for (const auto& row : rows) {
    LoginRateLimiter limiter;
    limiter.record_success("admin", "10.1.1.1");  // where the admin usually logs in from
    for (int i = 0; i < row.failures; ++i) {
      limiter.record_failure(
          "admin", "172.16." + std::to_string(i / 250) + "." + std::to_string(i % 250), kT0_ms);
    }
    EXPECT_EQ(limiter.retry_after_ms("admin", row.address, kT0_ms + row.check_ms),
              row.expected_wait_ms)
        << row.what;
  }
}

// The case: 20 guesses from 20 addresses used to lock the admin for 15 renewable
// minutes. Now the admin from the usual address logs in at once, from a new address within
// 30 s, and the guessing addresses are not locked by the name (each only by its own count).
TEST(LoginRateLimiter, TwentyAddressesCannotLockTheAdminOut) {
  LoginRateLimiter limiter;
  limiter.record_success("admin", "10.1.1.1");
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(
        limiter.begin_attempt("admin", "172.16.0." + std::to_string(i), kT0_ms + i * 100),
        i < 5 ? 0
              : limiter.retry_after_ms("admin", "172.16.0." + std::to_string(i), kT0_ms + i * 100));
  }
  EXPECT_TRUE(limiter.allowed("admin", "10.1.1.1", kT0_ms + 2000));
  EXPECT_LE(limiter.retry_after_ms("admin", "192.168.7.7", kT0_ms + 2000), 30'000);
  EXPECT_TRUE(limiter.allowed("admin", "192.168.7.7", kT0_ms + 2000 + 30'000));
  EXPECT_TRUE(limiter.allowed("bob", "172.16.0.1", kT0_ms + 2000));
}

// begin_attempt checks and counts in one step: of 40 parallel attempts from one address,
// exactly max_failures get through.
TEST(LoginRateLimiter, ParallelAttemptsAreCountedExactly) {
  LoginRateLimiter limiter;
  std::atomic<int> through{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&, i] {
      if (limiter.begin_attempt("user" + std::to_string(i), "10.0.0.9", kT0_ms) == 0) ++through;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(through.load(), 5);
}

TEST(LoginRateLimiter, AddressLockAppliesToAnyUser) {
  LoginRateLimiter limiter;
  for (int i = 0; i < 5; ++i) {
    limiter.record_failure("user" + std::to_string(i), "10.0.0.9", kT0_ms + i);
  }
  EXPECT_FALSE(limiter.allowed("someone-else", "10.0.0.9", kT0_ms + 10));
  EXPECT_TRUE(limiter.allowed("someone-else", "10.0.0.8", kT0_ms + 10));
}

TEST(LoginRateLimiter, FailuresWhileLockedDoNotExtendLockout) {
  LoginRateLimiter limiter;
  for (int i = 0; i < 5; ++i) limiter.record_failure("alice", "10.0.0.1", kT0_ms);
  for (int i = 0; i < 20; ++i)
    limiter.record_failure("alice", "10.0.0.1", kT0_ms + 14 * kMinute_ms);
  EXPECT_TRUE(limiter.allowed("alice", "10.0.0.1", kT0_ms + 15 * kMinute_ms));
}

TEST(LoginRateLimiter, SuccessResetsCounters) {
  LoginRateLimiter limiter;
  for (int i = 0; i < 4; ++i) limiter.record_failure("alice", "10.0.0.1", kT0_ms + i);
  limiter.record_success("alice", "10.0.0.1");
  for (int i = 0; i < 4; ++i) limiter.record_failure("alice", "10.0.0.1", kT0_ms + 10 + i);
  EXPECT_TRUE(limiter.allowed("alice", "10.0.0.1", kT0_ms + 20));
  limiter.record_failure("alice", "10.0.0.1", kT0_ms + 21);
  EXPECT_FALSE(limiter.allowed("alice", "10.0.0.1", kT0_ms + 22));
}

TEST(LoginRateLimiter, ConfigurableThresholds) {
  LoginRateLimiter limiter({.max_failures = 2, .window_ms = 1000, .lockout_ms = 500});
  limiter.record_failure("a", "x", kT0_ms);
  EXPECT_TRUE(limiter.allowed("a", "x", kT0_ms + 1));
  limiter.record_failure("a", "x", kT0_ms + 999);
  EXPECT_FALSE(limiter.allowed("a", "x", kT0_ms + 1000));
  EXPECT_TRUE(limiter.allowed("a", "x", kT0_ms + 999 + 500));
}

TEST(LoginRateLimiter, MemoryIsBoundedAndLocksSurviveFlood) {
  LoginRateLimiter limiter({.max_entries = 100});
  // One real lockout first.
  for (int i = 0; i < 5; ++i) limiter.record_failure("victim", "10.9.9.9", kT0_ms);
  // Then a flood of distinct names and addresses.
  for (int i = 0; i < 5000; ++i) {
    limiter.record_failure("spray" + std::to_string(i), "172.16." + std::to_string(i), kT0_ms + 1);
  }
  EXPECT_LE(limiter.tracked_entries(), 200u);
  EXPECT_FALSE(limiter.allowed("nobody", "10.9.9.9", kT0_ms + 2));
}

TEST(LoginRateLimiter, StaleEntriesArePruned) {
  LoginRateLimiter limiter({.max_entries = 10});
  for (int i = 0; i < 10; ++i) {
    limiter.record_failure("u" + std::to_string(i), "a" + std::to_string(i), kT0_ms);
  }
  EXPECT_EQ(limiter.tracked_entries(), 20u);
  // After the window, the next insertion clears everything stale.
  limiter.record_failure("late", "late-addr", kT0_ms + 16 * kMinute_ms);
  EXPECT_EQ(limiter.tracked_entries(), 2u);
}

TEST(LoginRateLimiter, LongKeysAreCapped) {
  LoginRateLimiter limiter;
  const std::string long_name(10000, 'z');
  for (int i = 0; i < 6; ++i) limiter.record_failure(long_name, "10.0.0.1", kT0_ms);
  // Keys sharing the first 64 characters share a counter: acceptable for names that cannot
  // be valid accounts anyway (max 32 characters).
  EXPECT_FALSE(limiter.allowed(std::string(64, 'z'), "10.0.0.2", kT0_ms + 1));
}

}  // namespace
}  // namespace btms::security
