#include "web/history_handlers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "web/api_handlers.hpp"

namespace btms::web {

namespace {

constexpr std::int64_t kDay_ms = 86'400'000;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};
Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
unsigned days_in_month(std::int64_t y, unsigned m) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n decimal digits at pos; advances pos.
bool read_digits(std::string_view text, std::size_t& pos, std::size_t n, unsigned& out) {
  if (pos + n > text.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  return true;
}

std::optional<std::int64_t> parse_iso(std::string_view t) {
  std::size_t pos = 0;
  unsigned year = 0, month = 0, day = 0;
  if (!read_digits(t, pos, 4, year) || pos >= t.size() || t[pos++] != '-' ||
      !read_digits(t, pos, 2, month) || pos >= t.size() || t[pos++] != '-' ||
      !read_digits(t, pos, 2, day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
  std::int64_t ms = days_from_civil(year, month, day) * kDay_ms;
  if (pos == t.size()) return ms;  // a bare date is midnight UTC
  if (t[pos] != 'T' && t[pos] != 't') return std::nullopt;
  ++pos;
  unsigned hour = 0, minute = 0, second = 0;
  if (!read_digits(t, pos, 2, hour) || pos >= t.size() || t[pos++] != ':' ||
      !read_digits(t, pos, 2, minute)) {
    return std::nullopt;
  }
  if (pos < t.size() && t[pos] == ':') {
    ++pos;
    if (!read_digits(t, pos, 2, second)) return std::nullopt;
    if (pos < t.size() && (t[pos] == '.' || t[pos] == ',')) {
      ++pos;
      // Fraction: the first three digits are ms, further digits are truncated.
      unsigned frac_ms = 0;
      std::size_t digits = 0;
      while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
        if (digits < 3) frac_ms = frac_ms * 10 + static_cast<unsigned>(t[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0 || digits > 9) return std::nullopt;
      for (std::size_t i = digits; i < 3; ++i) frac_ms *= 10;
      ms += frac_ms;
    }
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  ms += ((static_cast<std::int64_t>(hour) * 60 + minute) * 60 + second) * 1000;
  if (pos >= t.size()) return std::nullopt;  // no zone designator: local time is ambiguous
  const char zone = t[pos++];
  if (zone == 'Z' || zone == 'z') return pos == t.size() ? std::optional(ms) : std::nullopt;
  // A '+' in a query string arrives as a space when the client did not escape it.
  if (zone != '+' && zone != '-' && zone != ' ') return std::nullopt;
  unsigned off_h = 0, off_m = 0;
  if (!read_digits(t, pos, 2, off_h)) return std::nullopt;
  if (pos < t.size() && t[pos] == ':') ++pos;
  if (pos < t.size() && !read_digits(t, pos, 2, off_m)) return std::nullopt;
  if (pos != t.size() || off_h > 23 || off_m > 59) return std::nullopt;
  const std::int64_t offset_ms = (static_cast<std::int64_t>(off_h) * 60 + off_m) * 60'000;
  // Local time = UTC + offset, so UTC = local - offset.
  return zone == '-' ? ms + offset_ms : ms - offset_ms;
}

// All key=value pairs in order (repeats kept, unlike parse_target), or the reason it is
// malformed.
std::variant<std::vector<QueryParam>, std::string> query_params(std::string_view target) {
  auto params = parse_query(target);
  if (!params) return std::string("malformed query string");
  return std::move(*params);
}

// Sets once; a second occurrence is an error rather than silently ignored.
bool take_once(std::optional<std::string>& slot, const QueryParam& p, std::string& error) {
  if (slot) {
    error = "parameter '" + p.key + "' given more than once";
    return false;
  }
  slot = p.value;
  return true;
}

// Fills from_ms/to_ms from the optional texts: to defaults to now, from to to - span.
std::optional<std::string> resolve_range(const std::optional<std::string>& from,
                                         const std::optional<std::string>& to, std::int64_t now_ms,
                                         std::int64_t default_span_ms, std::int64_t& from_ms,
                                         std::int64_t& to_ms) {
  to_ms = now_ms;
  if (to) {
    const auto t = parse_time_ms(*to);
    if (!t) return "unparsable time to='" + *to + "' (Unix ms or ISO-8601 with zone)";
    to_ms = *t;
  }
  from_ms = to_ms - default_span_ms;
  if (from) {
    const auto f = parse_time_ms(*from);
    if (!f) return "unparsable time from='" + *from + "' (Unix ms or ISO-8601 with zone)";
    from_ms = *f;
  }
  return std::nullopt;
}

void append_json_string(std::string& out, std::string_view text) {
  // nlohmann escapes correctly; replace keeps a stray invalid byte from throwing.
  out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_number(std::string& out, double v) {
  if (std::isfinite(v)) {
    fmt::format_to(std::back_inserter(out), "{}", v);
  } else {
    out += "null";
  }
}

void append_csv_field(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += text;
    return;
  }
  out.push_back('"');
  for (const char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

Response no_store(Response r) {
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// Runs the query; the store's std::invalid_argument becomes a 400 with its reason.
std::variant<std::vector<history::ChannelSeries>, Response> run_history_query(
    const HistoryContext& ctx, const Request& request, HistoryQuery& query) {
  if (!ctx.store) return json_error(503, "no history store configured");
  auto parsed = parse_history_query(request.target, ctx.clock->now_ms());
  if (auto* error = std::get_if<std::string>(&parsed)) return json_error(400, *error);
  query = std::move(std::get<HistoryQuery>(parsed));
  try {
    return ctx.store->query(query.channels, query.from_ms, query.to_ms, query.points);
  } catch (const std::invalid_argument& e) {
    return json_error(400, e.what());
  }
}

}  // namespace

std::optional<std::int64_t> parse_time_ms(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find('-', 1) == std::string_view::npos && text.find(':') == std::string_view::npos) {
    return parse_int64(text);
  }
  return parse_iso(text);
}

std::string format_iso_ms(std::int64_t time_ms) {
  // Floor division so times before 1970 still format correctly.
  std::int64_t days = time_ms / kDay_ms;
  std::int64_t rem = time_ms % kDay_ms;
  if (rem < 0) {
    rem += kDay_ms;
    --days;
  }
  const auto c = civil_from_days(days);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.year, c.month, c.day,
                     rem / 3'600'000, rem / 60'000 % 60, rem / 1000 % 60, rem % 1000);
}

std::string_view to_string(history::Tier tier) {
  switch (tier) {
    case history::Tier::raw:
      return "raw";
    case history::Tier::minute:
      return "minute";
    case history::Tier::hour:
      return "hour";
  }
  return "unknown";
}

std::variant<HistoryQuery, std::string> parse_history_query(std::string_view target,
                                                            std::int64_t now_ms) {
  auto params = query_params(target);
  if (auto* error = std::get_if<std::string>(&params)) return *error;
  HistoryQuery q;
  std::optional<std::string> from, to, points;
  std::string error;
  for (const auto& p : std::get<std::vector<QueryParam>>(params)) {
    if (p.key == "channel") {
      if (p.value.empty()) return std::string("empty channel name");
      q.channels.push_back(p.value);
    } else if (p.key == "from") {
      if (!take_once(from, p, error)) return error;
    } else if (p.key == "to") {
      if (!take_once(to, p, error)) return error;
    } else if (p.key == "points") {
      if (!take_once(points, p, error)) return error;
    } else {
      return "unknown query parameter: " + p.key;
    }
  }
  if (q.channels.empty()) return std::string("at least one channel parameter is required");
  if (q.channels.size() > static_cast<std::size_t>(kHistoryMaxChannels)) {
    return fmt::format("too many channels: {} (at most {})", q.channels.size(),
                       kHistoryMaxChannels);
  }
  if (points) {
    const auto n = parse_int64(*points);
    if (!n || *n < -1'000'000'000 || *n > 1'000'000'000) {
      return "unparsable points='" + *points + "' (an integer)";
    }
    q.points = static_cast<int>(*n);  // the store checks the range and says why
  }
  if (auto e = resolve_range(from, to, now_ms, kHistoryDefaultSpan_ms, q.from_ms, q.to_ms)) {
    return *e;
  }
  return q;
}

std::variant<EventsQuery, std::string> parse_events_query(std::string_view target,
                                                          std::int64_t now_ms) {
  auto params = query_params(target);
  if (auto* error = std::get_if<std::string>(&params)) return *error;
  EventsQuery q;
  std::optional<std::string> from, to, limit;
  std::string error;
  for (const auto& p : std::get<std::vector<QueryParam>>(params)) {
    if (p.key == "from") {
      if (!take_once(from, p, error)) return error;
    } else if (p.key == "to") {
      if (!take_once(to, p, error)) return error;
    } else if (p.key == "limit") {
      if (!take_once(limit, p, error)) return error;
    } else {
      return "unknown query parameter: " + p.key;
    }
  }
  if (limit) {
    const auto n = parse_int64(*limit);
    if (!n) return "unparsable limit='" + *limit + "' (an integer)";
    if (*n < 1 || *n > static_cast<std::int64_t>(kEventsMaxLimit)) {
      return fmt::format("limit must be 1..{}, got {}", kEventsMaxLimit, *n);
    }
    q.limit = static_cast<std::size_t>(*n);
  }
  if (auto e = resolve_range(from, to, now_ms, kEventsDefaultSpan_ms, q.from_ms, q.to_ms)) {
    return *e;
  }
  if (q.from_ms >= q.to_ms) {
    return fmt::format("from_ms ({}) must be before to_ms ({})", q.from_ms, q.to_ms);
  }
  return q;
}

std::string history_json(const std::vector<history::ChannelSeries>& series,
                         const HistoryQuery& query,
                         const std::function<std::string(const std::string&)>& unit_of) {
  // Written by hand: 32 channels x 10,000 buckets would build a large json tree otherwise.
  std::string out;
  std::size_t buckets = 0;
  for (const auto& s : series) buckets += s.buckets.size();
  out.reserve(256 + buckets * 64);
  // The store picks one tier and width for the whole answer (they depend on span and points).
  const auto tier = series.empty() ? history::Tier::raw : series.front().tier;
  const auto bucket_ms = series.empty() ? 0 : series.front().bucket_ms;
  fmt::format_to(std::back_inserter(out),
                 "{{\"tier\":\"{}\",\"bucket_ms\":{},\"from_ms\":{},\"to_ms\":{},\"points\":{},"
                 "\"series\":[",
                 to_string(tier), bucket_ms, query.from_ms, query.to_ms, query.points);
  bool first_series = true;
  for (const auto& s : series) {
    if (!first_series) out.push_back(',');
    first_series = false;
    out += "{\"channel\":";
    append_json_string(out, s.channel);
    out += ",\"unit\":";
    append_json_string(out, unit_of(s.channel));
    out += ",\"buckets\":[";
    bool first = true;
    for (const auto& b : s.buckets) {
      if (!first) out.push_back(',');
      first = false;
      fmt::format_to(std::back_inserter(out), "[{},", b.time_ms);
      append_number(out, b.min);
      out.push_back(',');
      append_number(out, b.max);
      out.push_back(',');
      append_number(out, b.mean);
      fmt::format_to(std::back_inserter(out), ",{}]", b.count);
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

std::string history_csv(const std::vector<history::ChannelSeries>& series) {
  std::string out = "time_iso,channel,min,max,mean,count\r\n";
  for (const auto& s : series) {
    for (const auto& b : s.buckets) {
      out += format_iso_ms(b.time_ms);
      out.push_back(',');
      append_csv_field(out, s.channel);
      // Empty fields rather than "null": spreadsheets read them as missing.
      for (const double v : {b.min, b.max, b.mean}) {
        out.push_back(',');
        if (std::isfinite(v)) fmt::format_to(std::back_inserter(out), "{}", v);
      }
      fmt::format_to(std::back_inserter(out), ",{}\r\n", b.count);
    }
  }
  return out;
}

std::string events_json(const std::vector<model::Event>& events, const EventsQuery& query) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : events) {
    list.push_back(nlohmann::json{
        {"id", e.id},
        {"time_ms", e.time_ms},
        {"time_iso", format_iso_ms(e.time_ms)},
        {"kind", model::to_string(e.kind)},
        {"severity", model::to_string(e.severity)},
        {"source", e.source},
        {"rule", e.rule},
        {"text", e.text},
        {"user", e.user},
        {"value", std::isfinite(e.value) ? nlohmann::json(e.value) : nlohmann::json(nullptr)}});
  }
  const nlohmann::json j{{"from_ms", query.from_ms},
                         {"to_ms", query.to_ms},
                         {"limit", query.limit},
                         // The store returns the newest `limit`; a full page may hide older ones.
                         {"limit_reached", events.size() >= query.limit},
                         {"events", std::move(list)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void add_history_routes(Router& router, const HistoryContext& ctx) {
  router.add(Route{"/api/v1/history",
                   {"GET"},
                   Role::viewer,
                   [&ctx](const Request& request, const ParsedTarget&) {
                     HistoryQuery query;
                     auto result = run_history_query(ctx, request, query);
                     if (auto* error = std::get_if<Response>(&result)) return std::move(*error);
                     const auto plant = ctx.plant ? ctx.plant->latest() : nullptr;
                     const auto derived = ctx.derived ? ctx.derived->latest() : nullptr;
                     const auto unit_of = [&](const std::string& name) -> std::string {
                       for (const auto* snap : {plant.get(), derived.get()}) {
                         if (snap == nullptr || !snap->channels) continue;
                         if (const auto id = snap->channels->find(name))
                           return snap->channels->info(*id).unit;
                       }
                       return {};
                     };
                     Response r;
                     r.body = history_json(std::get<std::vector<history::ChannelSeries>>(result),
                                           query, unit_of);
                     return no_store(std::move(r));
                   }});
  router.add(Route{"/api/v1/history.csv",
                   {"GET"},
                   Role::viewer,
                   [&ctx](const Request& request, const ParsedTarget&) {
                     HistoryQuery query;
                     auto result = run_history_query(ctx, request, query);
                     if (auto* error = std::get_if<Response>(&result)) return std::move(*error);
                     Response r;
                     r.content_type = "text/csv; charset=utf-8";
                     r.body = history_csv(std::get<std::vector<history::ChannelSeries>>(result));
                     r.headers.emplace_back(
                         "Content-Disposition",
                         fmt::format("attachment; filename=\"btms-history-{}-{}.csv\"",
                                     query.from_ms, query.to_ms));
                     return no_store(std::move(r));
                   }});
  router.add(Route{
      "/api/v1/events", {"GET"}, Role::viewer, [&ctx](const Request& request, const ParsedTarget&) {
        if (!ctx.store) return json_error(503, "no history store configured");
        auto parsed = parse_events_query(request.target, ctx.clock->now_ms());
        if (auto* error = std::get_if<std::string>(&parsed)) return json_error(400, *error);
        const auto& query = std::get<EventsQuery>(parsed);
        Response r;
        r.body = events_json(ctx.store->events(query.from_ms, query.to_ms, query.limit), query);
        return no_store(std::move(r));
      }});
}

std::vector<history::ChannelSeries> query_known_channels(history::HistoryStore& store,
                                                         const std::vector<std::string>& channels,
                                                         std::int64_t from_ms, std::int64_t to_ms,
                                                         int points) {
  constexpr std::size_t kChannelsPerQuery = kHistoryMaxChannels;
  std::vector<history::ChannelSeries> out;
  for (std::size_t first = 0; first < channels.size(); first += kChannelsPerQuery) {
    const auto last = std::min(channels.size(), first + kChannelsPerQuery);
    const std::vector<std::string> batch(channels.begin() + static_cast<std::ptrdiff_t>(first),
                                         channels.begin() + static_cast<std::ptrdiff_t>(last));
    try {
      auto series = store.query(batch, from_ms, to_ms, points);
      for (auto& s : series) out.push_back(std::move(s));
    } catch (const std::invalid_argument&) {
      for (const auto& channel : batch) {
        try {
          auto series = store.query({channel}, from_ms, to_ms, points);
          for (auto& s : series) out.push_back(std::move(s));
        } catch (const std::invalid_argument&) {
          // unknown channel: no data
        }
      }
    }
  }
  return out;
}

}  // namespace btms::web
