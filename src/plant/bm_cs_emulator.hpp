// BM-CS battery sensor: voltage, temperature, online internal-resistance test, bypass balancing
// with a safety timeout.
#pragma once

#include "plant/device_emulator.hpp"

namespace btms::plant {

class BmCsEmulator : public DeviceEmulator {
 public:
  static constexpr double kResistanceTestPeriod_s = 300.0;
  static constexpr std::uint16_t kDefaultBalanceTimeout_s = 600;

  BmCsEmulator(int address, int string_id, int position);

  int string_id() const { return string_id_; }
  int position() const { return position_; }

 protected:
  void latch(DeviceContext& ctx) override;
  void on_write(std::uint16_t address, std::uint16_t value, DeviceContext& ctx) override;
  void on_tick(DeviceContext& ctx) override;

 private:
  void measure_resistance(DeviceContext& ctx);
  void set_balancing(DeviceContext& ctx, bool on);
  void refresh_status();

  int string_id_;
  int position_;
  const devices::RegisterDef& status_;
  const devices::RegisterDef& voltage_;
  const devices::RegisterDef& temperature_;
  const devices::RegisterDef& resistance_;
  const devices::RegisterDef& balance_current_;
  const devices::RegisterDef& resistance_age_;
  bool sampled_ = false;
  bool balancing_ = false;
  bool balance_timed_out_ = false;
  double balance_command_s_ = 0.0;
  double resistance_mOhm_ = 0.0;
  double resistance_test_s_ = -1.0;  // < 0: no test yet
};

}  // namespace btms::plant
