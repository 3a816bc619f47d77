// Battery facts stage: what the alarm rules of one string's batteries read, from the raw
// readings. Temperature-compensated voltage, the resistance-test suppression of float alarms,
// ΔT to the ambient and its trend, the learned resistance baseline, SOH, communication state,
// and the runaway candidates (hot and rising). Pure: readings and time come in.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/engine_config.hpp"
#include "engine/rule_table.hpp"
#include "engine/trend_filter.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::engine {

struct BatteryReading {
  model::Sample voltage;      // V
  model::Sample temperature;  // °C
  model::Sample resistance;   // mΩ
};

// What the string around the batteries says this step.
struct BatteryFactsContext {
  std::optional<double> ambient_C;              // the string's BM-TH, when good
  bool discharge_suppressed = false;            // in a discharge or not yet recovered from one
  std::optional<double> measured_capacity_pct;  // latest qualifying discharge
  // The string is open: its blocks rest at their open-circuit voltage (12.7-13.0 V for a full
  // 12 V block), below the float band by nature. Only what is below the open-circuit voltage
  // of a discharged block (voltage_always_low) is low then.
  bool resting = false;
};

struct BatteryFactValues {
  std::array<std::optional<double>, kBatteryFacts> value{};
  std::array<model::Quality, kBatteryFacts> quality{};
  std::optional<double> voltage_V, temperature_C;  // good readings
  std::optional<double> baseline_mOhm, soh_pct;
  model::Quality input_quality = model::Quality::ok;  // worst of the three readings
  bool float_suppressed = false;                      // inside a resistance-test window
  bool hot_and_rising = false;  // ΔT to the reference above the runaway limit and rising
  bool warm = false;            // ΔT to the reference above half the runaway limit
};

// The worse of two qualities (ok < stale < invalid < comm_lost): a derived value is never
// better than its inputs.
model::Quality worse(model::Quality a, model::Quality b);

class BatteryFacts {
 public:
  explicit BatteryFacts(int batteries);

  void update(std::span<const BatteryReading> readings, const BatteryFactsContext& context,
              const LimitSet& limits, const model::BatteryType& type, std::int64_t now_ms);
  const std::vector<BatteryFactValues>& values() const { return values_; }
  // Forget the learned resistance baseline (battery replaced); position 0 = all.
  void reset_baseline(int position);

 private:
  struct Tracker {
    double baseline_sum_mOhm = 0.0;
    int baseline_count = 0;
    std::optional<double> baseline_mOhm;
    std::optional<double> last_resistance_mOhm;
    std::int64_t suppressed_until_ms = 0;
    std::optional<std::int64_t> window_opened_ms;
    TrendFilter delta_t;      // against the runaway reference
    TrendFilter temperature;  // absolute
  };
  void voltage_facts(std::size_t k, const BatteryReading& r, const BatteryFactsContext& context,
                     const BatteryLimits& limits, double cells, std::int64_t now_ms);
  void resistance_facts(std::size_t k, const BatteryReading& r, const BatteryLimits& limits,
                        const model::BatteryType& type,
                        const std::optional<double>& measured_capacity_pct, std::int64_t now_ms);
  void temperature_facts(std::size_t k, std::optional<double> reference_C,
                         const BatteryFactsContext& context, const LimitSet& limits,
                         std::int64_t now_ms);
  std::optional<double> reference_C(std::optional<double> ambient_C);

  std::vector<Tracker> trackers_;
  std::vector<BatteryFactValues> values_;
  std::vector<double> scratch_C_;
};

}  // namespace btms::engine
