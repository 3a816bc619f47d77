#include "notify/notify_settings.hpp"

namespace btms::notify {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kDayMin = 24 * 60;

// Minute of the local day (0..1439) of a Unix time.
int local_minute(std::int64_t time_ms, int utc_offset_min) {
  const std::int64_t minutes = time_ms / kMinuteMs + utc_offset_min;
  return static_cast<int>(((minutes % kDayMin) + kDayMin) % kDayMin);
}

bool minute_inside(int minute, int start, int end) {
  return start < end ? (minute >= start && minute < end) : (minute >= start || minute < end);
}

}  // namespace

bool QuietHours::contains(std::int64_t time_ms) const {
  return enabled() && minute_inside(local_minute(time_ms, utc_offset_min), start_min, end_min);
}

std::int64_t QuietHours::end_after(std::int64_t time_ms) const {
  if (!contains(time_ms)) return time_ms;
  const int minute = local_minute(time_ms, utc_offset_min);
  const int to_end = static_cast<int>(((end_min - minute) % kDayMin + kDayMin) % kDayMin);
  // Start of the current minute, then forward to the end minute.
  const std::int64_t minute_start = time_ms - (((time_ms % kMinuteMs) + kMinuteMs) % kMinuteMs);
  return minute_start + to_end * kMinuteMs;
}

}  // namespace btms::notify
