#include "history/rollup_codec.hpp"

#include <stdexcept>

#include "history/chunk_codec.hpp"

namespace btms::history {
namespace {

constexpr int kColumns = 4;  // min, max, sum, count

void put_size(std::vector<std::uint8_t>& out, std::size_t size) {
  for (int byte = 0; byte < 4; ++byte) out.push_back(static_cast<std::uint8_t>(size >> (8 * byte)));
}

}  // namespace

std::vector<std::uint8_t> encode_rollups(std::span<const RollupDelta> rows) {
  std::vector<std::uint8_t> out;
  std::vector<RawPoint> column(rows.size());
  for (int c = 0; c < kColumns; ++c) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& row = rows[i];
      const double value = c == 0   ? row.min
                           : c == 1 ? row.max
                           : c == 2 ? row.sum
                                    : static_cast<double>(row.count);
      column[i] = {row.bucket_ms, value, model::Quality::ok};
    }
    const auto encoded = encode_chunk(column);
    put_size(out, encoded.size());
    out.insert(out.end(), encoded.begin(), encoded.end());
  }
  return out;
}

std::vector<RollupDelta> decode_rollups(std::span<const std::uint8_t> blob) {
  std::vector<RollupDelta> rows;
  std::size_t at = 0;
  for (int c = 0; c < kColumns; ++c) {
    if (blob.size() - at < 4) throw std::runtime_error("rollup chunk: truncated");
    std::size_t size = 0;
    for (int byte = 0; byte < 4; ++byte) size |= std::size_t{blob[at + byte]} << (8 * byte);
    at += 4;
    if (blob.size() - at < size) throw std::runtime_error("rollup chunk: truncated");
    const auto column = decode_chunk(blob.subspan(at, size));
    at += size;
    if (c == 0) rows.resize(column.size());
    if (column.size() != rows.size()) throw std::runtime_error("rollup chunk: columns differ");
    for (std::size_t i = 0; i < rows.size(); ++i) {
      auto& row = rows[i];
      row.bucket_ms = column[i].time_ms;
      if (c == 0) row.min = column[i].value;
      if (c == 1) row.max = column[i].value;
      if (c == 2) row.sum = column[i].value;
      if (c == 3) row.count = static_cast<std::uint64_t>(column[i].value);
    }
  }
  if (at != blob.size()) throw std::runtime_error("rollup chunk: trailing bytes");
  return rows;
}

}  // namespace btms::history
