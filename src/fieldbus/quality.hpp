// Quality of acquired values (DESIGN.md: ok / stale / comm_lost / invalid). Pure logic, no I/O:
// the range a sensor can really measure, and the per-device health that turns missed reads into
// comm_lost, unchanged sample counters into stale, and a dead device into a backed-off probe.
#pragma once

#include <cstdint>
#include <optional>

#include "model/snapshot.hpp"

namespace btms::fieldbus {

struct Range {
  double min = 0.0;
  double max = 0.0;
  bool contains(double value) const { return value >= min && value <= max; }
};

// Ranges from ANCHORS.md (sensor data sheets). A value outside its range is a sensor or wiring
// fault, never a measurement.
Range battery_voltage_range(double nominal_voltage_V);  // 0..20 V for a 12 V block, scaled
inline constexpr Range kBatteryTemperatureRange{-20.0, 85.0};
inline constexpr Range kResistanceRange{0.1, 50.0};  // 0 = not measured yet -> invalid
inline constexpr Range kStringVoltageRange{0.0, 1000.0};
inline constexpr Range kAmbientTemperatureRange{-40.0, 80.0};
inline constexpr Range kHumidityRange{0.0, 100.0};
inline constexpr Range kInsulationRange{0.0, 4.0e9};
Range current_range(double range_A);  // ±range * 1.1

// Quality of a value just read: invalid when the device flags its measurement as bad, when the
// register holds the not-available marker (nullopt) or when it is outside the sensor's range.
model::Quality classify(std::optional<double> value, bool device_valid, Range range);

struct QualityPolicy {
  int lost_after_failures = 2;  // K consecutive failed reads -> comm_lost
  int stale_cycles = 3;         // not renewed for this many cycles -> stale
  int max_backoff_cycles = 8;   // a dead device is probed at least this often
};

// Health of one device across poll cycles. Cycle numbers are the bus worker's own counter.
class DeviceHealth {
 public:
  explicit DeviceHealth(QualityPolicy policy = {}) : policy_(policy) {}

  // Whether the device should be polled in this cycle (false while it is backed off).
  bool due(std::uint64_t cycle) const { return cycle >= next_poll_cycle_; }
  // A successful read. sample_counter: the device's latch counter; an unchanged counter means
  // the values were not renewed.
  void on_success(std::uint64_t cycle, std::uint16_t sample_counter);
  void on_failure(std::uint64_t cycle);

  bool comm_lost() const { return consecutive_failures_ >= policy_.lost_after_failures; }
  bool stale(std::uint64_t cycle) const;
  bool ever_read() const { return last_counter_.has_value(); }
  int consecutive_failures() const { return consecutive_failures_; }
  int backoff_cycles() const { return backoff_cycles_; }

  // Quality to publish for a value whose own reading was `measured`: comm_lost and stale
  // override ok (a value that was not renewed is never shown as fresh).
  model::Quality effective(model::Quality measured, std::uint64_t cycle) const;

 private:
  QualityPolicy policy_;
  int consecutive_failures_ = 0;
  int backoff_cycles_ = 0;
  std::uint64_t next_poll_cycle_ = 0;
  std::uint64_t last_renewed_cycle_ = 0;
  std::optional<std::uint16_t> last_counter_;
};

}  // namespace btms::fieldbus
