// State estimation of one string: operating state from current and voltage, SOC by coulomb
// counting corrected by rest voltage and by a long float, discharge records, runtime at the
// present load. Pure: the engine feeds readings and time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/derived_channels.hpp"

namespace btms::engine {

struct EstimationConfig {
  double capacity_Ah = 100.0;  // C10
  int cells_in_string = 6;     // cells per battery × batteries
  double float_voltage_per_cell_V = 2.27;
  double equalize_above_float_per_cell_V = 0.04;  // above float + this while charging = equalizing
  double float_band_below_per_cell_V = 0.03;      // at least float − this = floating
  double current_threshold_C = 0.01;  // |I| below threshold_C × C10 (at least 0.5 A) = no load
  std::int64_t rest_before_ocv_ms = 30 * 60 * 1000;    // rest this long before trusting OCV
  std::int64_t float_before_full_ms = 60 * 60 * 1000;  // float this long = 100 %
  double ocv_empty_per_cell_V = 1.98;                  // open-circuit voltage at 0 % SOC
  double ocv_full_per_cell_V = 2.12;                   // and at 100 %
};

struct StringReadings {
  bool connected = true;                                 // protection closed and not fed back open
  std::optional<double> current_A;                       // nullopt when not good
  std::optional<double> voltage_V;                       // string voltage, nullopt when not good
  std::vector<std::optional<double>> battery_voltage_V;  // [position - 1]
};

struct DischargeRecord {
  int string_id = 0;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;  // 0 while running
  double ah_out = 0.0;
  double min_string_voltage_V = 0.0;
  std::vector<double> min_battery_voltage_V;  // [position - 1], 0 when never read
  int weakest_position = 0;                   // battery with the lowest minimum, 0 = unknown
};

class StringEstimator {
 public:
  StringEstimator(int string_id, EstimationConfig config);

  enum class Change : std::uint8_t { none, discharge_started, discharge_ended };
  Change update(const StringReadings& in, std::int64_t now_ms);

  model::StringState state() const { return state_; }
  double soc_pct() const { return soc_pct_; }
  // Minutes left at the present discharge current; nullopt when not discharging.
  std::optional<double> runtime_min() const;
  double remaining_Ah() const { return soc_pct_ / 100.0 * config_.capacity_Ah; }
  std::optional<double> discharge_current_A() const;
  const std::optional<DischargeRecord>& current_discharge() const { return running_; }
  const std::optional<DischargeRecord>& last_discharge() const { return last_; }

 private:
  model::StringState classify(const StringReadings& in, std::optional<double> v_cell) const;

  int string_id_;
  EstimationConfig config_;
  model::StringState state_ = model::StringState::idle;
  double soc_pct_ = 100.0;  // assume a full string at start (float) until evidence says otherwise
  std::optional<std::int64_t> last_ms_;
  std::optional<double> last_current_A_;
  std::int64_t state_since_ms_ = 0;
  std::optional<DischargeRecord> running_;
  std::optional<DischargeRecord> last_;
};

std::string describe(const DischargeRecord& r);

}  // namespace btms::engine
