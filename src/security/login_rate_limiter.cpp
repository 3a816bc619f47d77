#include "security/login_rate_limiter.hpp"

#include <algorithm>

namespace btms::security {

namespace {
// Keys come from the request; cap them so a long bogus user name cannot cost memory.
constexpr std::size_t kMaxKeyLength = 64;
// Failures kept per name: the delay has long reached its cap by then.
constexpr std::size_t kMaxFailuresKept = 64;

std::string make_key(std::string_view text) {
  return std::string(text.substr(0, std::min(text.size(), kMaxKeyLength)));
}
}  // namespace

LoginRateLimiter::LoginRateLimiter(RateLimitConfig config) : config_(config) {
  config_.max_failures = std::max(config_.max_failures, 1);
  config_.name_free_failures = std::max(config_.name_free_failures, 0);
  config_.max_entries = std::max<std::size_t>(config_.max_entries, 1);
}

std::int64_t LoginRateLimiter::address_remaining(std::string_view address,
                                                 std::int64_t now_ms) const {
  const auto it = by_address_.find(make_key(address));
  if (it == by_address_.end()) return 0;
  return std::max<std::int64_t>(0, it->second.locked_until_ms - now_ms);
}

std::int64_t LoginRateLimiter::name_remaining(std::string_view user, std::string_view address,
                                              std::int64_t now_ms) const {
  const auto it = by_user_.find(make_key(user));
  if (it == by_user_.end()) return 0;
  const auto& entry = it->second;
  const auto& known = entry.known_addresses;
  if (std::find(known.begin(), known.end(), make_key(address)) != known.end()) return 0;
  const auto recent = std::count_if(entry.failures_ms.begin(), entry.failures_ms.end(),
                                    [&](std::int64_t t) { return now_ms - t < config_.window_ms; });
  const auto over = recent - config_.name_free_failures;
  if (over <= 0) return 0;
  // base * 2^(over-1), capped; the shift is bounded so it cannot overflow.
  const auto doublings = std::min<std::int64_t>(over - 1, 30);
  const auto delay = std::min(config_.name_delay_max_ms,
                              config_.name_delay_base_ms * (std::int64_t{1} << doublings));
  return std::max<std::int64_t>(0, entry.failures_ms.back() + delay - now_ms);
}

std::int64_t LoginRateLimiter::retry_after_locked(std::string_view user, std::string_view address,
                                                  std::int64_t now_ms) const {
  return std::max(address_remaining(address, now_ms), name_remaining(user, address, now_ms));
}

bool LoginRateLimiter::allowed(std::string_view user, std::string_view address,
                               std::int64_t now_ms) const {
  return retry_after_ms(user, address, now_ms) == 0;
}

std::int64_t LoginRateLimiter::retry_after_ms(std::string_view user, std::string_view address,
                                              std::int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  return retry_after_locked(user, address, now_ms);
}

std::int64_t LoginRateLimiter::begin_attempt(std::string_view user, std::string_view address,
                                             std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  const auto wait = retry_after_locked(user, address, now_ms);
  if (wait > 0) return wait;
  fail_address(address, now_ms);
  fail_name(user, now_ms);
  return 0;
}

bool LoginRateLimiter::stale(const Entry& entry, std::int64_t now_ms) const {
  return entry.locked_until_ms <= now_ms && entry.known_addresses.empty() &&
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

LoginRateLimiter::Entry& LoginRateLimiter::entry_for(Table& table, std::string_view text,
                                                     std::int64_t now_ms) {
  std::string key = make_key(text);
  auto it = table.find(key);
  if (it == table.end()) {
    make_room(table, now_ms);
    it = table.emplace(std::move(key), Entry{}).first;
  }
  it->second.last_activity_ms = now_ms;
  return it->second;
}

void LoginRateLimiter::fail_address(std::string_view address, std::int64_t now_ms) {
  Entry& entry = entry_for(by_address_, address, now_ms);
  // Failures reported while locked (e.g. racing requests) neither extend nor stack a lockout.
  if (entry.locked_until_ms > now_ms) return;
  std::erase_if(entry.failures_ms, [&](std::int64_t t) { return now_ms - t >= config_.window_ms; });
  entry.failures_ms.push_back(now_ms);
  if (static_cast<int>(entry.failures_ms.size()) >= config_.max_failures) {
    entry.locked_until_ms = now_ms + config_.lockout_ms;
    entry.failures_ms.clear();
  }
}

void LoginRateLimiter::fail_name(std::string_view user, std::int64_t now_ms) {
  Entry& entry = entry_for(by_user_, user, now_ms);
  std::erase_if(entry.failures_ms, [&](std::int64_t t) { return now_ms - t >= config_.window_ms; });
  entry.failures_ms.push_back(now_ms);
  if (entry.failures_ms.size() > kMaxFailuresKept)
    entry.failures_ms.erase(entry.failures_ms.begin());
}

void LoginRateLimiter::record_failure(std::string_view user, std::string_view address,
                                      std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  fail_address(address, now_ms);
  fail_name(user, now_ms);
}

void LoginRateLimiter::record_success(std::string_view user, std::string_view address) {
  std::lock_guard lock(mutex_);
  by_address_.erase(make_key(address));
  const auto it = by_user_.find(make_key(user));
  if (it == by_user_.end() && by_user_.size() >= config_.max_entries) return;
  Entry& entry = it != by_user_.end() ? it->second : by_user_[make_key(user)];
  entry.failures_ms.clear();
  auto& known = entry.known_addresses;
  const auto key = make_key(address);
  std::erase(known, key);
  known.push_back(key);  // most recent last
  if (known.size() > config_.known_addresses_per_name) known.erase(known.begin());
}

std::size_t LoginRateLimiter::tracked_entries() const {
  std::lock_guard lock(mutex_);
  return by_user_.size() + by_address_.size();
}

}  // namespace btms::security
