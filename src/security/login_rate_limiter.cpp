#include "security/login_rate_limiter.hpp"

#include <algorithm>

namespace btms::security {

namespace {
// Keys come from the request; cap them so a long bogus user name cannot cost memory.
constexpr std::size_t kMaxKeyLength = 64;

std::string make_key(std::string_view text) {
  return std::string(text.substr(0, std::min(text.size(), kMaxKeyLength)));
}
}  // namespace

LoginRateLimiter::LoginRateLimiter(RateLimitConfig config) : config_(config) {
  config_.max_failures = std::max(config_.max_failures, 1);
  config_.max_entries = std::max<std::size_t>(config_.max_entries, 1);
}

std::int64_t LoginRateLimiter::remaining_locked(const Table& table, std::string_view key,
                                                std::int64_t now_ms) const {
  const auto it = table.find(make_key(key));
  if (it == table.end()) return 0;
  return std::max<std::int64_t>(0, it->second.locked_until_ms - now_ms);
}

bool LoginRateLimiter::allowed(std::string_view user, std::string_view address,
                               std::int64_t now_ms) const {
  return retry_after_ms(user, address, now_ms) == 0;
}

std::int64_t LoginRateLimiter::retry_after_ms(std::string_view user, std::string_view address,
                                              std::int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  return std::max(remaining_locked(by_user_, user, now_ms),
                  remaining_locked(by_address_, address, now_ms));
}

bool LoginRateLimiter::stale(const Entry& entry, std::int64_t now_ms) const {
  return entry.locked_until_ms <= now_ms &&
         (entry.failures_ms.empty() || now_ms - entry.failures_ms.back() >= config_.window_ms);
}

void LoginRateLimiter::make_room(Table& table, std::int64_t now_ms) {
  if (table.size() < config_.max_entries) return;
  std::erase_if(table, [&](const auto& item) { return stale(item.second, now_ms); });
  if (table.size() < config_.max_entries) return;
  // Still full of live entries (an attack from many names/addresses): evict the least
  // recently active entry, preferring one that is not locked so lockouts survive the flood.
  auto victim = table.end();
  bool victim_locked = true;
  for (auto it = table.begin(); it != table.end(); ++it) {
    const bool locked = it->second.locked_until_ms > now_ms;
    if (victim == table.end() || (victim_locked && !locked) ||
        (locked == victim_locked &&
         it->second.last_activity_ms < victim->second.last_activity_ms)) {
      victim = it;
      victim_locked = locked;
    }
  }
  if (victim != table.end()) table.erase(victim);
}

void LoginRateLimiter::fail(Table& table, std::string_view text, std::int64_t now_ms) {
  std::string key = make_key(text);
  auto it = table.find(key);
  if (it == table.end()) {
    make_room(table, now_ms);
    it = table.emplace(std::move(key), Entry{}).first;
  }
  Entry& entry = it->second;
  entry.last_activity_ms = now_ms;
  // Failures reported while locked (e.g. racing requests) neither extend nor stack a lockout.
  if (entry.locked_until_ms > now_ms) return;
  std::erase_if(entry.failures_ms, [&](std::int64_t t) { return now_ms - t >= config_.window_ms; });
  entry.failures_ms.push_back(now_ms);
  if (static_cast<int>(entry.failures_ms.size()) >= config_.max_failures) {
    entry.locked_until_ms = now_ms + config_.lockout_ms;
    entry.failures_ms.clear();
  }
}

void LoginRateLimiter::record_failure(std::string_view user, std::string_view address,
                                      std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  fail(by_user_, user, now_ms);
  fail(by_address_, address, now_ms);
}

void LoginRateLimiter::record_success(std::string_view user, std::string_view address) {
  std::lock_guard lock(mutex_);
  by_user_.erase(make_key(user));
  by_address_.erase(make_key(address));
}

std::size_t LoginRateLimiter::tracked_entries() const {
  std::lock_guard lock(mutex_);
  return by_user_.size() + by_address_.size();
}

}  // namespace btms::security
