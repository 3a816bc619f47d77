#include "engine/estimation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/battery_rating.hpp"

namespace btms::engine {

using model::StringState;

double runtime_at_rate_min(const model::BatteryType& battery, double current_A,
                           double temperature_C, double soc_pct, double capacity_fraction) {
  const double soc =
      std::clamp(soc_pct / 100.0, 0.0, 1.0) * std::clamp(capacity_fraction, 0.0, 1.0);
  return model::runtime_to_end_voltage_s(battery, current_A, temperature_C, soc) / 60.0;
}

double StringEstimator::capacity_fraction() const {
  return measured_capacity_pct_ ? std::clamp(*measured_capacity_pct_ / 100.0, 0.0, 1.0) : 1.0;
}

StringEstimator::StringEstimator(int string_id, EstimationConfig config)
    : string_id_(string_id), config_(config) {}

StringState StringEstimator::classify(const StringReadings& in,
                                      std::optional<double> v_cell) const {
  if (!in.connected) return StringState::disconnected;
  if (!in.current_A) return StringState::abnormal;  // no trustworthy current: cannot tell
  const double threshold_A = std::max(0.5, config_.current_threshold_C * config_.capacity_Ah);
  const double i = *in.current_A;
  if (i < -threshold_A) return StringState::discharge;
  if (!v_cell) return StringState::abnormal;
  if (*v_cell >= config_.float_voltage_per_cell_V + config_.equalize_above_float_per_cell_V &&
      i >= 0.0) {
    return StringState::equalizing;
  }
  if (*v_cell >= config_.float_voltage_per_cell_V - config_.float_band_below_per_cell_V) {
    return StringState::float_charge;
  }
  if (i > threshold_A) return StringState::float_charge;  // recharging below float voltage
  return StringState::idle;
}

StringEstimator::Change StringEstimator::update(const StringReadings& in, std::int64_t now_ms) {
  // String voltage: the string sensor when good, else the sum of the batteries when all are good.
  std::optional<double> v = in.voltage_V;
  if (!v && !in.battery_voltage_V.empty()) {
    double sum = 0.0;
    bool all = true;
    for (const auto& b : in.battery_voltage_V) {
      if (!b)
        all = false;
      else
        sum += *b;
    }
    if (all) v = sum;
  }
  std::optional<double> v_cell;
  if (v && config_.cells_in_string > 0) v_cell = *v / config_.cells_in_string;
  count_charge(in, v, now_ms);
  const auto next = classify(in, v_cell);
  if (next != state_) {
    state_ = next;
    state_since_ms_ = now_ms;
  }
  correct_soc(v_cell, now_ms);
  return track_discharge(in, v, now_ms);
}

// Coulomb counting with the trapezoid of the last two good currents (current is + charge).
void StringEstimator::count_charge(const StringReadings& in, std::optional<double> v,
                                   std::int64_t now_ms) {
  if (last_ms_ && in.current_A && in.connected) {
    const double dt_h = static_cast<double>(now_ms - *last_ms_) / 3600e3;
    const double i_avg = last_current_A_ ? (*last_current_A_ + *in.current_A) / 2.0 : *in.current_A;
    const double dah = i_avg * dt_h;
    if (dt_h > 0.0) {
      // Charging is not 100 % efficient near full; never count above 100 %.
      soc_pct_ = std::clamp(soc_pct_ + 100.0 * dah / config_.capacity_Ah, 0.0, 100.0);
      if (running_ && dah < 0.0) {
        running_->ah_out += -dah;
        if (v) running_->energy_out_kWh += -dah * *v / 1000.0;
      }
    }
  }
  last_ms_ = now_ms;
  last_current_A_ = in.current_A;
}

// Corrections from voltage: a long float means full; a long rest gives the OCV.
void StringEstimator::correct_soc(std::optional<double> v_cell, std::int64_t now_ms) {
  if (state_ == StringState::float_charge &&
      now_ms - state_since_ms_ >= config_.float_before_full_ms) {
    soc_pct_ = 100.0;
  } else if (state_ == StringState::idle && v_cell &&
             now_ms - state_since_ms_ >= config_.rest_before_ocv_ms) {
    const double span = config_.ocv_full_per_cell_V - config_.ocv_empty_per_cell_V;
    soc_pct_ = std::clamp(100.0 * (*v_cell - config_.ocv_empty_per_cell_V) / span, 0.0, 100.0);
  }
}

StringEstimator::Change StringEstimator::track_discharge(const StringReadings& in,
                                                         std::optional<double> v,
                                                         std::int64_t now_ms) {
  Change change = Change::none;
  if (state_ == StringState::discharge && !running_) {
    running_ = DischargeRecord{};
    running_->string_id = string_id_;
    running_->start_ms = now_ms;
    running_->min_string_voltage_V = v.value_or(0.0);
    running_->min_battery_voltage_V.assign(in.battery_voltage_V.size(), 0.0);
    running_->soc_start_pct = soc_pct_;
    if (in.current_A && *in.current_A < 0.0) {
      running_->predicted_runtime_min =
          runtime_at_rate_min(config_.battery, -*in.current_A, in.temperature_C.value_or(25.0),
                              soc_pct_, capacity_fraction());
    }
    change = Change::discharge_started;
  }
  if (!running_) return change;
  if (in.current_A && -*in.current_A > running_->peak_current_A) {
    running_->peak_current_A = -*in.current_A;
  }
  if (v && (running_->min_string_voltage_V <= 0.0 || *v < running_->min_string_voltage_V)) {
    running_->min_string_voltage_V = *v;
  }
  auto& mins = running_->min_battery_voltage_V;
  mins.resize(in.battery_voltage_V.size(), 0.0);
  for (std::size_t k = 0; k < in.battery_voltage_V.size(); ++k) {
    const auto& b = in.battery_voltage_V[k];
    if (b && (mins[k] <= 0.0 || *b < mins[k])) mins[k] = *b;
  }
  if (state_ == StringState::discharge) return change;
  running_->end_ms = now_ms;
  double lowest = 0.0;
  for (std::size_t k = 0; k < mins.size(); ++k) {
    if (mins[k] > 0.0 && (running_->weakest_position == 0 || mins[k] < lowest)) {
      lowest = mins[k];
      running_->weakest_position = static_cast<int>(k) + 1;
    }
  }
  running_->soc_end_pct = soc_pct_;
  running_->actual_runtime_min = static_cast<double>(now_ms - running_->start_ms) / 60e3;
  measure_capacity(*running_);
  last_ = std::move(running_);
  running_.reset();
  return Change::discharge_ended;
}

void StringEstimator::measure_capacity(DischargeRecord& r) {
  // The same decision the API explains (model/capacity_test.hpp); the record keeps what this
  // discharge measured, the estimator the latest measurement (SOH, runtime).
  auto battery = config_.battery;
  battery.capacity_Ah = config_.capacity_Ah;
  const auto m = model::measure_capacity(
      r, battery, config_.cells_in_string,
      {config_.capacity_test_end_per_cell_V, config_.capacity_test_max_rate_C});
  r.measured_capacity_pct = m.capacity_pct.value_or(0.0);
  if (m.capacity_pct) measured_capacity_pct_ = m.capacity_pct;
}

std::optional<double> StringEstimator::discharge_current_A() const {
  if (state_ != StringState::discharge || !last_current_A_ || *last_current_A_ >= 0.0)
    return std::nullopt;
  return -*last_current_A_;
}

std::optional<double> StringEstimator::runtime_min(double temperature_C) const {
  const auto i = discharge_current_A();
  if (!i) return std::nullopt;
  return runtime_at_rate_min(config_.battery, *i, temperature_C, soc_pct_, capacity_fraction());
}

std::string describe(const DischargeRecord& r) {
  char buf[256];
  const double minutes =
      static_cast<double>((r.end_ms != 0 ? r.end_ms : r.start_ms) - r.start_ms) / 60e3;
  double weakest_V = 0.0;
  if (r.weakest_position > 0)
    weakest_V = r.min_battery_voltage_V[static_cast<std::size_t>(r.weakest_position - 1)];
  std::snprintf(buf, sizeof buf,
                "String %d discharge: %.1f min, %.2f Ah out, min string voltage %.2f V, weakest "
                "battery %d (%.3f V)",
                r.string_id, minutes, r.ah_out, r.min_string_voltage_V, r.weakest_position,
                weakest_V);
  return buf;
}

}  // namespace btms::engine
