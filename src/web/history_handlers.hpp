// History endpoints of /api/v1: aggregated series as JSON or CSV, and the event log. They read
// the history store (history/history_store.hpp) and take units from the published snapshots'
// channel directories. Nothing here includes Beast.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "history/history_store.hpp"
#include "model/clock.hpp"
#include "model/snapshot.hpp"
#include "web/router.hpp"

namespace btms::web {

inline constexpr int kHistoryMaxChannels = 32;
inline constexpr int kHistoryDefaultPoints = 600;
inline constexpr std::int64_t kHistoryDefaultSpan_ms = 3'600'000;  // from = to - 1 h
inline constexpr std::int64_t kEventsDefaultSpan_ms = 86'400'000;  // from = to - 24 h
inline constexpr std::size_t kEventsDefaultLimit = 1000;
inline constexpr std::size_t kEventsMaxLimit = 10'000;

struct HistoryContext {
  std::shared_ptr<history::HistoryStore> store;  // null = no history configured (503)
  // Only for the unit of each channel; either may be null.
  std::shared_ptr<const model::SnapshotPublisher> plant;
  std::shared_ptr<const model::SnapshotPublisher> derived;
  // Default ranges ("the last hour") end at the gateway clock's now.
  std::shared_ptr<const model::Clock> clock = model::system_clock();
};

// Unix ms from either an integer of ms or ISO-8601 UTC / with offset:
// 2026-11-24, 2026-11-24T19:00Z, 2026-11-24T19:00:05.250+01:00 (a '+' decoded to a space by
// form encoding is taken as '+'). A date-time without zone designator is refused (ambiguous).
// nullopt when unparsable.
std::optional<std::int64_t> parse_time_ms(std::string_view text);
// 2026-11-24T19:00:05.250Z
std::string format_iso_ms(std::int64_t time_ms);

struct HistoryQuery {
  std::vector<std::string> channels;  // in the order asked; repeated channel= parameters
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  int points = kHistoryDefaultPoints;
};
// Parses the query string of a raw target (/api/v1/history?channel=a&channel=b&from=...).
// Returns the reason on malformed input: no channel, more than 32, unknown parameter,
// unparsable time or points. Range checks (from < to, points 1..10000) are the store's.
std::variant<HistoryQuery, std::string> parse_history_query(std::string_view target,
                                                            std::int64_t now_ms);

struct EventsQuery {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::size_t limit = kEventsDefaultLimit;
};
std::variant<EventsQuery, std::string> parse_events_query(std::string_view target,
                                                          std::int64_t now_ms);

// Every series of `channels` over [from_ms, to_ms) at about `points` buckets, 32 channels per
// store query. A channel the store does not know (a battery never read) is left out rather than
// failing the whole answer; other store errors propagate.
std::vector<history::ChannelSeries> query_known_channels(history::HistoryStore& store,
                                                         const std::vector<std::string>& channels,
                                                         std::int64_t from_ms, std::int64_t to_ms,
                                                         int points);
// unit_of(name) gives a channel's unit ("" when unknown).
std::string history_json(const std::vector<history::ChannelSeries>& series,
                         const HistoryQuery& query,
                         const std::function<std::string(const std::string&)>& unit_of);
std::string history_csv(const std::vector<history::ChannelSeries>& series);
std::string events_json(const std::vector<model::Event>& events, const EventsQuery& query);

std::string_view to_string(history::Tier tier);

// Adds /api/v1/history, /api/v1/history.csv and /api/v1/events. ctx must outlive the router;
// ctx.store may be set (before serving starts) after the routes are added.
void add_history_routes(Router& router, const HistoryContext& ctx);

}  // namespace btms::web
