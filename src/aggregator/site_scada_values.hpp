// The site summary unit's values (scada/site_scada_map.hpp) from what the aggregator holds of
// each gateway: pure functions of GatewayData, so the SCADA view and GET /api/v1/site agree
// (same freshness rule, same worst state, same alarm list) and can be tested with plain JSON.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "aggregator/gateway_data.hpp"
#include "scada/site_scada_map.hpp"

namespace btms::aggregator {

struct GatewayScadaSummary {
  scada::SiteFieldValues block;  // gateway k's block
  // What the gateway adds to the site alarm list (stale ones and its gateway_offline included).
  int listed_alarms = 0;
  int listed_unacknowledged = 0;
};

GatewayScadaSummary gateway_scada_summary(const GatewayData& gateway, std::int64_t now_ms);
// The site unit's registers: the header from the gateways' summaries, then their blocks.
std::vector<std::uint16_t> site_scada_unit(std::span<const GatewayScadaSummary> gateways);
// Whether the site endpoint answers a gateway's reads 0B without asking it: its link is offline,
// or it has gone silent after having data.
bool gateway_unavailable(const GatewayData& gateway, std::int64_t now_ms);

}  // namespace btms::aggregator
