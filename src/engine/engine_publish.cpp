// Estimation and publication: the derived snapshot of one step (battery, string, UPS and site
// channels of model/derived_channels.hpp) and the alarm outputs. A derived value is never
// better than its inputs: it carries the worst quality of what it was computed from.
#include <algorithm>
#include <limits>

#include "engine/engine.hpp"
#include "engine/engine_impl.hpp"

namespace btms::engine {

using model::Quality;

namespace {

void put(model::Snapshot& d, model::ChannelId id, double v, std::int64_t now_ms,
         Quality q = Quality::ok) {
  d.samples[id] = {v, now_ms, q};
}

}  // namespace

void Engine::Impl::publish_batteries(StringCtx& ctx, model::Snapshot& derived,
                                     std::int64_t now_ms) {
  const auto brows = battery_rule_table();
  const auto& facts = ctx.facts->values();
  const bool runaway = board.slot(ctx.runaway_slot).rule.is_active();
  const auto soc_quality = ctx.step.quality[kFactStringSoc];
  bool any_alarm = false, any_comm_lost = false, any_soh_low = false;
  for (std::size_t k = 0; k < facts.size(); ++k) {
    const auto& f = facts[k];
    const auto& d = ctx.out->batteries[k];
    bool alarm_level = false;
    std::uint16_t bits = board.bits(ctx.first_battery_slot + k * brows.size(), brows, alarm_level);
    // Batteries hot and rising while their string's runaway rule is active are part of it.
    if (runaway && f.hot_and_rising) bits |= model::kBatteryThermalRunaway;
    any_comm_lost = any_comm_lost || (bits & model::kBatteryCommLost) != 0;
    any_soh_low = any_soh_low || (bits & model::kBatterySohLow) != 0;
    any_alarm = any_alarm || bits != 0;
    auto status = alarm_level ? model::DeviceStatus::error : model::DeviceStatus::ok;
    // Not yet known is no error: the resistance baseline is still being learned.
    if (!alarm_level && !f.baseline_mOhm) status = model::DeviceStatus::initializing;
    put(derived, d.alarm_bits, bits, now_ms, f.input_quality);
    put(derived, d.status, static_cast<double>(status), now_ms, f.input_quality);
    put(derived, d.soc, ctx.estimator->soc_pct(), now_ms, worse(soc_quality, f.input_quality));
    if (f.baseline_mOhm) put(derived, d.resistance_baseline, *f.baseline_mOhm, now_ms);
    if (f.soh_pct) put(derived, d.soh, *f.soh_pct, now_ms);
    put(derived, d.balancing_command, ctx.balancing_on[k] ? 1.0 : 0.0, now_ms);
  }
  std::uint16_t extra = 0;
  if (any_alarm) extra |= model::kStringBatteryAlarm;
  if (any_comm_lost) extra |= model::kStringCommLost;
  if (any_soh_low) extra |= model::kStringSohLow;
  ctx.step.battery_bits = extra;
}

void Engine::Impl::publish_string(StringCtx& ctx, model::Snapshot& derived, std::int64_t now_ms) {
  publish_batteries(ctx, derived, now_ms);
  const auto& o = *ctx.out;
  bool alarm_level = (ctx.step.battery_bits & model::kStringBatteryAlarm) != 0;
  const std::uint16_t bits =
      board.bits(ctx.first_string_slot, string_rule_table(), alarm_level) | ctx.step.battery_bits;
  // The string's own values come from its current and voltage sensors.
  const Quality sensors = ctx.cfg->hs_address != 0 ? ctx.step.current_quality : Quality::ok;
  put(derived, o.soc, ctx.estimator->soc_pct(), now_ms, ctx.step.quality[kFactStringSoc]);
  put(derived, o.state, static_cast<double>(ctx.step.state), now_ms, sensors);
  put(derived, o.status,
      static_cast<double>(alarm_level ? model::DeviceStatus::error : model::DeviceStatus::ok),
      now_ms, sensors);
  put(derived, o.alarm_bits, bits, now_ms, sensors);
  const auto stats = voltage_stats(ctx.volts);
  if (stats.count > 0) {
    put(derived, o.balance, balance_index_pct(stats.stddev_V, ctx.type->cells), now_ms);
    put(derived, o.spread, stats.spread_V, now_ms);
    put(derived, o.stddev, stats.stddev_V, now_ms);
    put(derived, o.lowest_voltage, stats.min_V, now_ms);
    put(derived, o.lowest_voltage_battery, stats.min_position, now_ms);
    put(derived, o.highest_voltage, stats.max_V, now_ms);
    put(derived, o.highest_voltage_battery, stats.max_position, now_ms);
  }
  put(derived, o.protection, static_cast<double>(ctx.protection->state()), now_ms);
  if (ctx.step.feedback_closed)
    put(derived, o.relay_closed, *ctx.step.feedback_closed ? 1.0 : 0.0, now_ms);
  const auto temps = voltage_stats(ctx.temps);
  if (temps.count > 0) {
    put(derived, o.highest_temperature, temps.max_V, now_ms);
    put(derived, o.highest_temperature_battery, temps.max_position, now_ms);
  }
  if (const auto rt = ctx.estimator->runtime_min(temps.count > 0 ? temps.mean_V : 25.0))
    put(derived, o.runtime, *rt, now_ms, sensors);
}

// UPS: its strings in parallel. Runtime: the load shared by the connected strings, each
// delivering its remaining charge at that rate (model/battery_rating.hpp):
// Σ SOC_j × capacity_at_rate(I / n) / I.
void Engine::Impl::publish_upses(model::Snapshot& derived, std::int64_t now_ms) {
  for (const auto& u : derived_ids.upses) {
    double v_sum = 0.0, i_sum = 0.0, soc_sum = 0.0, i_dis = 0.0;
    int v_n = 0, n_str = 0, i_n = 0, connected = 0;
    bool error = false, on_battery = false, disconnected = false;
    Quality q = Quality::ok;
    for (const auto& ctx : strings) {
      if (ctx.cfg->ups_id != u.ups_id) continue;
      ++n_str;
      if (derived.samples[ctx.out->status].value == static_cast<double>(model::DeviceStatus::error))
        error = true;
      const auto st = ctx.step.state;
      if (st == model::StringState::discharge) on_battery = true;
      if (st == model::StringState::disconnected)
        disconnected = true;
      else
        ++connected;
      if (ctx.step.voltage_V) {
        v_sum += *ctx.step.voltage_V;
        ++v_n;
      }
      if (ctx.step.current_A) {
        i_sum += *ctx.step.current_A;
        ++i_n;
      }
      soc_sum += ctx.estimator->soc_pct();
      q = worse(q, ctx.step.quality[kFactStringSoc]);
      if (const auto id = ctx.estimator->discharge_current_A()) i_dis += *id;
    }
    if (n_str == 0) continue;
    std::uint16_t bits = 0;
    put(derived, u.status,
        static_cast<double>(error ? model::DeviceStatus::error : model::DeviceStatus::ok), now_ms);
    if (v_n > 0) put(derived, u.voltage, v_sum / v_n, now_ms);
    if (i_n > 0) put(derived, u.current, i_sum, now_ms);
    put(derived, u.soc, soc_sum / n_str, now_ms, q);
    if (on_battery && i_dis > 0.0 && connected > 0) {
      const double share_A = i_dis / connected;
      double runtime_min = 0.0;
      for (const auto& ctx : strings) {
        if (ctx.cfg->ups_id != u.ups_id || ctx.step.state == model::StringState::disconnected)
          continue;
        const auto temps = voltage_stats(ctx.temps);
        // This string's share of the load for as long as it lasts at that rate, weighted by
        // its share of the current: Σ_j t_j(share) × share / I.
        runtime_min += runtime_at_rate_min(*ctx.type, share_A, temps.count ? temps.mean_V : 25.0,
                                           ctx.estimator->soc_pct(), 1.0) *
                       share_A / i_dis;
      }
      put(derived, u.runtime, runtime_min, now_ms, q);
      if (runtime_min < config.runtime_low_min) bits |= model::kUpsRuntimeLow;
    }
    if (on_battery) bits |= model::kUpsOnBattery;
    if (error) bits |= model::kUpsStringError;
    if (disconnected) bits |= model::kUpsStringDisconnected;
    put(derived, u.alarm_bits, bits, now_ms);
    put(derived, u.on_battery, on_battery ? 1.0 : 0.0, now_ms);
  }
}

void Engine::Impl::publish_site(model::Snapshot& derived, std::int64_t now_ms, EngineOutput& out) {
  const auto summary = board.summary();
  put(derived, derived_ids.site_active_alarms, summary.active, now_ms);
  put(derived, derived_ids.site_unacknowledged_alarms, summary.unacknowledged, now_ms);
  bool any_tripped = false;
  for (const auto& ctx : strings) {
    if (ctx.protection->state() == model::ProtectionState::tripped) any_tripped = true;
  }
  outputs.step(config.alarm_outputs, summary, any_tripped, out.commands);
}

}  // namespace btms::engine
