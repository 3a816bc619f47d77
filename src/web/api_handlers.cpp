#include "web/api_handlers.hpp"

#include "web/attention_handlers.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/channel_resolution.hpp"

namespace btms::web {

using nlohmann::json;

namespace {

// A snapshot older than this is reported as stale by /health (acquisition stopped publishing).
constexpr std::int64_t kHealthStaleAfter_ms = 10'000;

std::string_view chemistry_name(model::Chemistry c) {
  switch (c) {
    case model::Chemistry::vrla_agm:
      return "vrla_agm";
    case model::Chemistry::vrla_gel:
      return "vrla_gel";
    case model::Chemistry::flooded:
      return "flooded";
  }
  return "unknown";
}

json snapshot_summary(const model::Snapshot* snap, std::int64_t now_ms) {
  if (snap == nullptr) return nullptr;
  return json{{"sequence", snap->sequence},
              {"time_ms", snap->time_ms},
              {"age_ms", now_ms - snap->time_ms},
              {"channels", snap->channels ? snap->channels->size() : 0}};
}

json io_point(const model::IoPoint& p) {
  return json{{"lc", p.lc}, {"index", p.index}};
}

// JSON string literal (with quotes). Names and units come from the configuration.
void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

}  // namespace

void append_number(std::string& out, double value, double resolution) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  const int decimals = model::resolution_decimals(resolution);
  if (!(resolution > 0.0)) {
    fmt::format_to(std::back_inserter(out), "{}", value);  // shortest exact form
    return;
  }
  char text[64];
  const auto rounded = model::round_to_resolution(value, resolution);
  auto* end = fmt::format_to_n(text, sizeof text - 1, "{:.{}f}", rounded, decimals).out;
  // 2.250 -> 2.25, 100.0 -> 100: the digits the value has, none it does not.
  if (decimals > 0) {
    while (end[-1] == '0') --end;
    if (end[-1] == '.') --end;
  }
  if (end - text == 2 && text[0] == '-' && text[1] == '0') {  // -0.0001 at 0.01 -> 0
    out += '0';
    return;
  }
  out.append(text, end);
}

namespace {

// Appends "name":{...} for every channel of snap under prefix. Written by hand rather than
// through nlohmann::json because a whole gateway has ~15,000 channels and building a json
// tree for them costs several times more than the text itself. skip_names_of, when set, is a
// directory whose channels were already written (a name appears once in the object).
void append_channels(std::string& out, bool& first, const model::Snapshot* snap,
                     std::string_view prefix, std::int64_t now_ms,
                     const model::ChannelDirectory* skip_names_of) {
  if (snap == nullptr || !snap->channels) return;
  for (const auto id : snap->channels->with_prefix(prefix)) {
    if (id >= snap->samples.size()) continue;  // malformed snapshot: never read past the end
    const auto& info = snap->channels->info(id);
    if (skip_names_of != nullptr && skip_names_of->find(info.name)) continue;
    const auto& s = snap->samples[id];
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, info.name);
    out += ":{\"value\":";
    append_number(out, s.value, info.resolution);
    out += ",\"unit\":";
    append_json_string(out, info.unit);
    fmt::format_to(std::back_inserter(out), ",\"time_ms\":{},\"quality\":\"{}\",\"age_ms\":{}}}",
                   s.time_ms, model::to_string(s.quality), now_ms - s.time_ms);
  }
}

std::string escape_label(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// The bus statistics that count (bus/<name>/<kind>): exported as counters of their own, by the
// Prometheus conventions, not as gauge values of a channel.
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kBusCounters{{
    {"/errors", "btms_bus_errors_total"},
    {"/timeouts", "btms_bus_timeouts_total"},
    {"/crc_errors", "btms_bus_crc_errors_total"},
}};

bool is_bus_counter(std::string_view name) {
  if (!name.starts_with("bus/") || std::count(name.begin(), name.end(), '/') != 2) return false;
  return std::any_of(kBusCounters.begin(), kBusCounters.end(),
                     [&](const auto& c) { return name.ends_with(c.first); });
}

bool exported_as_metric(std::string_view name) {
  if (name.starts_with("bus/")) return !is_bus_counter(name);
  if (!name.starts_with("string/")) return false;
  return name.ends_with("/voltage") || name.ends_with("/current");
}

void add_metric_channels(std::string& out, const model::Snapshot* snap, bool values) {
  if (snap == nullptr || !snap->channels) return;
  for (model::ChannelId id = 0; id < snap->channels->size() && id < snap->samples.size(); ++id) {
    const auto& info = snap->channels->info(id);
    if (!exported_as_metric(info.name)) continue;
    const auto& s = snap->samples[id];
    const auto label = escape_label(info.name);
    if (values) {
      // A value that is not fresh is not exported: Prometheus would store it as current.
      if (s.quality != model::Quality::ok || !std::isfinite(s.value)) continue;
      out += fmt::format("btms_channel_value{{channel=\"{}\"}} ", label);
      append_number(out, s.value, info.resolution);
      out += '\n';
    } else {
      out += fmt::format("btms_channel_quality_ok{{channel=\"{}\"}} {}\n", label,
                         s.quality == model::Quality::ok ? 1 : 0);
    }
  }
}

void add_bus_counters(std::string& out, const model::Snapshot* snap) {
  for (const auto& [suffix, metric] : kBusCounters) {
    out += fmt::format(
        "# HELP {} Field bus {} since the gateway started, per bus.\n# TYPE {} counter\n", metric,
        suffix.substr(1), metric);
    if (snap == nullptr || !snap->channels) continue;
    for (model::ChannelId id = 0; id < snap->channels->size() && id < snap->samples.size(); ++id) {
      const auto& name = snap->channels->info(id).name;
      if (!is_bus_counter(name) || !name.ends_with(suffix)) continue;
      const auto& s = snap->samples[id];
      if (!std::isfinite(s.value)) continue;
      const auto bus = std::string_view(name).substr(4, name.size() - 4 - suffix.size());
      out += fmt::format("{}{{bus=\"{}\"}} {}\n", metric, escape_label(bus), s.value);
    }
  }
}

}  // namespace

std::int64_t unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool is_valid_channel_prefix(std::string_view prefix) {
  if (prefix.size() > 256) return false;
  for (const char c : prefix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '/';
    if (!ok) return false;
  }
  return true;
}

std::string health_json(const ApiContext& ctx) {
  const auto now_ms = ctx.clock->now_ms();
  const auto plant = ctx.plant ? ctx.plant->latest() : nullptr;
  const auto derived = ctx.derived ? ctx.derived->latest() : nullptr;
  std::string status = "ok";
  if (!plant) {
    status = "starting";  // nothing published yet
  } else if (now_ms - plant->time_ms > kHealthStaleAfter_ms) {
    status = "stale";
  }
  const auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.started);
  // History that cannot write is not "ok": its data waits in memory (issue 17 item 7).
  json history = nullptr;
  if (ctx.history) {
    const auto failure = ctx.history->write_failure();
    history = json{{"ok", failure.empty()}, {"write_failure", failure}};
    if (!failure.empty() && status == "ok") status = "degraded";
  }
  json j{{"status", status},
         {"history", history},
         {"uptime_s", std::floor(uptime.count() * 1000.0) / 1000.0},
         {"time_ms", now_ms},
         {"snapshot", snapshot_summary(plant.get(), now_ms)},
         {"derived_snapshot", snapshot_summary(derived.get(), now_ms)}};
  return j.dump();
}

std::string topology_json(const model::Site& site, const DisplayNames* names) {
  const auto name_of = [names](std::string_view kind, int id, const std::string& configured) {
    if (names == nullptr) return configured;
    return names->name_of(fmt::format("{}/{}", kind, id)).value_or(configured);
  };
  json upses = json::array();
  for (const auto& u : site.upses) {
    json strings = json::array();
    for (const auto& s : site.strings) {
      if (s.ups_id == u.id) strings.push_back(s.id);
    }
    upses.push_back(json{{"id", u.id},
                         {"name", name_of("ups", u.id, u.name)},
                         {"rated_power_kW", u.rated_power_kW},
                         {"strings", std::move(strings)}});
  }
  json strings = json::array();
  for (const auto& s : site.strings) {
    json type = nullptr;
    if (const auto* t = site.find_battery_type(s.battery_type)) {
      type = json{{"name", t->name},
                  {"nominal_voltage_V", t->nominal_voltage_V},
                  {"cells", t->cells},
                  {"capacity_Ah", t->capacity_Ah},
                  {"chemistry", chemistry_name(t->chemistry)},
                  {"float_voltage_per_cell_V", t->float_voltage_per_cell_V}};
    }
    json js{{"id", s.id},
            {"ups_id", s.ups_id},
            {"name", name_of("string", s.id, s.name)},
            {"batteries", s.batteries},
            {"battery_type", std::move(type)},
            {"bus", s.bus},
            {"has_voltage_sensor", s.gs_address != 0},
            {"has_current_sensor", s.hs_address != 0},
            {"current_range_A", s.current_range_A},
            {"ambient_th", s.ambient_th}};
    js["disconnect_relay"] = s.disconnect_relay ? io_point(*s.disconnect_relay) : json(nullptr);
    js["relay_feedback"] = s.relay_feedback ? io_point(*s.relay_feedback) : json(nullptr);
    strings.push_back(std::move(js));
  }
  json buses = json::array();
  for (const auto& b : site.buses) {
    json jb{{"name", b.name},
            {"kind", b.kind == model::BusKind::tcp ? "tcp" : "rtu"},
            {"cycle_ms", b.cycle_ms},
            {"timeout_ms", b.timeout_ms}};
    if (b.kind == model::BusKind::tcp) {
      jb["host"] = b.host;
      jb["port"] = b.port;
    } else {
      jb["device"] = b.device;
      jb["baud"] = b.baud;
      jb["parity"] = std::string(1, b.parity);
    }
    buses.push_back(std::move(jb));
  }
  json mc{{"present", site.mc.present}};
  if (site.mc.present) {
    json th = json::array();
    for (const auto& t : site.mc.th) th.push_back(json{{"index", t.index}, {"name", t.name}});
    json inputs = json::array();
    for (const auto& in : site.mc.inputs) {
      inputs.push_back(json{{"point", io_point(in.point)},
                            {"name", in.name},
                            {"alarm_text", in.alarm_text},
                            {"active_high", in.active_high}});
    }
    mc["bus"] = site.mc.bus;
    mc["address"] = site.mc.address;
    mc["th"] = std::move(th);
    mc["lc_count"] = site.mc.lc_count;
    mc["watchdog_timeout_s"] = site.mc.watchdog_timeout_s;
    mc["inputs"] = std::move(inputs);
  }
  json j{{"site", site.name},
         {"upses", std::move(upses)},
         {"strings", std::move(strings)},
         {"buses", std::move(buses)},
         {"mc", std::move(mc)},
         {"total_batteries", site.total_batteries()}};
  return j.dump();
}

std::string live_json(const ApiContext& ctx, std::string_view prefix) {
  const auto now_ms = ctx.clock->now_ms();
  const auto plant = ctx.plant ? ctx.plant->latest() : nullptr;
  const auto derived = ctx.derived ? ctx.derived->latest() : nullptr;
  std::string out;
  out.reserve(256);
  fmt::format_to(std::back_inserter(out), "{{\"time_ms\":{},\"sequence\":{},\"derived_sequence\":",
                 plant ? plant->time_ms : 0, plant ? plant->sequence : 0);
  out += derived ? std::to_string(derived->sequence) : std::string("null");
  out += ",\"channels\":{";
  bool first = true;
  append_channels(out, first, plant.get(), prefix, now_ms, nullptr);
  append_channels(out, first, derived.get(), prefix, now_ms,
                  plant && plant->channels ? plant->channels.get() : nullptr);
  out += "}}";
  return out;
}

std::string metrics_text(const ApiContext& ctx) {
  const auto now_ms = ctx.clock->now_ms();
  const auto plant = ctx.plant ? ctx.plant->latest() : nullptr;
  const auto derived = ctx.derived ? ctx.derived->latest() : nullptr;
  std::string out;
  out +=
      "# HELP btms_channel_value Latest fresh value of a string or bus channel (unit in the "
      "channel's API entry).\n# TYPE btms_channel_value gauge\n";
  add_metric_channels(out, plant.get(), true);
  add_metric_channels(out, derived.get(), true);
  out +=
      "# HELP btms_channel_quality_ok 1 when the channel's latest value is fresh and valid.\n"
      "# TYPE btms_channel_quality_ok gauge\n";
  add_metric_channels(out, plant.get(), false);
  add_metric_channels(out, derived.get(), false);
  add_bus_counters(out, plant.get());
  out +=
      "# HELP btms_snapshot_age_seconds Age of the latest published snapshot.\n"
      "# TYPE btms_snapshot_age_seconds gauge\n";
  if (plant) {
    out += fmt::format("btms_snapshot_age_seconds{{snapshot=\"plant\"}} {:.3f}\n",
                       static_cast<double>(now_ms - plant->time_ms) / 1000.0);
  }
  if (derived) {
    out += fmt::format("btms_snapshot_age_seconds{{snapshot=\"derived\"}} {:.3f}\n",
                       static_cast<double>(now_ms - derived->time_ms) / 1000.0);
  }
  out +=
      "# HELP btms_snapshots_published_total Snapshots published (the latest one's sequence "
      "number).\n"
      "# TYPE btms_snapshots_published_total counter\n";
  if (plant) {
    out +=
        fmt::format("btms_snapshots_published_total{{snapshot=\"plant\"}} {}\n", plant->sequence);
  }
  if (derived) {
    out += fmt::format("btms_snapshots_published_total{{snapshot=\"derived\"}} {}\n",
                       derived->sequence);
  }
  out +=
      "# HELP btms_http_requests_total HTTP requests answered, by status code.\n"
      "# TYPE btms_http_requests_total counter\n";
  if (ctx.counters != nullptr) {
    for (const auto& [status, n] : ctx.counters->counts()) {
      out += fmt::format("btms_http_requests_total{{code=\"{}\"}} {}\n", status, n);
    }
  }
  const auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.started);
  out += fmt::format(
      "# HELP btms_uptime_seconds Time since the web server started.\n"
      "# TYPE btms_uptime_seconds gauge\nbtms_uptime_seconds {:.3f}\n",
      uptime.count());
  for (const auto& extra : ctx.extra_metrics) out += extra();
  return out;
}

void add_api_routes(Router& router, const ApiContext& ctx) {
  const auto json_ok = [](std::string body) {
    Response r;
    r.body = std::move(body);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  };
  router.add(Route{
      "/api/v1/health",
      {"GET"},
      Role::anonymous,
      [&ctx, json_ok](const Request&, const ParsedTarget&) { return json_ok(health_json(ctx)); }});
  router.add(Route{"/api/v1/topology",
                   {"GET"},
                   Role::viewer,
                   [&ctx, json_ok](const Request&, const ParsedTarget&) {
                     if (!ctx.site) return json_error(503, "no site configuration loaded");
                     return json_ok(topology_json(*ctx.site, ctx.names.get()));
                   }});
  router.add(Route{"/api/v1/live",
                   {"GET"},
                   Role::viewer,
                   [&ctx, json_ok](const Request&, const ParsedTarget& target) {
                     std::string prefix;
                     for (const auto& [key, value] : target.query) {
                       if (key != "prefix")
                         return json_error(400, "unknown query parameter: " + key);
                       prefix = value;
                     }
                     if (!is_valid_channel_prefix(prefix)) {
                       return json_error(400, "malformed prefix: only a-z, 0-9, _ and / allowed");
                     }
                     if (!ctx.plant || !ctx.plant->latest()) {
                       return json_error(503, "no snapshot published yet");
                     }
                     return json_ok(live_json(ctx, prefix));
                   }});
  // Unknown API paths are 404 whatever the method, and never fall through to static files.
  add_attention_routes(router, ctx);
  router.add(Route{"/api/*", {}, Role::anonymous, [](const Request&, const ParsedTarget& target) {
                     return json_error(404, "no such resource: " + target.path);
                   }});
  router.add(Route{"/metrics", {"GET"}, Role::viewer, [&ctx](const Request&, const ParsedTarget&) {
                     Response r;
                     r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                     r.body = metrics_text(ctx);
                     r.headers.emplace_back("Cache-Control", "no-store");
                     return r;
                   }});
}

}  // namespace btms::web
