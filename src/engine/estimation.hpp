// State estimation of one string: operating state from current and voltage, SOC by coulomb
// counting corrected by rest voltage and by a long float, discharge records, runtime at the
// present load. Pure: the engine feeds readings and time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/capacity_test.hpp"
#include "model/derived_channels.hpp"
#include "model/discharge_record.hpp"
#include "model/topology.hpp"

namespace btms::engine {

struct EstimationConfig {
  double capacity_Ah = 100.0;  // C10
  // The blocks' rating: capacity at a rate and runtime come from model/battery_rating.hpp, the
  // one model of the plant and the engine (no Peukert constant of the engine's own).
  model::BatteryType battery{};
  int cells_in_string = 6;  // cells per battery × batteries
  double float_voltage_per_cell_V = 2.27;
  double equalize_above_float_per_cell_V = 0.04;  // above float + this while charging = equalizing
  double float_band_below_per_cell_V = 0.03;      // at least float − this = floating
  double current_threshold_C = 0.01;  // |I| below threshold_C × C10 (at least 0.5 A) = no load
  std::int64_t rest_before_ocv_ms = 30LL * 60 * 1000;    // rest this long before trusting OCV
  std::int64_t float_before_full_ms = 60LL * 60 * 1000;  // float this long = 100 %
  double ocv_empty_per_cell_V = 1.98;                    // open-circuit voltage at 0 % SOC
  double ocv_full_per_cell_V = 2.12;                     // and at 100 %
  // Capacity measurement (see StringLimits): a discharge that started at ≥ 95 % SOC, averaged
  // at most max_rate_C and reached end_per_cell_V measures the capacity.
  double capacity_test_end_per_cell_V = 1.80;
  double capacity_test_max_rate_C = 0.25;
};

// Capacity at the C10 rate from a discharge (model/capacity_test.hpp, shared with the API).
using model::capacity_at_c10_Ah;

// Minutes to the end voltage for a string of these blocks at SOC soc_pct discharged at
// current_A (A, > 0) and mean block temperature temperature_C (model::runtime_to_end_voltage_s).
// capacity_fraction: the capacity the last qualifying discharge measured (1 = as rated).
double runtime_at_rate_min(const model::BatteryType& battery, double current_A,
                           double temperature_C, double soc_pct, double capacity_fraction);

struct StringReadings {
  bool connected = true;                                 // protection closed and not fed back open
  std::optional<double> current_A;                       // nullopt when not good
  std::optional<double> voltage_V;                       // string voltage, nullopt when not good
  std::vector<std::optional<double>> battery_voltage_V;  // [position - 1]
  std::optional<double> temperature_C;                   // mean of the blocks, when known
};

// Defined in model so history and the API can keep and serve it without the engine.
using model::DischargeRecord;

class StringEstimator {
 public:
  StringEstimator(int string_id, EstimationConfig config);

  enum class Change : std::uint8_t { none, discharge_started, discharge_ended };
  Change update(const StringReadings& in, std::int64_t now_ms);

  void set_capacity_test(double end_per_cell_V, double max_rate_C) {
    config_.capacity_test_end_per_cell_V = end_per_cell_V;
    config_.capacity_test_max_rate_C = max_rate_C;
  }

  model::StringState state() const { return state_; }
  double soc_pct() const { return soc_pct_; }
  // Minutes left at the present discharge current and block temperature (rate-dependent
  // capacity, model/battery_rating.hpp); nullopt when not discharging.
  std::optional<double> runtime_min(double temperature_C = 25.0) const;
  double remaining_Ah() const { return soc_pct_ / 100.0 * config_.capacity_Ah; }
  std::optional<double> discharge_current_A() const;
  const std::optional<DischargeRecord>& current_discharge() const { return running_; }
  const std::optional<DischargeRecord>& last_discharge() const { return last_; }
  // Capacity (% of C10) measured by the latest discharge that qualified; nullopt before one.
  std::optional<double> measured_capacity_pct() const { return measured_capacity_pct_; }

 private:
  model::StringState classify(const StringReadings& in, std::optional<double> v_cell) const;
  void measure_capacity(DischargeRecord& r);
  void count_charge(const StringReadings& in, std::optional<double> v, std::int64_t now_ms);
  void correct_soc(std::optional<double> v_cell, std::int64_t now_ms);
  Change track_discharge(const StringReadings& in, std::optional<double> v, std::int64_t now_ms);

  int string_id_;
  EstimationConfig config_;
  double capacity_fraction() const;

  model::StringState state_ = model::StringState::idle;
  double soc_pct_ = 100.0;  // assume a full string at start (float) until evidence says otherwise
  std::optional<std::int64_t> last_ms_;
  std::optional<double> last_current_A_;
  std::int64_t state_since_ms_ = 0;
  std::optional<DischargeRecord> running_;
  std::optional<DischargeRecord> last_;
  std::optional<double> measured_capacity_pct_;
};

std::string describe(const DischargeRecord& r);

}  // namespace btms::engine
