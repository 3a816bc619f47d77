#include "hmi/pin_throttle.hpp"

#include <algorithm>

namespace btms::hmi {

std::int64_t PinThrottle::wait_ms(std::int64_t now_ms) const {
  return std::max<std::int64_t>(0, locked_until_ms_ - now_ms);
}

void PinThrottle::wrong(std::int64_t now_ms) {
  ++failures_;
  if (failures_ < kFreeAttempts) return;
  // 3rd wrong PIN: 30 s, 4th: 60 s, 5th: 120 s ... at most 15 min.
  std::int64_t lockout_ms = kFirstLockout_ms;
  for (int i = kFreeAttempts; i < failures_ && lockout_ms < kMaxLockout_ms; ++i) lockout_ms *= 2;
  locked_until_ms_ = now_ms + std::min(lockout_ms, kMaxLockout_ms);
}

}  // namespace btms::hmi
