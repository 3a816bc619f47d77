// One emulated field device: its input and holding register images, laid out only from the
// register map in devices/register_map.hpp, and the behaviour shared by every device type
// (identity block, "sample now", periodic self-sampling, sample counter).
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "devices/register_map.hpp"
#include "plant/physics/plant_model.hpp"

namespace btms::plant {

// What a device sees of the world while it is being driven (always under the plant's lock).
struct DeviceContext {
  PlantModel& model;
  double sim_time_s = 0.0;   // device-internal clocks (balancing, resistance tests) run on this
  double wall_time_s = 0.0;  // communication supervision (watchdog) runs on wall-clock time
  std::mt19937_64& rng;
};

// Modbus exception codes the emulators return (0 = no exception).
inline constexpr std::uint8_t kExceptionNone = 0;
inline constexpr std::uint8_t kExceptionIllegalFunction = 1;
inline constexpr std::uint8_t kExceptionIllegalAddress = 2;
inline constexpr std::uint8_t kExceptionIllegalValue = 3;

class DeviceEmulator {
 public:
  static constexpr std::size_t kImageSize = 256;      // covers every mapped address (max 240)
  static constexpr double kSelfSamplePeriod_s = 1.0;  // devices latch on their own this often

  DeviceEmulator(devices::DeviceType type, int address, std::uint32_t serial);
  virtual ~DeviceEmulator() = default;
  DeviceEmulator(const DeviceEmulator&) = delete;
  DeviceEmulator& operator=(const DeviceEmulator&) = delete;

  devices::DeviceType type() const { return map_.type; }
  int address() const { return address_; }
  std::uint16_t sample_counter() const { return sample_counter_; }

  // Register access as a Modbus server performs it; returns an exception code.
  std::uint8_t read_input(std::uint16_t start, std::uint16_t count,
                          std::vector<std::uint16_t>& out) const;
  std::uint8_t read_holding(std::uint16_t start, std::uint16_t count,
                            std::vector<std::uint16_t>& out) const;
  std::uint8_t write_holding(std::uint16_t start, std::span<const std::uint16_t> values,
                             DeviceContext& ctx);

  // Called on every simulation step: self-sampling plus the device's own timers.
  void tick(DeviceContext& ctx);
  // Latches every measurement from the model now and counts the sample.
  void sample(DeviceContext& ctx);

 protected:
  // Fills the input registers from the model (sample counter handled by the base).
  virtual void latch(DeviceContext& ctx) = 0;
  // A holding register was written (already stored in the image).
  virtual void on_write(std::uint16_t /*address*/, std::uint16_t /*value*/,
                        DeviceContext& /*ctx*/) {}
  virtual void on_tick(DeviceContext& /*ctx*/) {}

  void put(const devices::RegisterDef& def, double value);
  void put_not_available(const devices::RegisterDef& def);
  void put_raw(std::uint16_t input_address, std::uint16_t value) { input_[input_address] = value; }
  std::uint16_t holding(std::uint16_t address) const { return holding_[address]; }
  void set_holding(std::uint16_t address, std::uint16_t value) { holding_[address] = value; }
  const devices::DeviceMap& map() const { return map_; }

  // Uniform noise in [-1, 1] times `amplitude`.
  static double noise(DeviceContext& ctx, double amplitude);

 private:
  const devices::DeviceMap& map_;
  int address_;
  const devices::RegisterDef& sample_counter_def_;
  std::array<std::uint16_t, kImageSize> input_{};
  std::array<std::uint16_t, kImageSize> holding_{};
  std::array<bool, kImageSize> input_valid_{};
  std::array<bool, kImageSize> holding_valid_{};
  std::array<bool, kImageSize> holding_writable_{};
  std::uint16_t sample_counter_ = 0;
  double last_sample_s_ = -1.0e9;
};

}  // namespace btms::plant
