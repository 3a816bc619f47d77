// Brute-force protection for the login route (IEC 62443-4-2 CR 1.11 unsuccessful login
// attempts): counts failures per user name and per source address independently; once either
// reaches max_failures within window_ms it is locked for lockout_ms. Time is passed in by the
// caller so behaviour is deterministic and testable.
//
// Thread-safe. Memory is bounded by max_entries per key kind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace btms::security {

struct RateLimitConfig {
  int max_failures = 5;
  std::int64_t window_ms = 15LL * 60 * 1000;
  std::int64_t lockout_ms = 15LL * 60 * 1000;
  std::size_t max_entries = 10000;
};

class LoginRateLimiter {
 public:
  explicit LoginRateLimiter(RateLimitConfig config = {});

  // False while the user name or the source address is locked out: the caller must answer
  // 429 without checking the password (so a locked account cannot be probed).
  bool allowed(std::string_view user, std::string_view address, std::int64_t now_ms) const;
  // Milliseconds until allowed() turns true (0 when allowed); for a Retry-After header.
  std::int64_t retry_after_ms(std::string_view user, std::string_view address,
                              std::int64_t now_ms) const;
  void record_failure(std::string_view user, std::string_view address, std::int64_t now_ms);
  // Clears the failure history of both the user name and the address.
  void record_success(std::string_view user, std::string_view address);

  // Entries currently held (users + addresses); for tests and metrics.
  std::size_t tracked_entries() const;

 private:
  struct Entry {
    std::vector<std::int64_t> failures_ms;  // within the window, oldest first
    std::int64_t locked_until_ms = 0;
    std::int64_t last_activity_ms = 0;
  };
  using Table = std::unordered_map<std::string, Entry>;

  std::int64_t remaining_locked(const Table& table, std::string_view key,
                                std::int64_t now_ms) const;
  void fail(Table& table, std::string_view key, std::int64_t now_ms);
  void make_room(Table& table, std::int64_t now_ms);
  bool stale(const Entry& entry, std::int64_t now_ms) const;

  RateLimitConfig config_;
  mutable std::mutex mutex_;
  Table by_user_;
  Table by_address_;
};

}  // namespace btms::security
