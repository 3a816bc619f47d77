#include "plant/physics/ambient_model.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "plant/physics/seeded_random.hpp"

namespace btms::plant::physics {
namespace {
constexpr std::uint64_t kAmbientStream = 0xA3B1;
constexpr double kDay_s = 86400.0;
constexpr double kWeather_s = 5.3 * kDay_s;
}  // namespace

Ambient::Ambient(std::uint64_t seed, int th_index) {
  SeededRandom rng(seed, kAmbientStream, static_cast<std::uint64_t>(th_index), 0);
  base_temperature_C_ = 22.8 + 1.6 * rng.uniform();
  base_humidity_pct_ = 38.0 + 9.0 * rng.uniform();
  phase_day_ = 2.0 * std::numbers::pi * rng.uniform();
  phase_weather_ = 2.0 * std::numbers::pi * rng.uniform();
  update(0.0);
}

void Ambient::update(double time_s) {
  if (held_) return;
  const double day = std::sin(2.0 * std::numbers::pi * time_s / kDay_s + phase_day_);
  const double weather = std::sin(2.0 * std::numbers::pi * time_s / kWeather_s + phase_weather_);
  temperature_C_ = std::clamp(base_temperature_C_ + 0.5 * day + 0.3 * weather, 22.0, 25.0);
  // Air conditioning dries the room as it warms: humidity moves against temperature.
  humidity_pct_ = std::clamp(base_humidity_pct_ - 1.5 * day + 2.0 * weather, 35.0, 50.0);
}

void Ambient::set(double temperature_C, double humidity_pct) {
  held_ = true;
  temperature_C_ = temperature_C;
  humidity_pct_ = std::clamp(humidity_pct, 0.0, 100.0);
}

}  // namespace btms::plant::physics
