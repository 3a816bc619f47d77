// Brute-force protection for the login route (IEC 62443-4-2 CR 1.11 unsuccessful login
// attempts), following NIST SP 800-63B 5.2.2: throttle guessing without letting anyone lock a
// legitimate user out.
//   - Per source address: max_failures failed attempts within window_ms lock the address for
//     lockout_ms. The address is the guesser's own, so a hard lock costs nobody else.
//   - Per user name: no hard lock (20 guesses from 20 addresses used to lock the admin out for
//     15 renewable minutes). After name_free_failures failures within window_ms, each further
//     attempt at the name waits name_delay_base_ms, doubling per failure up to
//     name_delay_max_ms: at most one guess per name per name_delay_max_ms from the whole
//     network. An address from which the name logged in successfully before is not throttled
//     by the name's failures (only by its own address counter).
//   - begin_attempt() checks and counts an attempt in one step, so concurrent attempts are
//     counted exactly (checking first and counting after the slow password hash let a burst
//     of parallel guesses pass the limit).
// Time is passed in by the caller so behaviour is deterministic and testable.
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
  int max_failures = 5;  // per address
  std::int64_t window_ms = 15LL * 60 * 1000;
  std::int64_t lockout_ms = 15LL * 60 * 1000;  // per address
  int name_free_failures = 5;
  std::int64_t name_delay_base_ms = 1000;
  std::int64_t name_delay_max_ms = 30'000;
  std::size_t known_addresses_per_name = 8;
  std::size_t max_entries = 10000;
};

class LoginRateLimiter {
 public:
  explicit LoginRateLimiter(RateLimitConfig config = {});

  // False while the address is locked out or the name throttled for this address: the caller
  // must answer 429 without checking the password (so a locked account cannot be probed).
  bool allowed(std::string_view user, std::string_view address, std::int64_t now_ms) const;
  // Milliseconds until allowed() turns true (0 when allowed); for a Retry-After header.
  std::int64_t retry_after_ms(std::string_view user, std::string_view address,
                              std::int64_t now_ms) const;
  // allowed() and record_failure() in one step: returns 0 and counts the attempt as failed
  // (record_success() clears it when the password was right), or the retry time without
  // counting anything.
  std::int64_t begin_attempt(std::string_view user, std::string_view address, std::int64_t now_ms);
  void record_failure(std::string_view user, std::string_view address, std::int64_t now_ms);
  // Clears the failure history of both the user name and the address, and remembers the
  // address as one the name logs in from.
  void record_success(std::string_view user, std::string_view address);

  // Entries currently held (users + addresses); for tests and metrics.
  std::size_t tracked_entries() const;

 private:
  struct Entry {
    std::vector<std::int64_t> failures_ms;  // within the window, oldest first
    std::int64_t locked_until_ms = 0;       // addresses only
    std::int64_t last_activity_ms = 0;
    std::vector<std::string> known_addresses;  // names only: where it logged in from
  };
  using Table = std::unordered_map<std::string, Entry>;

  std::int64_t retry_after_locked(std::string_view user, std::string_view address,
                                  std::int64_t now_ms) const;
  std::int64_t address_remaining(std::string_view address, std::int64_t now_ms) const;
  std::int64_t name_remaining(std::string_view user, std::string_view address,
                              std::int64_t now_ms) const;
  void fail_address(std::string_view address, std::int64_t now_ms);
  void fail_name(std::string_view user, std::int64_t now_ms);
  Entry& entry_for(Table& table, std::string_view key, std::int64_t now_ms);
  void make_room(Table& table, std::int64_t now_ms);
  bool stale(const Entry& entry, std::int64_t now_ms) const;

  RateLimitConfig config_;
  mutable std::mutex mutex_;
  Table by_user_;
  Table by_address_;
};

}  // namespace btms::security
