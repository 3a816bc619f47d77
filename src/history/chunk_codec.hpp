// Gorilla-style compression of one channel's raw points (time, value, quality) into a blob.
// Timestamps: delta-of-delta in variable bit buckets (1 bit for a steady sample period).
// Values: when every value of the chunk lies on a decimal grid (sensor counts scaled by 10^k,
// e.g. 1 mV, 0.1 °C, 1 µΩ) the integer deltas are coded in bit buckets (a few bits per value);
// otherwise XOR of the IEEE doubles with leading/trailing zero windows, which is lossless for
// any double including NaN. Quality: run-length (it rarely changes).
#pragma once

#include <array>
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

// Appends one point at a time to a chunk's bit stream, so each point is encoded once: the open
// chunk of a channel keeps an encoder (its bits plus a few dozen bytes of state) instead of its
// points, and a commit takes the committed prefix as a blob without re-encoding anything.
// Quality is coded inline (1 bit while it stays the same). Not thread-safe.
class ChunkEncoder {
 public:
  // exponent 0..6: values on the decimal grid 10^-exponent (a few bits per value); -1: XOR of
  // the IEEE doubles (any value, bit-exact).
  explicit ChunkEncoder(int exponent);

  // Whether value can be appended without losing a digit (always true in XOR mode).
  bool fits(double value) const;
  // Precondition: fits(point.value).
  void append(const RawPoint& point);

  int exponent() const { return exponent_; }
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  std::int64_t first_time_ms() const { return first_time_ms_; }
  std::int64_t last_time_ms() const { return static_cast<std::int64_t>(previous_time_); }
  std::size_t bytes_used() const { return bytes_.capacity() + sizeof(*this); }

  // A position in the stream: the first `points` points take `bits` bits.
  struct Mark {
    std::size_t points = 0;
    std::size_t bits = 0;
  };
  Mark mark() const { return {count_, bytes_.size() * 8 + static_cast<std::size_t>(used_)}; }
  // The blob (decode_chunk format) of the points up to mark (default: all of them).
  std::vector<std::uint8_t> blob() const { return blob(mark()); }
  std::vector<std::uint8_t> blob(Mark upto) const;

 private:
  void put(std::uint64_t bits, int width);
  template <std::size_t N>
  void put_bucketed(std::uint64_t coded, const std::array<int, N>& widths);

  int exponent_;
  std::vector<std::uint8_t> bytes_;  // complete bytes of the stream
  std::uint8_t current_ = 0;         // bits not yet making a byte
  int used_ = 0;
  std::size_t count_ = 0;
  std::int64_t first_time_ms_ = 0;
  std::uint64_t previous_time_ = 0;
  std::uint64_t previous_delta_ = 0;
  std::uint64_t previous_count_ = 0;
  std::uint64_t previous_bits_ = 0;
  int previous_leading_ = 65;  // no XOR window yet
  int previous_trailing_ = 0;
  model::Quality previous_quality_ = model::Quality::ok;
};

// The smallest decimal exponent 0..6 on whose grid every value lies (-1: none; XOR mode).
int grid_exponent(std::span<const RawPoint> points);

// Encodes the points in the given order (times need not be regular or even increasing).
// Grid mode decodes value as integer / 10^k, so a value read as count / 10^k round-trips
// bit-exactly and a grid value computed otherwise (raw * 0.001) within a few ulps.
std::vector<std::uint8_t> encode_chunk(std::span<const RawPoint> points);

// Throws std::runtime_error on a corrupt or truncated blob.
std::vector<RawPoint> decode_chunk(std::span<const std::uint8_t> blob);

}  // namespace btms::history
