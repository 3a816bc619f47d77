// Compression of a channel's minute rollups of one hour (up to 60 rows of min, max, sum,
// count) into one blob: each column is a series for the chunk codec (steady 60 s timestamps
// cost a bit each; min, max and the sum of grid values lie on the sensor's grid and take a few
// bits; other values are XOR-coded doubles). A few bytes per minute instead of ~41 B for a
// table row per minute, which makes the minute tier, kept for years, affordable on a
// gateway's disk. Min, max, count and times round-trip exactly, sums within a few ulps.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "history/queued_store.hpp"

namespace btms::history {

std::vector<std::uint8_t> encode_rollups(std::span<const RollupDelta> rows);

// Throws std::runtime_error on a corrupt or truncated blob.
std::vector<RollupDelta> decode_rollups(std::span<const std::uint8_t> blob);

}  // namespace btms::history
