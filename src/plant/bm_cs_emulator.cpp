#include "plant/bm_cs_emulator.hpp"

#include <algorithm>

namespace btms::plant {

namespace dev = btms::devices;

namespace {
std::uint32_t cs_serial(int string_id, int position) {
  return 10'000'000u + static_cast<std::uint32_t>(string_id) * 1000u +
         static_cast<std::uint32_t>(position);
}
}  // namespace

BmCsEmulator::BmCsEmulator(int address, int string_id, int position)
    : DeviceEmulator(dev::DeviceType::bm_cs, address, cs_serial(string_id, position)),
      string_id_(string_id),
      position_(position),
      status_(map().reg("status")),
      voltage_(map().reg("voltage")),
      temperature_(map().reg("temperature")),
      resistance_(map().reg("resistance")),
      balance_current_(map().reg("balance_current")),
      resistance_age_(map().reg("resistance_age")) {
  set_holding(dev::bm_cs::kBalanceTimeout, kDefaultBalanceTimeout_s);
  put(status_, 0);
}

void BmCsEmulator::latch(DeviceContext& ctx) {
  const BatteryState& b = ctx.model.battery(string_id_, position_);
  // ±0.2 % accuracy; encode() rounds to the 1 mV register resolution.
  put(voltage_, b.voltage_V * (1.0 + noise(ctx, 0.002)));
  put(temperature_, b.temperature_C + noise(ctx, 0.1));
  if (resistance_test_s_ >= 0.0) {
    put(resistance_, resistance_mOhm_);
    put(resistance_age_, std::min(ctx.sim_time_s - resistance_test_s_, 65534.0));
  } else {
    put_not_available(resistance_);
    put_not_available(resistance_age_);
  }
  put(balance_current_, b.balance_current_A * 1000.0);
  sampled_ = true;
  refresh_status();
}

void BmCsEmulator::refresh_status() {
  std::uint16_t status = sampled_ ? dev::bm_cs::kStatusValid : 0;
  if (balancing_) status |= dev::bm_cs::kStatusBalancing;
  if (balance_timed_out_) status |= dev::bm_cs::kStatusBalanceTimeout;
  put(status_, status);
}

void BmCsEmulator::measure_resistance(DeviceContext& ctx) {
  const double true_mOhm = ctx.model.battery(string_id_, position_).resistance_mOhm;
  // ±(1.5 % + 25 µΩ), the datasheet accuracy.
  resistance_mOhm_ = std::max(0.0, true_mOhm + noise(ctx, 0.015 * true_mOhm + 0.025));
  resistance_test_s_ = ctx.sim_time_s;
}

void BmCsEmulator::set_balancing(DeviceContext& ctx, bool on) {
  balancing_ = on;
  ctx.model.set_balancing(string_id_, position_, on);
  set_holding(dev::bm_cs::kBalanceCommand, on ? 1 : 0);
  refresh_status();  // the balancing bits report the switch itself, not a latched measurement
}

void BmCsEmulator::on_write(std::uint16_t address, std::uint16_t value, DeviceContext& ctx) {
  if (address == dev::bm_cs::kBalanceCommand) {
    const bool on = value != 0;
    if (on) {
      balance_timed_out_ = false;
      balance_command_s_ = ctx.sim_time_s;
    }
    set_balancing(ctx, on);
  } else if (address == dev::bm_cs::kResistanceTestRequest) {
    set_holding(address, 0);  // command register
    if (value == 1) measure_resistance(ctx);
  }
}

void BmCsEmulator::on_tick(DeviceContext& ctx) {
  // The first test runs at power-on so a fresh plant reports resistances at once.
  if (resistance_test_s_ < 0.0 || ctx.sim_time_s - resistance_test_s_ >= kResistanceTestPeriod_s) {
    measure_resistance(ctx);
  }
  if (balancing_) {
    // 0 would mean "never stop": a safety timeout must not be disabled, so it falls back.
    std::uint16_t timeout_s = holding(dev::bm_cs::kBalanceTimeout);
    if (timeout_s == 0) timeout_s = kDefaultBalanceTimeout_s;
    if (ctx.sim_time_s - balance_command_s_ >= timeout_s) {
      balance_timed_out_ = true;
      set_balancing(ctx, false);
    }
  }
}

}  // namespace btms::plant
