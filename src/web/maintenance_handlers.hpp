// The maintenance record in the API: GET /api/v1/maintenance (viewer) lists replacements and
// notes; POST /api/v1/maintenance (operator) records a note on a battery or string, or a battery
// replacement, which also has the engine learn that battery's resistance baseline again (a new
// block must not be judged against the old one's). Every entry is audited (action maintenance),
// refusals included. Handlers are blocking (SQLite, the engine's confirmation): worker pool only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "history/maintenance_log.hpp"
#include "web/router.hpp"

namespace btms::web {

struct OperatorContext;

inline constexpr std::size_t kMaxSerialChars = 64;
inline constexpr std::size_t kMaxMaintenanceNoteChars = 1000;
inline constexpr std::size_t kMaxMaintenanceListLimit = 5000;

// "2026-12-05": a real calendar day from 2000 on, nullopt otherwise. Returns days since
// 1970-01-01 (to compare with today).
std::optional<std::int64_t> parse_work_date(std::string_view text);

// The list query (?string=&battery=&kind=&limit=), or the reason it is refused.
std::variant<history::MaintenanceQuery, std::string> parse_maintenance_query(
    const ParsedTarget& target);

// Adds the routes; ctx must outlive the router. Answers 503 while ctx.maintenance is null.
void add_maintenance_routes(Router& router, const OperatorContext& ctx);

}  // namespace btms::web
