// Wrong PINs at the display are throttled so a passer-by cannot try the 10,000 four-digit PINs:
// the first kFreeAttempts wrong PINs in a row cost nothing, then each further one locks the
// keypad for a time that doubles from kFirstLockout_ms up to kMaxLockout_ms. A right PIN clears
// the count. Pure (the caller gives "now" from its clock), so every step is tested as a table.
#pragma once

#include <cstddef>
#include <cstdint>

namespace btms::hmi {

// 4 to 12 digits: what a panel keypad can type and a person can remember.
inline constexpr std::size_t kMinPinDigits = 4;
inline constexpr std::size_t kMaxPinDigits = 12;

class PinThrottle {
 public:
  static constexpr int kFreeAttempts = 3;
  static constexpr std::int64_t kFirstLockout_ms = 30'000;
  static constexpr std::int64_t kMaxLockout_ms = 15 * 60'000;

  // 0 when a PIN may be tried now; otherwise how long until it may.
  std::int64_t wait_ms(std::int64_t now_ms) const;
  // A wrong PIN at now_ms (the caller checked wait_ms first).
  void wrong(std::int64_t now_ms);
  void right() { failures_ = 0, locked_until_ms_ = 0; }
  int failures() const { return failures_; }
  // Wrong PINs left before the next lockout (0 once locking).
  int free_attempts_left() const {
    return failures_ < kFreeAttempts ? kFreeAttempts - failures_ : 0;
  }

 private:
  int failures_ = 0;
  std::int64_t locked_until_ms_ = 0;
};

}  // namespace btms::hmi
