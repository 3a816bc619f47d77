#include "history/chunk_codec.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace btms::history {
namespace {

constexpr std::uint8_t kModeXor = 0;
constexpr std::uint8_t kModeGrid = 1;
constexpr int kMaxGridExponent = 6;
constexpr std::array<double, kMaxGridExponent + 1> kScales = {1.0, 10.0, 100.0, 1000.0,
                                                              1e4, 1e5,  1e6};

std::uint64_t zigzag(std::uint64_t wrapped) {
  auto value = static_cast<std::int64_t>(wrapped);
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}
std::uint64_t unzigzag(std::uint64_t coded) {
  return (coded >> 1) ^ (~(coded & 1) + 1);
}

class BitWriter {
 public:
  explicit BitWriter(std::vector<std::uint8_t>& out) : out_(out) {}
  void write(std::uint64_t bits, int width) {
    for (int i = width - 1; i >= 0; --i) {
      current_ = static_cast<std::uint8_t>((current_ << 1) | ((bits >> i) & 1U));
      if (++used_ == 8) {
        out_.push_back(current_);
        current_ = 0;
        used_ = 0;
      }
    }
  }
  void finish() {
    if (used_ > 0) out_.push_back(static_cast<std::uint8_t>(current_ << (8 - used_)));
    used_ = 0;
  }

 private:
  std::vector<std::uint8_t>& out_;
  std::uint8_t current_ = 0;
  int used_ = 0;
};

class BitReader {
 public:
  BitReader(std::span<const std::uint8_t> in, std::size_t byte_pos) : in_(in), bit_(byte_pos * 8) {}
  std::uint64_t read(int width) {
    std::uint64_t bits = 0;
    for (int i = 0; i < width; ++i) {
      const std::size_t byte = bit_ >> 3;
      if (byte >= in_.size()) throw std::runtime_error("history chunk truncated");
      bits = (bits << 1) | ((in_[byte] >> (7 - (bit_ & 7))) & 1U);
      ++bit_;
    }
    return bits;
  }
  bool read_bit() { return read(1) != 0; }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t bit_;
};

void put_varint(std::vector<std::uint8_t>& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

std::uint64_t get_varint(std::span<const std::uint8_t> in, std::size_t& pos) {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) throw std::runtime_error("history chunk truncated (varint)");
    const std::uint8_t byte = in[pos++];
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  throw std::runtime_error("history chunk corrupt (varint too long)");
}

// Bucket tables: a prefix of n ones and a terminating zero selects the payload width; the
// last bucket has no terminating zero. Sized so steady 1 Hz time costs 1 bit and sensor noise
// of a few counts costs 6 bits.
constexpr std::array<int, 5> kTimeWidths = {0, 7, 12, 20, 64};
constexpr std::array<int, 6> kGridWidths = {0, 4, 8, 16, 32, 64};

template <std::size_t N>
void write_bucketed(BitWriter& writer, std::uint64_t coded, const std::array<int, N>& widths) {
  for (std::size_t b = 0; b < N; ++b) {
    const int width = widths[b];
    const bool last = b + 1 == N;
    if (last || (width == 0 ? coded == 0 : coded < (std::uint64_t{1} << width))) {
      if (b > 0) writer.write((std::uint64_t{1} << b) - 1, static_cast<int>(b));  // b ones
      if (!last) writer.write(0, 1);
      if (width > 0) writer.write(coded, width);
      return;
    }
  }
}

template <std::size_t N>
std::uint64_t read_bucketed(BitReader& reader, const std::array<int, N>& widths) {
  std::size_t b = 0;
  while (b + 1 < N && reader.read_bit()) ++b;
  return widths[b] == 0 ? 0 : reader.read(widths[b]);
}

// Smallest k such that every value is an integer count of 10^-k (up to rounding noise) and
// the counts fit a double's exact integer range; -1 when there is none.
int grid_exponent(std::span<const RawPoint> points) {
  for (int k = 0; k <= kMaxGridExponent; ++k) {
    const double scale = kScales[static_cast<std::size_t>(k)];
    bool fits = true;
    for (const auto& point : points) {
      const double scaled = point.value * scale;
      if (!std::isfinite(scaled) || std::fabs(scaled) > 9.0e15) return -1;
      // Values computed as raw * 0.001 are not bit-identical to raw / 1000 but differ from the
      // grid by rounding noise only (a few ulps); decode returns raw / 10^k. Anything further
      // off (0.3001 at k = 1) needs a finer grid or XOR mode, so no real digit is ever lost.
      const double tolerance = std::min(1e-3, std::fabs(scaled) * 1e-14 + 1e-12);
      // A nonzero value must not round to a count of zero (1e-300 is not 0 plus noise).
      const double count = std::nearbyint(scaled);
      if (std::fabs(scaled - count) > tolerance || (count == 0.0 && point.value != 0.0)) {
        fits = false;
        break;
      }
    }
    if (fits) return k;
  }
  return -1;
}

}  // namespace

std::vector<std::uint8_t> encode_chunk(std::span<const RawPoint> points) {
  std::vector<std::uint8_t> out;
  out.reserve(16 + points.size());
  const int exponent = grid_exponent(points);
  out.push_back(exponent >= 0 ? kModeGrid : kModeXor);
  put_varint(out, points.size());
  if (points.empty()) return out;
  if (exponent >= 0) out.push_back(static_cast<std::uint8_t>(exponent));

  // Quality runs: count, then (quality, length) pairs.
  std::vector<std::pair<std::uint8_t, std::uint64_t>> runs;
  for (const auto& point : points) {
    const auto quality = static_cast<std::uint8_t>(point.quality);
    if (runs.empty() || runs.back().first != quality) runs.emplace_back(quality, 0);
    ++runs.back().second;
  }
  put_varint(out, runs.size());
  for (const auto& [quality, length] : runs) {
    out.push_back(quality);
    put_varint(out, length);
  }

  BitWriter writer(out);
  // Unsigned arithmetic so that any int64 sequence wraps consistently on both sides.
  auto previous_time = static_cast<std::uint64_t>(points[0].time_ms);
  writer.write(previous_time, 64);
  std::uint64_t previous_delta = 0;

  const double scale = exponent >= 0 ? kScales[static_cast<std::size_t>(exponent)] : 1.0;
  std::uint64_t previous_count = 0;
  std::uint64_t previous_bits = 0;
  int previous_leading = 65;  // no window yet
  int previous_trailing = 0;
  if (exponent >= 0) {
    previous_count = static_cast<std::uint64_t>(
        static_cast<std::int64_t>(std::nearbyint(points[0].value * scale)));
    writer.write(zigzag(previous_count), 64);
  } else {
    previous_bits = std::bit_cast<std::uint64_t>(points[0].value);
    writer.write(previous_bits, 64);
  }

  for (std::size_t i = 1; i < points.size(); ++i) {
    const auto time = static_cast<std::uint64_t>(points[i].time_ms);
    const std::uint64_t delta = time - previous_time;
    write_bucketed(writer, zigzag(delta - previous_delta), kTimeWidths);
    previous_time = time;
    previous_delta = delta;

    if (exponent >= 0) {
      const auto count = static_cast<std::uint64_t>(
          static_cast<std::int64_t>(std::nearbyint(points[i].value * scale)));
      write_bucketed(writer, zigzag(count - previous_count), kGridWidths);
      previous_count = count;
    } else {
      const auto bits = std::bit_cast<std::uint64_t>(points[i].value);
      const std::uint64_t x = bits ^ previous_bits;
      previous_bits = bits;
      if (x == 0) {
        writer.write(0, 1);
        continue;
      }
      int leading = std::countl_zero(x);
      const int trailing = std::countr_zero(x);
      if (leading > 31) leading = 31;  // 5-bit field
      if (previous_leading <= 64 && leading >= previous_leading && trailing >= previous_trailing) {
        writer.write(0b10, 2);
        writer.write(x >> previous_trailing, 64 - previous_leading - previous_trailing);
      } else {
        const int length = 64 - leading - trailing;  // 1..64; 64 is sent as 0
        writer.write(0b11, 2);
        writer.write(static_cast<std::uint64_t>(leading), 5);
        writer.write(static_cast<std::uint64_t>(length & 63), 6);
        writer.write(x >> trailing, length);
        previous_leading = leading;
        previous_trailing = trailing;
      }
    }
  }
  writer.finish();
  return out;
}

std::vector<RawPoint> decode_chunk(std::span<const std::uint8_t> blob) {
  if (blob.empty()) throw std::runtime_error("history chunk empty");
  std::size_t pos = 0;
  const std::uint8_t mode = blob[pos++];
  if (mode != kModeXor && mode != kModeGrid) throw std::runtime_error("history chunk: bad mode");
  const std::uint64_t count = get_varint(blob, pos);
  // Each point costs at least one bit after the first, so a count beyond that is corrupt.
  if (count > blob.size() * 8 + 1) throw std::runtime_error("history chunk: bad count");
  std::vector<RawPoint> points;
  if (count == 0) return points;
  points.resize(count);

  int exponent = -1;
  if (mode == kModeGrid) {
    if (pos >= blob.size()) throw std::runtime_error("history chunk truncated");
    exponent = blob[pos++];
    if (exponent > kMaxGridExponent) throw std::runtime_error("history chunk: bad grid");
  }

  const std::uint64_t run_count = get_varint(blob, pos);
  std::uint64_t filled = 0;
  for (std::uint64_t r = 0; r < run_count; ++r) {
    if (pos >= blob.size()) throw std::runtime_error("history chunk truncated (runs)");
    const std::uint8_t quality = blob[pos++];
    if (quality > static_cast<std::uint8_t>(model::Quality::invalid))
      throw std::runtime_error("history chunk: bad quality");
    const std::uint64_t length = get_varint(blob, pos);
    if (length > count - filled) throw std::runtime_error("history chunk: runs overflow");
    for (std::uint64_t i = 0; i < length; ++i)
      points[filled + i].quality = static_cast<model::Quality>(quality);
    filled += length;
  }
  if (filled != count) throw std::runtime_error("history chunk: runs do not cover points");

  BitReader reader(blob, pos);
  std::uint64_t previous_time = reader.read(64);
  std::uint64_t previous_delta = 0;
  points[0].time_ms = static_cast<std::int64_t>(previous_time);

  const double scale = exponent >= 0 ? kScales[static_cast<std::size_t>(exponent)] : 1.0;
  std::uint64_t previous_count = 0;
  std::uint64_t previous_bits = 0;
  int previous_leading = 0;
  int previous_trailing = 0;
  if (exponent >= 0) {
    previous_count = unzigzag(reader.read(64));
    points[0].value = static_cast<double>(static_cast<std::int64_t>(previous_count)) / scale;
  } else {
    previous_bits = reader.read(64);
    points[0].value = std::bit_cast<double>(previous_bits);
  }

  for (std::size_t i = 1; i < count; ++i) {
    previous_delta += unzigzag(read_bucketed(reader, kTimeWidths));
    previous_time += previous_delta;
    points[i].time_ms = static_cast<std::int64_t>(previous_time);

    if (exponent >= 0) {
      previous_count += unzigzag(read_bucketed(reader, kGridWidths));
      points[i].value = static_cast<double>(static_cast<std::int64_t>(previous_count)) / scale;
    } else {
      if (reader.read_bit()) {
        if (reader.read_bit()) {
          previous_leading = static_cast<int>(reader.read(5));
          int length = static_cast<int>(reader.read(6));
          if (length == 0) length = 64;
          if (previous_leading + length > 64) throw std::runtime_error("history chunk: bad xor");
          previous_trailing = 64 - previous_leading - length;
        }
        const int width = 64 - previous_leading - previous_trailing;
        previous_bits ^= reader.read(width) << previous_trailing;
      }
      points[i].value = std::bit_cast<double>(previous_bits);
    }
  }
  return points;
}

}  // namespace btms::history
