#include "fieldbus/quality.hpp"

#include <algorithm>

namespace btms::fieldbus {

Range battery_voltage_range(double nominal_voltage_V) {
  return Range{0.0, 20.0 * nominal_voltage_V / 12.0};
}

Range current_range(double range_A) {
  return Range{-1.1 * range_A, 1.1 * range_A};
}

model::Quality classify(std::optional<double> value, bool device_valid, Range range) {
  if (!device_valid || !value || !range.contains(*value)) return model::Quality::invalid;
  return model::Quality::ok;
}

void DeviceHealth::on_success(std::uint64_t cycle, std::uint16_t sample_counter) {
  consecutive_failures_ = 0;
  backoff_cycles_ = 0;
  next_poll_cycle_ = cycle + 1;
  if (!last_counter_ || *last_counter_ != sample_counter) last_renewed_cycle_ = cycle;
  last_counter_ = sample_counter;
}

void DeviceHealth::on_failure(std::uint64_t cycle) {
  ++consecutive_failures_;
  if (comm_lost()) {
    // Exponential back-off so a dead device costs one timeout every few cycles, not every cycle.
    backoff_cycles_ = std::clamp(backoff_cycles_ * 2, 1, policy_.max_backoff_cycles);
    next_poll_cycle_ = cycle + static_cast<std::uint64_t>(backoff_cycles_) + 1;
  } else {
    next_poll_cycle_ = cycle + 1;
  }
}

bool DeviceHealth::stale(std::uint64_t cycle) const {
  if (!last_counter_) return false;  // never read: comm_lost covers it
  return cycle - last_renewed_cycle_ >= static_cast<std::uint64_t>(policy_.stale_cycles);
}

model::Quality DeviceHealth::effective(model::Quality measured, std::uint64_t cycle) const {
  if (comm_lost() || !ever_read()) return model::Quality::comm_lost;
  if (measured == model::Quality::ok && stale(cycle)) return model::Quality::stale;
  return measured;
}

}  // namespace btms::fieldbus
