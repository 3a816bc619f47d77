// Room climate at each BM-TH: 22-25 °C, 35-50 %RH with a slow daily swing and a slower
// weather drift, seeded per sensor. Index 0 is the room seen by strings without a BM-TH.
#pragma once

#include <cstdint>

namespace btms::plant::physics {

class Ambient {
 public:
  Ambient() = default;
  Ambient(std::uint64_t seed, int th_index);

  void update(double time_s);
  // Scenario override: holds exactly these values (no more drift) until the next override.
  void set(double temperature_C, double humidity_pct);

  double temperature_C() const { return temperature_C_; }
  double humidity_pct() const { return humidity_pct_; }

 private:
  double base_temperature_C_ = 23.5;
  double base_humidity_pct_ = 42.0;
  double phase_day_ = 0.0;
  double phase_weather_ = 0.0;
  bool held_ = false;
  double temperature_C_ = 23.5;
  double humidity_pct_ = 42.0;
};

}  // namespace btms::plant::physics
