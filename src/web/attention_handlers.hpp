// GET /api/v1/attention: every battery of the site (or of one string) with what the monitor
// advises doing about it, most urgent first. The figures come from the latest published
// snapshots (live values, learned baselines, SOH), the history store (resistance trend,
// temperature over the window) and the recorded discharges (weakest block); the judgement is
// battery_attention.hpp's. Reads SQLite: a blocking route, never on an io thread.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "web/api_handlers.hpp"
#include "web/router.hpp"

namespace btms::web {

inline constexpr int kAttentionDefaultDays = 90;
inline constexpr int kAttentionMaxDays = 3650;
inline constexpr std::size_t kAttentionRecentDischarges = 3;

struct AttentionQuery {
  int string_id = 0;  // 0 = every string
  int days = kAttentionDefaultDays;
};
// The reason when a parameter is unknown or out of range (string 1..999, days 1..3650).
std::variant<AttentionQuery, std::string> parse_attention_query(const ParsedTarget& target);

// The answer's JSON (documented in docs/api.md); throws what the history store throws.
std::string attention_json(const ApiContext& ctx, const AttentionQuery& query);

// Adds GET /api/v1/attention (viewer, blocking). ctx must outlive the router.
void add_attention_routes(Router& router, const ApiContext& ctx);

}  // namespace btms::web
