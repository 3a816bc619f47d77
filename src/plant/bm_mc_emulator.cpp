#include "plant/bm_mc_emulator.hpp"

namespace btms::plant {

namespace dev = btms::devices;
namespace mc = btms::devices::bm_mc;

namespace {
std::uint16_t with_bit(std::uint16_t word, int index, bool on) {
  const auto mask = static_cast<std::uint16_t>(1u << (index - 1));
  return on ? static_cast<std::uint16_t>(word | mask) : static_cast<std::uint16_t>(word & ~mask);
}
}  // namespace

BmMcEmulator::BmMcEmulator(const model::Site& site)
    : DeviceEmulator(dev::DeviceType::bm_mc, site.mc.address, 40'000'001u),
      th_(site.mc.th),
      lc_count_(site.mc.lc_count) {
  // Normally-closed contacts (active_high = false) rest at level 1.
  for (const auto& in : site.mc.inputs) {
    if (!in.active_high && in.point.lc >= 0 && in.point.lc < kModules) {
      input_levels_[in.point.lc] = with_bit(input_levels_[in.point.lc], in.point.index, true);
    }
  }
  // The plant starts in service: the disconnect relays are energized (strings connected), and
  // their safe state keeps them energized, because dropping the batteries from the UPS when the
  // gateway goes silent would be the unsafe choice.
  std::array<std::uint16_t, kModules> initial{};
  for (const auto& s : site.strings) {
    strings_.push_back({s.id, s.disconnect_relay, s.relay_feedback});
    if (s.disconnect_relay && s.disconnect_relay->lc >= 0 && s.disconnect_relay->lc < kModules) {
      auto& word = initial[s.disconnect_relay->lc];
      word = with_bit(word, s.disconnect_relay->index, true);
    }
  }
  set_holding(mc::kRelayCommand, initial[0]);
  set_holding(mc::kRelaySafeState, initial[0]);
  for (int j = 1; j <= model::kMaxLcPerMc; ++j) {
    set_holding(mc::lc_command(j), initial[j]);
    set_holding(mc::lc_safe_state(j), initial[j]);
  }
  set_holding(mc::kWatchdogTimeout, static_cast<std::uint16_t>(site.mc.watchdog_timeout_s));
  outputs_ = initial;
  put_raw(mc::kRelayState, outputs_[0]);
}

void BmMcEmulator::set_input(const model::IoPoint& point, bool level) {
  if (point.lc < 0 || point.lc >= kModules || point.index < 1 || point.index > 16) return;
  input_levels_[point.lc] = with_bit(input_levels_[point.lc], point.index, level);
}

std::uint16_t BmMcEmulator::commanded(int module) const {
  return module == 0 ? holding(mc::kRelayCommand) : holding(mc::lc_command(module));
}

std::uint16_t BmMcEmulator::safe_state(int module) const {
  return module == 0 ? holding(mc::kRelaySafeState) : holding(mc::lc_safe_state(module));
}

void BmMcEmulator::apply_outputs(DeviceContext& ctx, bool force) {
  std::array<std::uint16_t, kModules> next{};
  for (int m = 0; m < kModules; ++m) next[m] = tripped_ ? safe_state(m) : commanded(m);
  for (const auto& s : strings_) {
    if (!s.relay) continue;
    const bool was = bit(outputs_[s.relay->lc], s.relay->index);
    const bool now = bit(next[s.relay->lc], s.relay->index);
    if (force || was != now) ctx.model.set_contactor(s.string_id, now);
  }
  outputs_ = next;
  outputs_applied_ = true;
  // Outputs are reported as they are at once: relay_state is what the contacts do now.
  put_raw(mc::kRelayState, outputs_[0]);
  for (int j = 1; j <= lc_count_; ++j) put_raw(mc::lc_outputs(j), outputs_[j]);
}

void BmMcEmulator::refresh_inputs(DeviceContext& ctx) {
  auto levels = input_levels_;
  // The feedback contact follows the real contactor, welded or not.
  for (const auto& s : strings_) {
    if (!s.feedback || s.feedback->lc < 0 || s.feedback->lc >= kModules) continue;
    levels[s.feedback->lc] = with_bit(levels[s.feedback->lc], s.feedback->index,
                                      ctx.model.string(s.string_id).contactor_closed);
  }
  put_raw(mc::kInputs, levels[0]);
  for (int j = 1; j <= model::kMaxLcPerMc; ++j) {
    put_raw(mc::lc_inputs(j), j <= lc_count_ ? levels[j] : 0);
  }
}

void BmMcEmulator::latch(DeviceContext& ctx) {
  refresh_inputs(ctx);
  put_raw(mc::kThCount, static_cast<std::uint16_t>(th_.size()));
  put_raw(mc::kLcCount, static_cast<std::uint16_t>(lc_count_));
  for (const auto& th : th_) {
    if (th.index < 1 || th.index > model::kMaxThPerMc) continue;
    put(map().reg("th[" + std::to_string(th.index) + "].temperature"),
        ctx.model.ambient_temperature_C(th.index) + noise(ctx, 0.2));
    put(map().reg("th[" + std::to_string(th.index) + "].humidity"),
        ctx.model.ambient_humidity_pct(th.index) + noise(ctx, 1.0));
  }
  latch_status();
}

void BmMcEmulator::on_write(std::uint16_t address, std::uint16_t value, DeviceContext& ctx) {
  if (address == mc::kHeartbeat) {
    // Any write counts only if the value changed: a stuck master repeating itself is not alive.
    if (!heartbeat_seen_ || value != last_heartbeat_value_) {
      heartbeat_seen_ = true;
      last_heartbeat_value_ = value;
      last_heartbeat_wall_s_ = ctx.wall_time_s;
    }
  } else if (address == mc::kWatchdogReset) {
    set_holding(address, 0);  // command register
    if (value == 1) {
      tripped_ = false;
      last_heartbeat_wall_s_ = ctx.wall_time_s;
    }
  }
  apply_outputs(ctx, false);
  latch_status();
}

void BmMcEmulator::latch_status() {
  std::uint16_t status = 0;
  if (tripped_) status |= mc::kStatusWatchdogTripped;
  if (heartbeat_seen_) status |= mc::kStatusHeartbeatSeen;
  put_raw(mc::kStatus, status);
}

void BmMcEmulator::on_tick(DeviceContext& ctx) {
  if (!last_heartbeat_wall_s_) last_heartbeat_wall_s_ = ctx.wall_time_s;  // power-on
  const std::uint16_t timeout_s = holding(mc::kWatchdogTimeout);
  if (!tripped_ && timeout_s > 0 && ctx.wall_time_s - *last_heartbeat_wall_s_ >= timeout_s) {
    tripped_ = true;
    latch_status();
  }
  apply_outputs(ctx, !outputs_applied_);
  refresh_inputs(ctx);
}

}  // namespace btms::plant
