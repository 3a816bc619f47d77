// Equalization (balancing) behind an interface so strategies can be swapped (foxBMS). The
// strategy is pure: it gets the string's readings and the present balancing commands and returns
// the commands that change something.
#pragma once

#include <optional>
#include <vector>

#include "engine/equalization_config.hpp"
#include "model/commands.hpp"
#include "model/derived_channels.hpp"

namespace btms::engine {

struct EqualizationInput {
  int string_id = 0;
  model::StringState state = model::StringState::idle;
  int cells_per_battery = 6;
  std::vector<std::optional<double>> voltage_V;      // [position - 1], nullopt when not good
  std::vector<std::optional<double>> temperature_C;  // [position - 1]
  std::vector<bool> balancing_on;                    // [position - 1], as last commanded
};

class EqualizationStrategy {
 public:
  virtual ~EqualizationStrategy() = default;
  // Commands for the batteries whose balancing must change (nothing for the others).
  virtual std::vector<model::SetBalancing> decide(const EqualizationInput& in) = 0;
};

// Balances (bypasses current on) batteries above the reference (the string mean, or its lowest
// battery), only while the string floats.
// Everything goes off on any other state (discharge, equalize, idle...), when any battery is
// above max_temperature_C or has no good temperature/voltage, and when the spread is already
// inside the on band (max - min <= on threshold).
class VoltageEqualization final : public EqualizationStrategy {
 public:
  explicit VoltageEqualization(VoltageEqualizationConfig config = {}) : config_(config) {}
  std::vector<model::SetBalancing> decide(const EqualizationInput& in) override;

 private:
  VoltageEqualizationConfig config_;
};

struct VoltageStats {
  int count = 0;  // good readings
  double mean_V = 0.0;
  double spread_V = 0.0;  // max - min
  double stddev_V = 0.0;  // population standard deviation
  // The extremes and where they are (position = index + 1; the first of equal values).
  double min_V = 0.0;
  double max_V = 0.0;
  int min_position = 0;  // 0 = no good reading
  int max_position = 0;
};
VoltageStats voltage_stats(const std::vector<std::optional<double>>& voltage_V);

// Balance index, 0..100 % (docs/balance-index.md): 100 × (1 − σ / tolerance), σ = the standard
// deviation of the string's block voltages, tolerance = the manufacturers' float tolerance of
// ±50 mV per cell (±0.3 V on a 12 V block). 100 = all blocks equal; 80 % = blocks scattered
// by a fifth of the tolerance (σ 60 mV on 12 V blocks, a spread of ~0.25 V on 40 blocks), a
// well-balanced float string; 0 = a typical block off by the whole tolerance. The standard
// deviation rather than max − min: one reading more or less does not swing the index, and
// the spread (published beside it) already shows the extreme.
inline constexpr double kFloatTolerancePerCell_V = 0.050;
double balance_index_pct(double stddev_V, int cells_per_battery);

}  // namespace btms::engine
