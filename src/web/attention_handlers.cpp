#include "web/attention_handlers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/ids.hpp"
#include "web/battery_attention.hpp"
#include "web/history_handlers.hpp"
#include "web/json_body.hpp"

namespace btms::web {

namespace {

using nlohmann::json;

constexpr std::int64_t kDay_ms = 86'400'000;
constexpr std::int64_t kWeek_ms = 7 * kDay_ms;
// Buckets over the window: 6 h buckets over the default 90 days (the hour tier answers); a
// short history is asked again over the span it covers, so a young site still shows a trend.
constexpr int kTrendPoints = 360;
constexpr std::size_t kMinTrendBuckets = 6;
// A trend needs this much history: a slope over minutes says nothing about ageing.
constexpr std::int64_t kMinTrendSpan_ms = kDay_ms;

json number_or_null(const std::optional<double>& value, int decimals) {
  if (!value || !std::isfinite(*value)) return nullptr;
  const double scale = std::pow(10.0, decimals);
  return std::round(*value * scale) / scale;
}

// Latest good values of the two published snapshots by channel name.
class LiveValues {
 public:
  explicit LiveValues(const ApiContext& ctx)
      : plant_(ctx.plant ? ctx.plant->latest() : nullptr),
        derived_(ctx.derived ? ctx.derived->latest() : nullptr) {}

  // nullopt when the channel is unknown or its sample is not of quality ok.
  std::optional<double> good(const std::string& name) const {
    for (const auto* snapshot : {plant_.get(), derived_.get()}) {
      if (!snapshot || !snapshot->channels) continue;
      if (const auto id = snapshot->channels->find(name)) {
        const auto& sample = snapshot->samples.at(*id);
        if (sample.quality != model::Quality::ok || !std::isfinite(sample.value))
          return std::nullopt;
        return sample.value;
      }
    }
    return std::nullopt;
  }
  bool known_and_ok(const std::string& name) const {
    for (const auto* snapshot : {plant_.get(), derived_.get()}) {
      if (!snapshot || !snapshot->channels) continue;
      if (const auto id = snapshot->channels->find(name))
        return snapshot->samples.at(*id).quality == model::Quality::ok;
    }
    return false;
  }

 private:
  std::shared_ptr<const model::Snapshot> plant_, derived_;
};

using SeriesByName = std::map<std::string, history::ChannelSeries>;

SeriesByName query_window(history::HistoryStore& store, const std::vector<std::string>& channels,
                          std::int64_t from_ms, std::int64_t to_ms) {
  SeriesByName out;
  for (auto& s : query_known_channels(store, channels, from_ms, to_ms, kTrendPoints))
    out.emplace(s.channel, std::move(s));
  return out;
}

// Oldest bucket time over all series (to ask a young site again over what it has).
std::optional<std::int64_t> oldest_bucket(const SeriesByName& series) {
  std::optional<std::int64_t> oldest;
  for (const auto& [name, s] : series)
    if (!s.buckets.empty())
      oldest = std::min(oldest.value_or(s.buckets.front().time_ms), s.buckets.front().time_ms);
  return oldest;
}

const history::ChannelSeries* find_series(const SeriesByName& series, const std::string& name) {
  const auto it = series.find(name);
  return it == series.end() ? nullptr : &it->second;
}

// The history figures of one battery into `b`.
// since_ms: the battery's latest replacement (0 = none): the old block's resistance says nothing
// about the new one, so its trend starts there.
void history_figures(const SeriesByName& series, const std::string& battery,
                     const std::string& ambient, std::int64_t now_ms, std::int64_t since_ms,
                     BatteryCondition& b) {
  if (const auto* r = find_series(series, battery + "/resistance");
      r && b.baseline_mOhm && *b.baseline_mOhm > 0.0) {
    std::vector<std::pair<std::int64_t, double>> points;
    for (const auto& bucket : r->buckets) {
      if (bucket.time_ms >= since_ms) points.emplace_back(bucket.time_ms, bucket.mean);
    }
    if (const auto slope = slope_per_month(points, kMinTrendSpan_ms))
      b.trend_pct_per_month = 100.0 * *slope / *b.baseline_mOhm;
    // The rise within the last week: now against the oldest bucket of the week.
    const auto week = std::find_if(r->buckets.begin(), r->buckets.end(), [&](const auto& bucket) {
      return bucket.time_ms >= std::max(now_ms - kWeek_ms, since_ms);
    });
    if (week != r->buckets.end() && b.resistance_mOhm)
      b.rise_in_week_pct = 100.0 * (*b.resistance_mOhm - week->mean) / *b.baseline_mOhm;
  }
  const auto* t = find_series(series, battery + "/temperature");
  if (!t || t->buckets.empty()) return;
  double sum = 0.0;
  std::uint64_t count = 0;
  for (const auto& bucket : t->buckets) {
    sum += bucket.mean * static_cast<double>(bucket.count);
    count += bucket.count;
  }
  if (count > 0) b.mean_temperature_C = sum / static_cast<double>(count);
  const auto* a = ambient.empty() ? nullptr : find_series(series, ambient);
  if (!a) return;
  // Ambient buckets by time: the two series share the store's bucket grid.
  std::map<std::int64_t, double> room;
  for (const auto& bucket : a->buckets) room.emplace(bucket.time_ms, bucket.mean);
  for (const auto& bucket : t->buckets) {
    const auto it = room.find(bucket.time_ms);
    if (it == room.end()) continue;
    const double over = bucket.max - it->second;
    b.max_over_ambient_K = std::max(b.max_over_ambient_K.value_or(over), over);
  }
}

}  // namespace

std::variant<AttentionQuery, std::string> parse_attention_query(const ParsedTarget& target) {
  AttentionQuery q;
  for (const auto& [key, value] : target.query) {
    const auto number = parse_int64(value);
    if (key == "string") {
      if (!number || *number < 1 || *number > 999) return "string must be a string id 1..999";
      q.string_id = static_cast<int>(*number);
    } else if (key == "days") {
      if (!number || *number < 1 || *number > kAttentionMaxDays)
        return fmt::format("days must be 1..{}", kAttentionMaxDays);
      q.days = static_cast<int>(*number);
    } else {
      return "unknown query parameter: " + key;
    }
  }
  return q;
}

std::string attention_json(const ApiContext& ctx, const AttentionQuery& query) {
  const auto& site = *ctx.site;
  const auto now_ms = ctx.clock->now_ms();
  const LiveValues live(ctx);
  const std::int64_t window_ms = static_cast<std::int64_t>(query.days) * kDay_ms;

  struct Row {
    const model::String* string = nullptr;
    int position = 0;
    BatteryCondition condition;
    Attention attention;
    bool balancing = false;
    std::optional<history::MaintenanceRecord> replaced;  // its latest replacement
  };
  std::vector<Row> rows;
  std::vector<std::string> channels;
  for (const auto& s : site.strings) {
    if (query.string_id != 0 && s.id != query.string_id) continue;
    std::map<int, history::MaintenanceRecord> replacements;
    if (ctx.maintenance) {
      for (auto& r : ctx.maintenance->latest_replacements(s.id))
        replacements.emplace(r.position, std::move(r));
    }
    const std::string ambient =
        s.ambient_th != 0 ? model::channel_name(model::ambient_id(s.ambient_th), "temperature")
                          : "";
    if (!ambient.empty()) channels.push_back(ambient);
    for (int k = 1; k <= s.batteries; ++k) {
      const auto id = model::battery_id(s.id, k);
      Row row{&s, k, {}, {}, false, std::nullopt};
      if (const auto it = replacements.find(k); it != replacements.end()) row.replaced = it->second;
      auto& b = row.condition;
      b.readings_ok = live.known_and_ok(id + "/voltage") && live.known_and_ok(id + "/temperature");
      b.voltage_V = live.good(id + "/voltage");
      b.temperature_C = live.good(id + "/temperature");
      b.resistance_mOhm = live.good(id + "/resistance");
      b.baseline_mOhm = live.good(id + "/resistance_baseline");
      b.soh_pct = live.good(id + "/soh");
      if (!ambient.empty()) b.ambient_C = live.good(ambient);
      if (b.ambient_C && b.temperature_C) b.max_over_ambient_K = *b.temperature_C - *b.ambient_C;
      row.balancing = live.good(id + "/balancing").value_or(0.0) != 0.0;
      rows.push_back(std::move(row));
      channels.push_back(id + "/resistance");
      channels.push_back(id + "/temperature");
    }
  }

  bool with_history = false;
  std::int64_t from_ms = now_ms - window_ms;
  if (ctx.history) {
    with_history = true;
    auto series = query_window(*ctx.history, channels, from_ms, now_ms);
    // A young site: ask again over the span it has, at the same number of buckets.
    const auto oldest = oldest_bucket(series);
    const auto buckets = series.empty() ? 0 : series.begin()->second.buckets.size();
    if (oldest && buckets<kMinTrendBuckets&& * oldest> from_ms) {
      from_ms = *oldest;
      series = query_window(*ctx.history, channels, from_ms, now_ms);
    }
    std::map<int, std::vector<model::DischargeRecord>> discharges;
    for (const auto& row : rows) {
      const int sid = row.string->id;
      if (!discharges.contains(sid))
        discharges[sid] = ctx.history->discharges(now_ms - 366 * kDay_ms, now_ms, sid,
                                                  kAttentionRecentDischarges);
    }
    for (auto& row : rows) {
      const auto id = model::battery_id(row.string->id, row.position);
      const std::string ambient =
          row.string->ambient_th != 0
              ? model::channel_name(model::ambient_id(row.string->ambient_th), "temperature")
              : "";
      // The replacement's entry is when the engine began learning the new block's baseline.
      const std::int64_t since_ms = row.replaced ? row.replaced->recorded_ms : 0;
      history_figures(series, id, ambient, now_ms, since_ms, row.condition);
      const auto& recent = discharges[row.string->id];
      const auto counted = [&](const model::DischargeRecord& d) { return d.start_ms >= since_ms; };
      row.condition.recent_discharges =
          static_cast<int>(std::count_if(recent.begin(), recent.end(), counted));
      row.condition.weakest_in_recent = static_cast<int>(
          std::count_if(recent.begin(), recent.end(), [&](const model::DischargeRecord& d) {
            return counted(d) && d.weakest_position == row.position;
          }));
    }
  }

  for (auto& row : rows) {
    row.attention = assess_battery(row.condition);
    if (row.replaced && row.replaced->recorded_ms >= from_ms) {
      row.attention.reasons.push_back(fmt::format(
          "replaced on {} (serial {}): judged from then on, its baseline learned from the new "
          "block",
          row.replaced->work_date, row.replaced->serial));
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return needs_attention_before(a.attention, b.attention);
  });

  std::map<std::string, int> counts;
  for (const auto level : {Recommendation::replace_now, Recommendation::plan_replacement,
                           Recommendation::check_connection, Recommendation::check_sensor,
                           Recommendation::watch, Recommendation::ok})
    counts[std::string(to_string(level))] = 0;
  json list = json::array();
  for (const auto& row : rows) {
    const auto& b = row.condition;
    const auto& a = row.attention;
    ++counts[std::string(to_string(a.recommendation))];
    list.push_back(json{
        {"battery", model::battery_id(row.string->id, row.position)},
        {"string_id", row.string->id},
        {"position", row.position},
        {"ups_id", row.string->ups_id},
        {"recommendation", to_string(a.recommendation)},
        {"reasons", a.reasons},
        {"readings_ok", b.readings_ok},
        {"voltage_V", number_or_null(b.voltage_V, 3)},
        {"temperature_C", number_or_null(b.temperature_C, 1)},
        {"resistance_mOhm", number_or_null(b.resistance_mOhm, 3)},
        {"baseline_mOhm", number_or_null(b.baseline_mOhm, 3)},
        {"over_baseline_pct", number_or_null(a.over_baseline_pct, 1)},
        {"soh_pct", number_or_null(b.soh_pct, 1)},
        {"balancing", row.balancing},
        {"trend_pct_per_month", number_or_null(b.trend_pct_per_month, 2)},
        {"rise_in_week_pct", number_or_null(b.rise_in_week_pct, 1)},
        {"mean_temperature_C", number_or_null(b.mean_temperature_C, 1)},
        {"max_over_ambient_K", number_or_null(b.max_over_ambient_K, 1)},
        {"recent_discharges", b.recent_discharges},
        {"weakest_in_recent", b.weakest_in_recent},
        {"replaced", row.replaced ? json{{"work_date", row.replaced->work_date},
                                         {"serial", row.replaced->serial},
                                         {"recorded_ms", row.replaced->recorded_ms}}
                                  : json(nullptr)},
    });
  }
  return json{{"time_ms", now_ms},
              {"from_ms", from_ms},
              {"history", with_history},
              {"counts", counts},
              {"batteries", std::move(list)}}
      .dump();
}

void add_attention_routes(Router& router, const ApiContext& ctx) {
  router.add(Route{"/api/v1/attention",
                   {"GET"},
                   Role::viewer,
                   [&ctx](const Request&, const ParsedTarget& target) -> Response {
                     if (!ctx.site) return json_error(503, "no site configuration loaded");
                     auto parsed = parse_attention_query(target);
                     if (auto* reason = std::get_if<std::string>(&parsed))
                       return no_store_error(400, *reason);
                     const auto& q = std::get<AttentionQuery>(parsed);
                     if (q.string_id != 0 &&
                         std::none_of(ctx.site->strings.begin(), ctx.site->strings.end(),
                                      [&](const auto& s) { return s.id == q.string_id; }))
                       return no_store_error(404, fmt::format("no string {}", q.string_id));
                     try {
                       Response r;
                       r.body = attention_json(ctx, q);
                       r.headers.emplace_back("Cache-Control", "no-store");
                       return r;
                     } catch (const std::invalid_argument& e) {
                       return no_store_error(400, e.what());
                     } catch (const std::exception& e) {
                       return no_store_error(500, fmt::format("history store: {}", e.what()));
                     }
                   }});
  router.mark_blocking("/api/v1/attention", "GET");
}

}  // namespace btms::web
