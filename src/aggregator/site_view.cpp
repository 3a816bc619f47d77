#include "aggregator/site_view.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <optional>

#include <fmt/format.h>

namespace btms::aggregator {

using nlohmann::json;

namespace {

int severity_rank(std::string_view severity) {
  if (severity == "trip") return 4;
  if (severity == "alarm") return 3;
  if (severity == "warning") return 2;
  if (severity == "info") return 1;
  return 0;
}

// The string state code of derived channel string/N/state for a discharge.
constexpr int kStringStateDischarge = 2;

const json& alarm_list(const GatewayData& g) {
  static const json empty = json::array();
  if (g.alarms.is_object() && g.alarms.contains("alarms") && g.alarms["alarms"].is_array()) {
    return g.alarms["alarms"];
  }
  return empty;
}

struct Counts {
  int upses = 0;
  int strings = 0;
  int batteries = 0;
};

Counts topology_counts(const GatewayData& g) {
  Counts c;
  if (!g.topology.is_object()) return c;
  if (g.topology.contains("upses") && g.topology["upses"].is_array()) {
    c.upses = static_cast<int>(g.topology["upses"].size());
  }
  if (g.topology.contains("strings") && g.topology["strings"].is_array()) {
    c.strings = static_cast<int>(g.topology["strings"].size());
    for (const auto& s : g.topology["strings"]) c.batteries += s.value("batteries", 0);
  }
  return c;
}

json stale_copy(const json& reading) {
  json r = reading;
  if (r.is_object()) r["quality"] = "stale";
  return r;
}

// A channel's value when it is a good number; the quality is judged by the caller.
std::optional<double> number_of(const json& channels, const std::string& name) {
  const auto it = channels.find(name);
  if (it == channels.end() || !it->is_object()) return std::nullopt;
  const auto value = it->find("value");
  if (value == it->end() || !value->is_number()) return std::nullopt;
  return value->get<double>();
}

// Whether every named channel is there with quality ok.
bool all_ok(const json& channels, std::initializer_list<std::string> names) {
  return std::all_of(names.begin(), names.end(), [&](const std::string& name) {
    const auto it = channels.find(name);
    return it != channels.end() && it->is_object() && it->value("quality", "") == "ok";
  });
}

// One extreme of a string: {"value", "battery"}, null when the gateway has none (its quality is
// judged with the string's "quality" below).
json extreme_json(const json& channels, int string_id, std::string_view quantity) {
  const auto extreme = string_extreme(channels, string_id, quantity);
  if (!extreme) return nullptr;
  return json{{"value", extreme->value}, {"battery", extreme->battery}};
}

// Per string of the gateway's topology: its lowest and highest battery voltage and its hottest
// battery, as the gateway computes them (derived string channels), so the site needs no
// battery's values. "quality" is "stale" when the gateway is not fresh or a figure is not ok.
json string_extremes_json(const GatewayData& g, bool fresh) {
  json list = json::array();
  if (!g.topology.is_object() || !g.topology.contains("strings") ||
      !g.topology["strings"].is_array()) {
    return list;
  }
  for (const auto& s : g.topology["strings"]) {
    const int id = s.value("id", 0);
    const auto prefix = fmt::format("string/{}/", id);
    const bool ok =
        fresh && all_ok(g.channels, {prefix + "lowest_voltage", prefix + "highest_voltage"});
    list.push_back(
        json{{"id", id},
             {"lowest_voltage_V", extreme_json(g.channels, id, "lowest_voltage")},
             {"highest_voltage_V", extreme_json(g.channels, id, "highest_voltage")},
             {"highest_temperature_C", extreme_json(g.channels, id, "highest_temperature")},
             {"quality", ok ? "ok" : "stale"}});
  }
  return list;
}

}  // namespace

std::optional<StringExtreme> string_extreme(const json& channels, int string_id,
                                            std::string_view quantity) {
  const auto name = fmt::format("string/{}/{}", string_id, quantity);
  const auto value = number_of(channels, name);
  const auto battery = number_of(channels, name + "_battery");
  if (!value || !battery || *battery < 1) return std::nullopt;
  return StringExtreme{*value, static_cast<int>(std::lround(*battery)),
                       all_ok(channels, {name, name + "_battery"})};
}

bool is_fresh(const GatewayData& g, std::int64_t now_ms) {
  return g.state == LinkState::online && g.last_seen_ms != 0 &&
         now_ms - g.last_seen_ms <= kDataStale_ms;
}

std::string worst_state(const GatewayData& g, std::int64_t now_ms) {
  if (g.last_data_ms == 0) return "connecting";
  if (!is_fresh(g, now_ms)) return "offline";
  int worst = 0;
  for (const auto& a : alarm_list(g)) {
    worst = std::max(worst, severity_rank(a.value("severity", "")));
  }
  if (worst == 4) return "trip";
  if (worst == 3) return "alarm";
  if (worst == 2) return "warning";
  // One look-up per string of the topology, not a walk over every channel held: this runs for
  // every gateway on every stream tick of every client.
  if (g.topology.is_object() && g.topology.contains("strings") &&
      g.topology["strings"].is_array()) {
    for (const auto& s : g.topology["strings"]) {
      const auto it = g.channels.find(fmt::format("string/{}/state", s.value("id", 0)));
      if (it == g.channels.end() || !it->is_object() || it->value("quality", "") != "ok") continue;
      const auto value = number_of(g.channels, it.key());
      if (value && std::lround(*value) == kStringStateDischarge) return "discharging";
    }
  }
  return "normal";
}

std::optional<PrefixedName> split_gateway_prefix(std::string_view name) {
  const auto slash = name.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  return PrefixedName{std::string(name.substr(0, slash)), std::string(name.substr(slash + 1))};
}

json site_topology_json(std::string_view site_name, const std::vector<GatewayData>& gateways,
                        std::int64_t now_ms) {
  json list = json::array();
  for (const auto& g : gateways) {
    const auto counts = topology_counts(g);
    list.push_back(
        json{{"name", g.name},
             {"url", g.url},
             {"state", to_string(g.state)},
             {"fresh", is_fresh(g, now_ms)},
             {"worst_state", worst_state(g, now_ms)},
             {"detail", g.detail},
             {"last_data_ms", g.last_data_ms},
             {"data_age_ms", g.last_data_ms == 0 ? json(nullptr) : json(now_ms - g.last_data_ms)},
             {"ups_count", counts.upses},
             {"string_count", counts.strings},
             {"battery_count", counts.batteries},
             {"topology", g.topology}});
  }
  return json{{"site", site_name}, {"time_ms", now_ms}, {"gateways", std::move(list)}};
}

json site_live_json(const std::vector<GatewayData>& gateways, std::string_view prefix,
                    std::int64_t now_ms) {
  json channels = json::object();
  for (const auto& g : gateways) {
    const bool fresh = is_fresh(g, now_ms);
    for (const auto& [name, reading] : g.channels.items()) {
      auto full = fmt::format("{}/{}", g.name, name);
      if (!full.starts_with(prefix)) continue;
      channels[full] = fresh ? reading : stale_copy(reading);
    }
  }
  return json{{"time_ms", now_ms}, {"channels", std::move(channels)}};
}

json site_alarms_json(const std::vector<GatewayData>& gateways, std::int64_t now_ms) {
  json alarms = json::array();
  for (const auto& g : gateways) {
    const bool fresh = is_fresh(g, now_ms);
    for (const auto& a : alarm_list(g)) {
      json copy = a;
      copy["gateway"] = g.name;
      copy["key"] = fmt::format("{}/{}", g.name, a.value("key", ""));
      copy["source"] = fmt::format("{}/{}", g.name, a.value("source", ""));
      copy["stale"] = !fresh;
      alarms.push_back(std::move(copy));
    }
    if (g.last_data_ms != 0 && !fresh) {
      // The site's own alarm: a gateway that stopped answering. It cannot be acknowledged on a
      // gateway; it clears when the gateway is back.
      alarms.push_back(
          json{{"key", fmt::format("{}:gateway_offline", g.name)},
               {"source", g.name},
               {"gateway", g.name},
               {"rule", "gateway_offline"},
               {"severity", "alarm"},
               {"text", fmt::format("Gateway {} offline: no data for {:.1f} s ({})", g.name,
                                    static_cast<double>(now_ms - g.last_data_ms) / 1000.0,
                                    g.detail.empty() ? "silent" : g.detail)},
               {"since_ms", g.last_data_ms},
               {"acknowledged", false},
               {"stale", false},
               {"site", true}});
    }
  }
  std::stable_sort(alarms.begin(), alarms.end(), [](const json& a, const json& b) {
    const auto ra = severity_rank(a.value("severity", ""));
    const auto rb = severity_rank(b.value("severity", ""));
    if (ra != rb) return ra > rb;
    return a.value("since_ms", std::int64_t{0}) < b.value("since_ms", std::int64_t{0});
  });
  int unacknowledged = 0;
  for (const auto& a : alarms) {
    if (!a.value("acknowledged", false)) ++unacknowledged;
  }
  return json{{"time_ms", now_ms},
              {"count", alarms.size()},
              {"unacknowledged", unacknowledged},
              {"alarms", std::move(alarms)}};
}

json gateway_summary_json(const GatewayData& g, std::int64_t now_ms) {
  const auto counts = topology_counts(g);
  int alarms = 0, unacknowledged = 0;
  for (const auto& a : alarm_list(g)) {
    ++alarms;
    if (!a.value("acknowledged", false)) ++unacknowledged;
  }
  const bool fresh = is_fresh(g, now_ms);
  return json{{"name", g.name},
              {"state", to_string(g.state)},
              {"fresh", fresh},
              {"worst_state", worst_state(g, now_ms)},
              {"data_age_ms", g.last_data_ms == 0 ? json(nullptr) : json(now_ms - g.last_data_ms)},
              {"ups_count", counts.upses},
              {"string_count", counts.strings},
              {"battery_count", counts.batteries},
              {"alarm_count", alarms},
              {"unacknowledged", unacknowledged},
              {"strings", string_extremes_json(g, fresh)}};
}

json site_summary_json(std::string_view site_name, const std::vector<GatewayData>& gateways,
                       std::int64_t now_ms) {
  json list = json::array();
  int online = 0, upses = 0, strings = 0, batteries = 0, alarms = 0, unacknowledged = 0;
  for (const auto& g : gateways) {
    auto entry = gateway_summary_json(g, now_ms);
    if (entry["fresh"].get<bool>()) ++online;
    upses += entry["ups_count"].get<int>();
    strings += entry["string_count"].get<int>();
    batteries += entry["battery_count"].get<int>();
    alarms += entry["alarm_count"].get<int>();
    unacknowledged += entry["unacknowledged"].get<int>();
    list.push_back(std::move(entry));
  }
  return json{{"site", site_name},
              {"time_ms", now_ms},
              {"gateways", std::move(list)},
              {"totals",
               {{"gateways", gateways.size()},
                {"online", online},
                {"offline", static_cast<int>(gateways.size()) - online},
                {"ups_count", upses},
                {"string_count", strings},
                {"battery_count", batteries},
                {"alarm_count", alarms},
                {"unacknowledged", unacknowledged}}}};
}

json prefixed_live_json(const json& gateway_live, std::string_view gateway, bool fresh) {
  json channels = json::object();
  if (gateway_live.is_object() && gateway_live.contains("channels") &&
      gateway_live["channels"].is_object()) {
    for (const auto& [name, reading] : gateway_live["channels"].items()) {
      channels[fmt::format("{}/{}", gateway, name)] = fresh ? reading : stale_copy(reading);
    }
  }
  return json{{"time_ms", gateway_live.value("time_ms", std::int64_t{0})},
              {"gateway", gateway},
              {"channels", std::move(channels)}};
}

}  // namespace btms::aggregator
