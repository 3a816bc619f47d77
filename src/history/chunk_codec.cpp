#include "history/chunk_codec.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace btms::history {
namespace {

// Modes 0 and 1 (quality as runs in the header) are still read: databases written before the
// encoder became incremental hold them. Modes 2 and 3 code quality inline, point by point.
constexpr std::uint8_t kModeXor = 0;
constexpr std::uint8_t kModeGrid = 1;
constexpr std::uint8_t kModeXorInline = 2;
constexpr std::uint8_t kModeGridInline = 3;
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
std::uint64_t read_bucketed(BitReader& reader, const std::array<int, N>& widths) {
  std::size_t b = 0;
  while (b + 1 < N && reader.read_bit()) ++b;
  return widths[b] == 0 ? 0 : reader.read(widths[b]);
}

}  // namespace

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

namespace {
// Same tolerance as grid_exponent: rounding noise of a value computed as raw * 10^-k.
bool on_grid(double value, double scale) {
  const double scaled = value * scale;
  if (!std::isfinite(scaled) || std::fabs(scaled) > 9.0e15) return false;
  const double tolerance = std::min(1e-3, std::fabs(scaled) * 1e-14 + 1e-12);
  const double count = std::nearbyint(scaled);
  return std::fabs(scaled - count) <= tolerance && !(count == 0.0 && value != 0.0);
}
}  // namespace

ChunkEncoder::ChunkEncoder(int exponent)
    : exponent_(exponent >= 0 && exponent <= kMaxGridExponent ? exponent : -1) {}

bool ChunkEncoder::fits(double value) const {
  return exponent_ < 0 || on_grid(value, kScales[static_cast<std::size_t>(exponent_)]);
}

void ChunkEncoder::put(std::uint64_t bits, int width) {
  // Whole bytes at a time where possible: this runs for every stored value.
  while (width > 0) {
    const int room = 8 - used_;
    const int take = std::min(room, width);
    const auto chunk = static_cast<std::uint8_t>((bits >> (width - take)) & ((1U << take) - 1U));
    current_ = static_cast<std::uint8_t>((current_ << take) | chunk);
    used_ += take;
    width -= take;
    if (used_ == 8) {
      bytes_.push_back(current_);
      current_ = 0;
      used_ = 0;
    }
  }
}

template <std::size_t N>
void ChunkEncoder::put_bucketed(std::uint64_t coded, const std::array<int, N>& widths) {
  for (std::size_t b = 0; b < N; ++b) {
    const int width = widths[b];
    const bool last = b + 1 == N;
    if (last || (width == 0 ? coded == 0 : coded < (std::uint64_t{1} << width))) {
      if (b > 0) put((std::uint64_t{1} << b) - 1, static_cast<int>(b));  // b ones
      if (!last) put(0, 1);
      if (width > 0) put(coded, width);
      return;
    }
  }
}

void ChunkEncoder::append(const RawPoint& point) {
  const auto time = static_cast<std::uint64_t>(point.time_ms);
  const auto quality = static_cast<std::uint64_t>(point.quality);
  const double scale = exponent_ >= 0 ? kScales[static_cast<std::size_t>(exponent_)] : 1.0;
  if (count_ == 0) {
    bytes_.reserve(32);
    first_time_ms_ = point.time_ms;
    put(time, 64);
    put(quality, 2);
    if (exponent_ >= 0) {
      previous_count_ = static_cast<std::uint64_t>(
          static_cast<std::int64_t>(std::nearbyint(point.value * scale)));
      put(zigzag(previous_count_), 64);
    } else {
      previous_bits_ = std::bit_cast<std::uint64_t>(point.value);
      put(previous_bits_, 64);
    }
    previous_time_ = time;
    previous_quality_ = point.quality;
    ++count_;
    return;
  }
  const std::uint64_t delta = time - previous_time_;
  put_bucketed(zigzag(delta - previous_delta_), kTimeWidths);
  previous_time_ = time;
  previous_delta_ = delta;
  if (point.quality == previous_quality_) {
    put(0, 1);
  } else {
    put(0b100 | quality, 3);
    previous_quality_ = point.quality;
  }
  if (exponent_ >= 0) {
    const auto count =
        static_cast<std::uint64_t>(static_cast<std::int64_t>(std::nearbyint(point.value * scale)));
    put_bucketed(zigzag(count - previous_count_), kGridWidths);
    previous_count_ = count;
  } else {
    const auto bits = std::bit_cast<std::uint64_t>(point.value);
    const std::uint64_t x = bits ^ previous_bits_;
    previous_bits_ = bits;
    if (x == 0) {
      put(0, 1);
    } else {
      int leading = std::countl_zero(x);
      const int trailing = std::countr_zero(x);
      if (leading > 31) leading = 31;  // 5-bit field
      if (previous_leading_ <= 64 && leading >= previous_leading_ &&
          trailing >= previous_trailing_) {
        put(0b10, 2);
        put(x >> previous_trailing_, 64 - previous_leading_ - previous_trailing_);
      } else {
        const int length = 64 - leading - trailing;  // 1..64; 64 is sent as 0
        put(0b11, 2);
        put(static_cast<std::uint64_t>(leading), 5);
        put(static_cast<std::uint64_t>(length & 63), 6);
        put(x >> trailing, length);
        previous_leading_ = leading;
        previous_trailing_ = trailing;
      }
    }
  }
  ++count_;
}

std::vector<std::uint8_t> ChunkEncoder::blob(Mark upto) const {
  std::vector<std::uint8_t> out;
  const std::size_t stream_bytes = (upto.bits + 7) / 8;
  out.reserve(12 + stream_bytes);
  out.push_back(exponent_ >= 0 ? kModeGridInline : kModeXorInline);
  put_varint(out, upto.points);
  if (upto.points == 0) return out;
  if (exponent_ >= 0) out.push_back(static_cast<std::uint8_t>(exponent_));
  const std::size_t whole = std::min(upto.bits / 8, bytes_.size());
  out.insert(out.end(), bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(whole));
  if (stream_bytes > whole) {
    // The last partial byte: from the stream when the mark lies in it, else the pending bits.
    const std::uint8_t byte =
        whole < bytes_.size() ? bytes_[whole] : static_cast<std::uint8_t>(current_ << (8 - used_));
    out.push_back(byte);
  }
  return out;
}

std::vector<std::uint8_t> encode_chunk(std::span<const RawPoint> points) {
  ChunkEncoder encoder(grid_exponent(points));
  for (const auto& point : points) encoder.append(point);
  return encoder.blob();
}

namespace {
// Modes 2 and 3: quality inline after each point's time.
std::vector<RawPoint> decode_inline(std::span<const std::uint8_t> blob, std::size_t pos,
                                    std::uint64_t count, int exponent) {
  std::vector<RawPoint> points(count);
  BitReader reader(blob, pos);
  const auto read_quality = [&]() {
    return static_cast<model::Quality>(reader.read(2));  // 2 bits: always a valid Quality
  };
  std::uint64_t previous_time = reader.read(64);
  std::uint64_t previous_delta = 0;
  points[0].time_ms = static_cast<std::int64_t>(previous_time);
  points[0].quality = read_quality();
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
    points[i].quality = reader.read_bit() ? read_quality() : points[i - 1].quality;
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
}  // namespace

std::vector<RawPoint> decode_chunk(std::span<const std::uint8_t> blob) {
  if (blob.empty()) throw std::runtime_error("history chunk empty");
  std::size_t pos = 0;
  const std::uint8_t mode = blob[pos++];
  if (mode > kModeGridInline) throw std::runtime_error("history chunk: bad mode");
  static_assert(kModeXor == 0 && kModeGrid == 1, "old modes keep their numbers");
  const std::uint64_t count = get_varint(blob, pos);
  // Each point costs at least one bit after the first, so a count beyond that is corrupt.
  if (count > blob.size() * 8 + 1) throw std::runtime_error("history chunk: bad count");
  std::vector<RawPoint> points;
  if (count == 0) return points;

  int exponent = -1;
  if (mode == kModeGrid || mode == kModeGridInline) {
    if (pos >= blob.size()) throw std::runtime_error("history chunk truncated");
    exponent = blob[pos++];
    if (exponent > kMaxGridExponent) throw std::runtime_error("history chunk: bad grid");
  }
  if (mode == kModeXorInline || mode == kModeGridInline)
    return decode_inline(blob, pos, count, exponent);
  points.resize(count);

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
