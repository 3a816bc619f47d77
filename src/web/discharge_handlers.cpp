#include "web/discharge_handlers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/capacity_test.hpp"
#include "web/api_handlers.hpp"
#include "web/history_handlers.hpp"
#include "web/json_body.hpp"
#include "web/operator_handlers.hpp"

namespace btms::web {

namespace {

using nlohmann::json;

constexpr std::string_view kNoHistory = "no history store configured";
constexpr std::string_view kDischargesPrefix = "/api/v1/discharges/";
// Buckets of at least this width: finer than any sampling period of the field bus, so the raw
// tier answers sample by sample.
constexpr std::int64_t kMinBucket_ms = 100;
constexpr int kMaxPoints = 10'000;

json finite_or_null(double value) {
  return std::isfinite(value) ? json(value) : json(nullptr);
}

json record_json(const model::DischargeRecord& d, std::int64_t now_ms) {
  const bool running = d.end_ms == 0;
  const auto end_ms = running ? std::max(now_ms, d.start_ms) : d.end_ms;
  json min_voltages = json::array();
  for (const double v : d.min_battery_voltage_V) min_voltages.push_back(finite_or_null(v));
  return json{
      {"id", discharge_id(d)},
      {"string_id", d.string_id},
      {"start_ms", d.start_ms},
      {"end_ms", d.end_ms},
      {"duration_min", static_cast<double>(end_ms - d.start_ms) / 60'000.0},
      {"ah_out", finite_or_null(d.ah_out)},
      {"energy_out_kWh", finite_or_null(d.energy_out_kWh)},
      {"min_string_voltage_V", finite_or_null(d.min_string_voltage_V)},
      {"peak_current_A", finite_or_null(d.peak_current_A)},
      {"weakest_position", d.weakest_position},
      {"min_battery_voltage_V", std::move(min_voltages)},
      {"predicted_runtime_min", finite_or_null(d.predicted_runtime_min)},
      {"actual_runtime_min", finite_or_null(d.actual_runtime_min)},
      {"soc_start_pct", finite_or_null(d.soc_start_pct)},
      {"soc_end_pct", finite_or_null(d.soc_end_pct)},
      {"measured_capacity_pct",
       d.measured_capacity_pct > 0.0 ? finite_or_null(d.measured_capacity_pct) : json(nullptr)},
      {"running", running}};
}

// Whether the discharge measured the string's capacity and whether that passes: the measurement
// the engine stored at its end (under the limits of that moment), judged against the pass limit
// in force now; for one that was no test, the reason in words (model/capacity_test.hpp, the
// engine's own decision). Null when the string or its battery type is not known.
// config: the engine's configuration, read once per answer (null without an engine).
json capacity_test_json(const OperatorContext& ctx, const engine::EngineConfig* config,
                        const model::DischargeRecord& d) {
  if (!ctx.site || config == nullptr) return nullptr;
  const auto* string = ctx.site->find_string(d.string_id);
  const auto* type = string ? ctx.site->find_battery_type(string->battery_type) : nullptr;
  if (type == nullptr) return nullptr;
  const auto& limits = config->limits(d.string_id).string;
  json j{{"pass_pct", limits.capacity_test_pass_pct}, {"rated_Ah", type->capacity_Ah}};
  if (d.end_ms == 0) {
    j["result"] = "running";
    j["reason"] = "still running";
    return j;
  }
  if (d.measured_capacity_pct > 0.0) {
    const double pct = std::round(d.measured_capacity_pct * 10.0) / 10.0;
    j["measured_pct"] = pct;
    j["result"] = pct >= limits.capacity_test_pass_pct ? "pass" : "fail";
    j["reason"] = fmt::format("{:.1f} % of the rated {:.0f} Ah at C10, {} the pass limit {:.0f} %",
                              pct, type->capacity_Ah,
                              pct >= limits.capacity_test_pass_pct ? "at or above" : "below",
                              limits.capacity_test_pass_pct);
    return j;
  }
  const auto m = model::measure_capacity(
      d, *type, type->cells * string->batteries,
      {limits.capacity_test_end_per_cell_V, limits.capacity_test_max_rate_C});
  j["result"] = "not_a_test";
  j["reason"] = m.capacity_pct ? std::string(
                                     "not measured when it ended (recorded before "
                                     "capacities were kept, or under other limits)")
                               : "no capacity test: " + m.not_measured_because;
  return j;
}

struct ListQuery {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  int string_id = 0;  // 0 = all
  std::size_t limit = kDischargesDefaultLimit;
};

std::variant<ListQuery, std::string> parse_list_query(std::string_view target,
                                                      std::int64_t now_ms) {
  const auto params = parse_query(target);
  if (!params) return std::string("malformed query string");
  ListQuery q;
  q.to_ms = now_ms;
  std::optional<std::int64_t> from;
  std::set<std::string> seen;
  for (const auto& [key, value] : *params) {
    if (!seen.insert(key).second) return "repeated parameter: " + key;
    if (key == "from" || key == "to") {
      const auto time = parse_time_ms(value);
      if (!time) return fmt::format("unparsable time {}='{}'", key, value);
      if (key == "from") {
        from = *time;
      } else {
        q.to_ms = *time;
      }
    } else if (key == "string") {
      const auto id = parse_int64(value);
      if (!id || *id < 1 || *id > 999) return "string must be a string id 1..999";
      q.string_id = static_cast<int>(*id);
    } else if (key == "limit") {
      const auto limit = parse_int64(value);
      if (!limit || *limit < 1 || *limit > static_cast<std::int64_t>(kDischargesMaxLimit)) {
        return fmt::format("limit must be 1..{}", kDischargesMaxLimit);
      }
      q.limit = static_cast<std::size_t>(*limit);
    } else {
      return "unknown query parameter: " + key;
    }
  }
  q.from_ms = from ? *from : q.to_ms - kDischargesDefaultSpan_ms;
  if (q.from_ms >= q.to_ms) return std::string("from must be before to");
  return q;
}

std::vector<model::DischargeRecord> running_of(const OperatorContext& ctx) {
  return ctx.engine ? ctx.engine->running_discharges() : std::vector<model::DischargeRecord>{};
}

Response list_discharges(const OperatorContext& ctx, const Request& request) {
  if (!ctx.history) return no_store_error(503, kNoHistory);
  const auto now_ms = ctx.clock->now_ms();
  auto parsed = parse_list_query(request.target, now_ms);
  if (auto* reason = std::get_if<std::string>(&parsed)) return no_store_error(400, *reason);
  const auto& q = std::get<ListQuery>(parsed);
  std::vector<model::DischargeRecord> records;
  try {
    records = ctx.history->discharges(q.from_ms, q.to_ms, q.string_id, q.limit);
  } catch (const std::invalid_argument& e) {
    return no_store_error(400, e.what());
  } catch (const std::exception& e) {
    return no_store_error(500, fmt::format("history store: {}", e.what()));
  }
  std::set<std::string> stored;
  for (const auto& r : records) stored.insert(discharge_id(r));
  for (auto& r : running_of(ctx)) {
    const bool wanted = (q.string_id == 0 || r.string_id == q.string_id) &&
                        r.start_ms >= q.from_ms && r.start_ms < q.to_ms;
    // A discharge that just ended may be stored and still listed as running for one step.
    if (wanted && !stored.contains(discharge_id(r))) records.push_back(std::move(r));
  }
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return a.start_ms != b.start_ms ? a.start_ms < b.start_ms : a.string_id < b.string_id;
  });
  // Newest last: keep the newest `limit`.
  if (records.size() > q.limit) {
    records.erase(records.begin(),
                  records.begin() + static_cast<std::ptrdiff_t>(records.size() - q.limit));
  }
  json list = json::array();
  // One copy of the configuration for every record (the engine may replace it meanwhile).
  const auto config = ctx.engine ? std::optional(ctx.engine->config()) : std::nullopt;
  for (const auto& r : records) {
    auto j = record_json(r, now_ms);
    j["capacity_test"] = capacity_test_json(ctx, config ? &*config : nullptr, r);
    list.push_back(std::move(j));
  }
  return no_store_json(200, json{{"discharges", std::move(list)}});
}

std::optional<model::DischargeRecord> find_discharge(const OperatorContext& ctx,
                                                     const DischargeKey& key) {
  const auto same = [&](const model::DischargeRecord& r) {
    return r.string_id == key.string_id && r.start_ms == key.start_ms;
  };
  for (auto& r : running_of(ctx)) {
    if (same(r)) return std::move(r);
  }
  if (key.start_ms == INT64_MAX) return std::nullopt;
  for (auto& r : ctx.history->discharges(key.start_ms, key.start_ms + 1, key.string_id, 1)) {
    if (same(r)) return std::move(r);
  }
  return std::nullopt;
}

// Every series over [from_ms, to_ms), sample by sample (buckets of at least kMinBucket_ms).
std::vector<history::ChannelSeries> query_all(history::HistoryStore& store,
                                              const std::vector<std::string>& channels,
                                              std::int64_t from_ms, std::int64_t to_ms) {
  const auto span_ms = to_ms - from_ms;
  const int points =
      static_cast<int>(std::clamp<std::int64_t>(span_ms / kMinBucket_ms, 1, kMaxPoints));
  return query_known_channels(store, channels, from_ms, to_ms, points);
}

Response one_discharge(const OperatorContext& ctx, const ParsedTarget& target) {
  if (!target.query.empty()) {
    return no_store_error(400, "unknown query parameter: " + target.query.begin()->first);
  }
  if (!ctx.history) return no_store_error(503, kNoHistory);
  std::string_view id = std::string_view(target.path).substr(kDischargesPrefix.size());
  const bool csv = id.ends_with(".csv");
  if (csv) id.remove_suffix(4);
  const auto key = parse_discharge_id(id);
  if (!key) return no_store_error(404, fmt::format("no such discharge: '{}'", id));
  std::optional<model::DischargeRecord> record;
  try {
    record = find_discharge(ctx, *key);
  } catch (const std::invalid_argument& e) {
    return no_store_error(400, e.what());
  } catch (const std::exception& e) {
    return no_store_error(500, fmt::format("history store: {}", e.what()));
  }
  if (!record) return no_store_error(404, fmt::format("no such discharge: '{}'", id));
  const auto now_ms = ctx.clock->now_ms();
  if (!csv) {
    auto j = record_json(*record, now_ms);
    const auto config = ctx.engine ? std::optional(ctx.engine->config()) : std::nullopt;
    j["capacity_test"] = capacity_test_json(ctx, config ? &*config : nullptr, *record);
    return no_store_json(200, j);
  }

  int batteries = static_cast<int>(record->min_battery_voltage_V.size());
  if (ctx.site) {
    if (const auto* s = ctx.site->find_string(record->string_id)) batteries = s->batteries;
  }
  const auto channels = discharge_channels(record->string_id, batteries);
  const auto to_ms = std::max(record->end_ms == 0 ? now_ms : record->end_ms, record->start_ms + 1);
  Response r;
  r.content_type = "text/csv; charset=utf-8";
  try {
    r.body = discharge_csv(channels, query_all(*ctx.history, channels, record->start_ms, to_ms));
  } catch (const std::exception& e) {
    return no_store_error(500, fmt::format("history store: {}", e.what()));
  }
  r.headers.emplace_back("Content-Disposition",
                         fmt::format("attachment; filename=\"btms-discharge-{}.csv\"", id));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

std::string discharge_id(const model::DischargeRecord& record) {
  return fmt::format("{}-{}", record.string_id, record.start_ms);
}

std::optional<DischargeKey> parse_discharge_id(std::string_view id) {
  const auto dash = id.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto string_id = parse_int64(id.substr(0, dash));
  const auto start_ms = parse_int64(id.substr(dash + 1));
  if (!string_id || !start_ms || *string_id < 1 || *string_id > 999 || *start_ms < 0) {
    return std::nullopt;
  }
  return DischargeKey{static_cast<int>(*string_id), *start_ms};
}

std::vector<std::string> discharge_channels(int string_id, int batteries) {
  std::vector<std::string> channels{fmt::format("string/{}/voltage", string_id),
                                    fmt::format("string/{}/current", string_id)};
  for (int k = 1; k <= batteries; ++k) {
    channels.push_back(fmt::format("battery/{}/{}/voltage", string_id, k));
  }
  return channels;
}

std::string discharge_csv(const std::vector<std::string>& channels,
                          const std::vector<history::ChannelSeries>& series) {
  // time -> one cell per channel (column order = channels)
  std::map<std::int64_t, std::vector<std::optional<double>>> rows;
  for (const auto& s : series) {
    const auto column = std::find(channels.begin(), channels.end(), s.channel);
    if (column == channels.end()) continue;
    const auto index = static_cast<std::size_t>(column - channels.begin());
    for (const auto& b : s.buckets) {
      auto& row = rows[b.time_ms];
      row.resize(channels.size());
      row[index] = b.mean;
    }
  }
  std::string out = "time";
  for (const auto& c : channels) out += "," + c;
  out += "\r\n";
  for (const auto& [time_ms, cells] : rows) {
    out += format_iso_ms(time_ms);
    for (const auto& cell : cells) {
      out += ',';
      if (cell && std::isfinite(*cell)) out += fmt::format("{}", *cell);
    }
    out += "\r\n";
  }
  return out;
}

void add_discharge_routes(Router& router, const OperatorContext& ctx) {
  router.add(Route{
      "/api/v1/discharges", {"GET"}, Role::viewer, [&ctx](const Request& r, const ParsedTarget&) {
        return list_discharges(ctx, r);
      }});
  router.mark_blocking("/api/v1/discharges", "GET");
  router.add(
      Route{std::string(kDischargesPrefix) + "*",
            {"GET"},
            Role::viewer,
            [&ctx](const Request&, const ParsedTarget& t) { return one_discharge(ctx, t); }});
  router.mark_blocking(std::string(kDischargesPrefix) + "*", "GET");
}

}  // namespace btms::web
