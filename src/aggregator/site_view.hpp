// The site one level above the gateways, built from what the links hold (pure functions of
// GatewayData, tested with plain JSON): the topology with each gateway's state and data age, the
// live summaries under a gateway prefix ("hall-a/string/3/voltage"), one alarm list merged from
// all gateways and the site totals. A gateway that is not online never contributes a fresh
// value: its channels are served with quality "stale" and its alarms marked stale, and it gets a
// site alarm of its own ("<gateway>:gateway_offline").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "aggregator/gateway_data.hpp"

namespace btms::aggregator {

// A gateway not heard from (message or pong) for this long is shown offline even while its TCP
// connection still stands; the link itself gives up after its stream idle time (3 s).
inline constexpr std::int64_t kDataStale_ms = 5000;

// The worst state of a gateway's strings: trip > alarm > warning > discharging > normal, and
// "offline" apart (a gateway that is not online), "connecting" before its first data.
std::string worst_state(const GatewayData& gateway, std::int64_t now_ms);
// Whether the gateway's data may be shown as fresh now.
bool is_fresh(const GatewayData& gateway, std::int64_t now_ms);

nlohmann::json site_topology_json(std::string_view site_name,
                                  const std::vector<GatewayData>& gateways, std::int64_t now_ms);
// Channels whose prefixed name starts with `prefix` ("" = all).
nlohmann::json site_live_json(const std::vector<GatewayData>& gateways, std::string_view prefix,
                              std::int64_t now_ms);
nlohmann::json site_alarms_json(const std::vector<GatewayData>& gateways, std::int64_t now_ms);
// One gateway's entry of the site summary (below): state, worst state, data age, counts, its
// strings' extremes.
nlohmann::json gateway_summary_json(const GatewayData& gateway, std::int64_t now_ms);

// One extreme of a string as its gateway computes it: derived channels string/S/<quantity>
// ("lowest_voltage", "highest_voltage", "highest_temperature") and string/S/<quantity>_battery.
// nullopt when the gateway has no such figure (no number, no battery position, or a gateway too
// old to publish it). Read here for both the site summary and the site SCADA unit.
struct StringExtreme {
  double value = 0;  // V or °C, as the channel
  int battery = 0;   // position in the string, from 1
  bool ok = false;   // both channels of quality ok
};
std::optional<StringExtreme> string_extreme(const nlohmann::json& channels, int string_id,
                                            std::string_view quantity);

// Per gateway counts, its strings' extremes (lowest / highest battery voltage and hottest
// battery, with the battery's position) and the site's totals (sums over the gateways).
nlohmann::json site_summary_json(std::string_view site_name,
                                 const std::vector<GatewayData>& gateways, std::int64_t now_ms);

// "hall-a/battery/1/7:rule" -> {"hall-a", "battery/1/7:rule"}; nullopt without a '/'.
struct PrefixedName {
  std::string gateway;
  std::string rest;
};
std::optional<PrefixedName> split_gateway_prefix(std::string_view name);

// A gateway's /api/v1/live answer with every channel name given the gateway's prefix; channels
// are served stale when the gateway is not fresh.
nlohmann::json prefixed_live_json(const nlohmann::json& gateway_live, std::string_view gateway,
                                  bool fresh);

}  // namespace btms::aggregator
