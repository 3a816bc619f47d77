// Discharge endpoints of /api/v1: the recorded discharges (history store) merged with the ones
// running now (engine), one record by id, and one discharge's curves as a wide CSV (string
// voltage, string current, every battery's voltage) from the raw tier of the history store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "history/history_store.hpp"
#include "model/discharge_record.hpp"
#include "web/router.hpp"

namespace btms::web {

struct OperatorContext;

inline constexpr std::int64_t kDischargesDefaultSpan_ms = 365LL * 86'400'000;
inline constexpr std::size_t kDischargesDefaultLimit = 100;
inline constexpr std::size_t kDischargesMaxLimit = 1000;

// "<string_id>-<start_ms>", e.g. "1-1767225600000".
std::string discharge_id(const model::DischargeRecord& record);
struct DischargeKey {
  int string_id = 0;
  std::int64_t start_ms = 0;
};
std::optional<DischargeKey> parse_discharge_id(std::string_view id);

// The channels exported for a discharge of string_id with `batteries` batteries, in CSV order.
std::vector<std::string> discharge_channels(int string_id, int batteries);
// One row per time stamp present in any series (ascending), one column per series (bucket
// mean; empty cell where that series has no bucket), CRLF line ends:
// time,string/1/voltage,...\r\n2026-01-01T00:00:00.000Z,540.1,...
std::string discharge_csv(const std::vector<std::string>& channels,
                          const std::vector<history::ChannelSeries>& series);

// Adds GET /api/v1/discharges and /api/v1/discharges/{id}[.csv] (viewer, blocking: they read
// SQLite). ctx must outlive the router.
void add_discharge_routes(Router& router, const OperatorContext& ctx);

}  // namespace btms::web
