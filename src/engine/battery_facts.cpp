#include "engine/battery_facts.hpp"

#include <algorithm>
#include <cmath>

namespace btms::engine {

using model::Quality;

namespace {

std::optional<double> good(const model::Sample& s) {
  if (s.quality != Quality::ok || !std::isfinite(s.value)) return std::nullopt;
  return s.value;
}

int badness(Quality q) {
  switch (q) {
    case Quality::ok:
      return 0;
    case Quality::stale:
      return 1;
    case Quality::invalid:
      return 2;
    case Quality::comm_lost:
      return 3;
  }
  return 3;
}

void set_fact(BatteryFactValues& v, BatteryFact fact, std::optional<double> value,
              Quality when_missing) {
  v.value[fact] = value;
  v.quality[fact] = value ? Quality::ok : when_missing;
}

}  // namespace

Quality worse(Quality a, Quality b) {
  return badness(a) >= badness(b) ? a : b;
}

BatteryFacts::BatteryFacts(int batteries)
    : trackers_(static_cast<std::size_t>(batteries)), values_(static_cast<std::size_t>(batteries)) {
  scratch_C_.reserve(static_cast<std::size_t>(batteries));
}

void BatteryFacts::reset_baseline(int position) {
  for (std::size_t k = 0; k < trackers_.size(); ++k) {
    if (position != 0 && static_cast<std::size_t>(position) != k + 1) continue;
    auto& t = trackers_[k];
    t.baseline_sum_mOhm = 0.0;
    t.baseline_count = 0;
    t.baseline_mOhm.reset();
  }
}

// The runaway reference: the string's ambient sensor, else the median of its batteries (a
// single hot block stands out against the median; the coolest would flag a warm string).
std::optional<double> BatteryFacts::reference_C(std::optional<double> ambient_C) {
  if (ambient_C) return ambient_C;
  scratch_C_.clear();
  for (const auto& v : values_) {
    if (v.temperature_C) scratch_C_.push_back(*v.temperature_C);
  }
  if (scratch_C_.empty()) return std::nullopt;
  const auto mid = scratch_C_.begin() + static_cast<std::ptrdiff_t>(scratch_C_.size() / 2);
  std::nth_element(scratch_C_.begin(), mid, scratch_C_.end());
  return *mid;
}

void BatteryFacts::update(std::span<const BatteryReading> readings,
                          const BatteryFactsContext& context, const LimitSet& limits,
                          const model::BatteryType& type, std::int64_t now_ms) {
  const double cells = type.cells;
  const std::size_t n = std::min(readings.size(), values_.size());
  for (std::size_t k = 0; k < n; ++k) {
    const auto& r = readings[k];
    auto& v = values_[k];
    v.voltage_V = good(r.voltage);
    v.temperature_C = good(r.temperature);
    v.input_quality = worse(worse(r.voltage.quality, r.temperature.quality), r.resistance.quality);
    // Resistance first: a new reading (a test) opens the float suppression window.
    resistance_facts(k, r, limits.battery, type, context.measured_capacity_pct, now_ms);
    voltage_facts(k, r, context, limits.battery, cells, now_ms);
    set_fact(v, kFactTemperature, v.temperature_C, r.temperature.quality);
    const bool comm = r.voltage.quality == Quality::comm_lost ||
                      r.temperature.quality == Quality::comm_lost ||
                      r.resistance.quality == Quality::comm_lost;
    set_fact(v, kFactBatteryCommLost, comm ? 1.0 : 0.0, Quality::ok);
  }
  const auto reference = reference_C(context.ambient_C);
  for (std::size_t k = 0; k < n; ++k) temperature_facts(k, reference, context, limits, now_ms);
}

void BatteryFacts::voltage_facts(std::size_t k, const BatteryReading& r,
                                 const BatteryFactsContext& context, const BatteryLimits& bl,
                                 double cells, std::int64_t now_ms) {
  auto& v = values_[k];
  auto& t = trackers_[k];
  // Temperature compensation: the reading expressed at 25 °C (no temperature: as read).
  std::optional<double> v25 = v.voltage_V;
  if (v25 && v.temperature_C)
    *v25 -= bl.temp_comp_per_cell_V_per_C * cells * (*v.temperature_C - 25.0);
  v.float_suppressed = now_ms < t.suppressed_until_ms;
  const Quality missing = v25 ? Quality::invalid : r.voltage.quality;
  // Inside a window only what is far outside the float band is judged: a test pulls a block
  // down by tenths of a volt, never below the open-circuit voltage of a discharged block.
  // Suppressed readings are fed as unusable, so nothing counted before carries over.
  const bool far_high = v25 && *v25 > bl.voltage_always_high_per_cell_V * cells;
  const bool far_low = v25 && *v25 < bl.voltage_always_low_per_cell_V * cells;
  set_fact(v, kFactVoltageForHigh, (!v.float_suppressed || far_high) ? v25 : std::nullopt, missing);
  const bool low_judged =
      !context.discharge_suppressed && (!(v.float_suppressed || context.resting) || far_low);
  set_fact(v, kFactVoltageForLow, low_judged ? v25 : std::nullopt, missing);
}

void BatteryFacts::resistance_facts(std::size_t k, const BatteryReading& r, const BatteryLimits& bl,
                                    const model::BatteryType& type,
                                    const std::optional<double>& measured_capacity_pct,
                                    std::int64_t now_ms) {
  auto& v = values_[k];
  auto& t = trackers_[k];
  const auto res = good(r.resistance);
  if (res) {
    // A new reading = a test. One window per test: a window is not extended by readings
    // inside it, and a new one opens only min_interval after the previous one opened.
    const bool changed = t.last_resistance_mOhm && *t.last_resistance_mOhm != *res;
    const bool may_open =
        !t.window_opened_ms || now_ms - *t.window_opened_ms >= bl.resistance_test_min_interval_ms;
    if (changed && may_open) {
      t.window_opened_ms = now_ms;
      t.suppressed_until_ms = now_ms + bl.resistance_test_suppression_ms;
    }
    t.last_resistance_mOhm = res;
    if (*res > 0.0 && !t.baseline_mOhm) {
      t.baseline_sum_mOhm += *res;
      if (++t.baseline_count >= bl.resistance_baseline_samples)
        t.baseline_mOhm = t.baseline_sum_mOhm / t.baseline_count;
    }
  }
  v.baseline_mOhm = t.baseline_mOhm;
  std::optional<double> rise_pct;
  if (res && t.baseline_mOhm) rise_pct = (*res / *t.baseline_mOhm - 1.0) * 100.0;
  set_fact(v, kFactResistanceRise, rise_pct, Quality::invalid);
  // SOH: the lower of the resistance estimate (+50 % resistance = 80 %, the replacement point)
  // and the capacity measured in a discharge.
  const double ref =
      type.resistance_new_mOhm > 0.0 ? type.resistance_new_mOhm : t.baseline_mOhm.value_or(0.0);
  std::optional<double> soh;
  if (res && ref > 0.0) soh = std::clamp(100.0 - 40.0 * (*res / ref - 1.0), 0.0, 100.0);
  if (measured_capacity_pct)
    soh = std::min(soh.value_or(100.0), std::clamp(*measured_capacity_pct, 0.0, 100.0));
  v.soh_pct = soh;
  set_fact(v, kFactSoh, soh, Quality::invalid);
}

void BatteryFacts::temperature_facts(std::size_t k, std::optional<double> reference_C,
                                     const BatteryFactsContext& context, const LimitSet& limits,
                                     std::int64_t now_ms) {
  auto& v = values_[k];
  auto& t = trackers_[k];
  const auto& sl = limits.string;
  std::optional<double> dt_ambient;
  if (v.temperature_C && context.ambient_C) dt_ambient = *v.temperature_C - *context.ambient_C;
  set_fact(v, kFactDeltaTAmbient, dt_ambient, Quality::invalid);
  v.hot_and_rising = false;
  v.warm = false;
  bool rising_past_trip = false;
  if (v.temperature_C) {
    t.temperature.update(*v.temperature_C, now_ms, sl.runaway_rise_window_ms);
    const auto slope = t.temperature.slope_per_h();
    rising_past_trip = *v.temperature_C > limits.battery.temperature_trip_C && slope &&
                       *slope > sl.runaway_rise_K_per_h;
  }
  set_fact(v, kFactRisingPastTrip, rising_past_trip ? 1.0 : 0.0, Quality::ok);
  if (v.temperature_C && reference_C) {
    const double dt_ref = *v.temperature_C - *reference_C;
    t.delta_t.update(dt_ref, now_ms, sl.runaway_rise_window_ms);
    const auto slope = t.delta_t.slope_per_h();
    // Until ΔT has been watched for one window a rise cannot be told from steady: judged
    // without it, because a monitor that restarts during a runaway must not wait.
    v.hot_and_rising =
        dt_ref > sl.runaway_delta_t_K && (!slope || *slope > sl.runaway_rise_K_per_h);
    v.warm = dt_ref > sl.runaway_delta_t_K / 2.0;
  }
}

}  // namespace btms::engine
