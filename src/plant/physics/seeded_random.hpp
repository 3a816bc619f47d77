// Deterministic pseudo-random numbers for the plant: every battery, string and sensor derives
// its own stream from (seed, kind, id, position) so that adding a string does not change the
// others and the same seed always gives the same plant.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace btms::plant::physics {

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

class SeededRandom {
 public:
  SeededRandom(std::uint64_t seed, std::uint64_t kind, std::uint64_t id, std::uint64_t position)
      : state_(splitmix64(splitmix64(splitmix64(seed) ^ kind) ^ (id << 20U) ^ position)) {}

  // Uniform in [0, 1).
  double uniform() {
    state_ = splitmix64(state_);
    return static_cast<double>(state_ >> 11U) * 0x1.0p-53;
  }

  // Standard normal (Box-Muller; one value per call keeps the stream simple).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  std::uint64_t state_;
};

}  // namespace btms::plant::physics
