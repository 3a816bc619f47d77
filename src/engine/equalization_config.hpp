// Settings of the voltage equalization strategy (equalization.hpp), apart from the strategy so
// the engine configuration (and every consumer that reads it) needs no engine code.
#pragma once

#include <cstdint>

namespace btms::engine {

// What a battery's voltage is compared with. Bypassing a battery lowers it and, with the
// rectifier holding the string voltage, raises the string current and so every other battery:
// referencing the mean leaves the lowest batteries where they are (≈80 mV spread remains on a
// 40-block string), referencing the lowest battery keeps bypassing until the low ones have come
// up (≈10 mV in a few hours on the virtual plant, tests/system).
enum class EqualizationReference { mean, lowest };

struct VoltageEqualizationConfig {
  EqualizationReference reference = EqualizationReference::mean;
  // Thresholds per cell so one setting fits 2, 6 and 12 V blocks: 20 mV on a 12 V block.
  double on_above_mean_per_cell_V = 0.020 / 6;
  double off_above_mean_per_cell_V = 0.010 / 6;  // hysteresis: switch off below this
  // With reference = lowest: 10 mV on / 5 mV off on a 12 V block.
  double on_above_lowest_per_cell_V = 0.010 / 6;
  double off_above_lowest_per_cell_V = 0.005 / 6;
  double max_temperature_C = 40.0;  // no balancing above (adds heat)
  // The engine decides on each battery's voltage averaged over this time constant, not on
  // single readings: the BM-CS reads ±0.2 % (27 mV on a 13.6 V block), three times the 10 mV
  // threshold, so on raw readings the "lowest" battery is whichever read lowest this cycle and
  // nearly every other one is bypassed. Averaged over 5 min at a 1-3 s poll the noise falls to
  // 1-2 mV. 0 = raw readings.
  std::int64_t average_ms = 5LL * 60 * 1000;
};

}  // namespace btms::engine
