// Gorilla-style compression of one channel's raw points (time, value, quality) into a blob.
// Timestamps: delta-of-delta in variable bit buckets (1 bit for a steady sample period).
// Values: when every value of the chunk lies on a decimal grid (sensor counts scaled by 10^k,
// e.g. 1 mV, 0.1 °C, 1 µΩ) the integer deltas are coded in bit buckets (a few bits per value);
// otherwise XOR of the IEEE doubles with leading/trailing zero windows, which is lossless for
// any double including NaN. Quality: run-length (it rarely changes).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/snapshot.hpp"

namespace btms::history {

struct RawPoint {
  std::int64_t time_ms = 0;
  double value = 0.0;
  model::Quality quality = model::Quality::ok;

  friend bool operator==(const RawPoint&, const RawPoint&) = default;
};

// Encodes the points in the given order (times need not be regular or even increasing).
// Grid mode decodes value as integer / 10^k, so a value read as count / 10^k round-trips
// bit-exactly and a grid value computed otherwise (raw * 0.001) within a few ulps.
std::vector<std::uint8_t> encode_chunk(std::span<const RawPoint> points);

// Throws std::runtime_error on a corrupt or truncated blob.
std::vector<RawPoint> decode_chunk(std::span<const std::uint8_t> blob);

}  // namespace btms::history
