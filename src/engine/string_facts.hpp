// String facts stage: what the string rules read that needs memory. The thermal runaway
// condition (a battery hot and rising against the ambient or string median, together with a
// float current rising above the string's own learned float level) and the suppression of
// low-voltage alarms from a discharge until the string is back in its float band. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "engine/engine_config.hpp"
#include "model/derived_channels.hpp"

namespace btms::engine {

// Why a runaway is judged from current AND temperature together (BACS, Albér): a hot block
// next to a heater draws no extra current, and a string recharging after a discharge draws
// amperes with cool blocks. A VRLA block in runaway draws a float current that rises with its
// temperature; the string's normal float current (0.2-0.4 A on 100 Ah) is learned, so a rise
// to twice it is seen hours before the absolute 0.01 C10.
class RunawayWatch {
 public:
  struct Inputs {
    std::optional<double> current_A;  // + charge; nullopt when not good
    model::StringState state = model::StringState::idle;
    bool any_hot_and_rising = false;  // a battery's ΔT above the limit and rising
    bool any_warm = false;            // a battery's ΔT above half the limit
    double capacity_Ah = 100.0;
  };
  // nullopt: the current is not trustworthy, the condition cannot be judged.
  std::optional<bool> update(const Inputs& in, const StringLimits& limits, std::int64_t now_ms);

  std::optional<double> float_baseline_A() const { return baseline_A_; }
  std::optional<double> filtered_current_A() const { return filtered_A_; }
  // The current above which the float current counts as rising (A).
  double rising_threshold_A(const StringLimits& limits, double capacity_Ah) const;

 private:
  std::optional<double> baseline_A_;
  std::optional<double> filtered_A_;
  std::optional<std::int64_t> last_ms_;
};

// Low-voltage alarms are suppressed from the start of a discharge until the string is back in
// its float band (Albér): the bulk recharge after a discharge runs below it (a half-discharged
// 12 V block charges at ~12.2-12.6 V at the current limit).
class DischargeSuppression {
 public:
  // string_voltage_V: the string sensor, else the sum of its batteries when all are good.
  bool update(model::StringState state, std::optional<double> string_voltage_V,
              double cells_in_string, double float_voltage_per_cell_V,
              double float_band_below_per_cell_V);
  bool active() const { return active_; }

 private:
  bool active_ = false;
};

// The string sensor's voltage, else the sum of the batteries when all are good.
std::optional<double> string_voltage_or_sum(std::optional<double> sensor_V,
                                            std::span<const std::optional<double>> batteries_V);

}  // namespace btms::engine
