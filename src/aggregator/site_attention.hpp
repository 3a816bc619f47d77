// Batteries needing attention across the site: each gateway ranks its own batteries
// (/api/v1/attention: IEEE 1188 practice, from its live values and history); the aggregator asks
// every gateway when someone asks it and merges the answers (pure, tested with plain JSON).
// Nothing is kept at the site: the judgement and the history it needs stay at the gateways.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace btms::aggregator {

// One gateway's answer to /api/v1/attention (status 0 = not asked: the gateway is offline).
struct GatewayAttentionAnswer {
  std::string gateway;
  int status = 0;
  std::string body;
};

// {"time_ms", "counts" (summed over the gateways that answered), "gateways": [{"name", "ok",
//  "error"?, "counts"?}], "batteries": [...]}: every battery whose recommendation is not "ok",
// from every gateway that answered, its "battery" prefixed with the gateway ("hall-a/battery/3/7")
// and a "gateway" field, worst recommendation first; within one recommendation the gateways'
// own order (site-file order, then each gateway's ranking) is kept. A gateway that did not
// answer is listed with its error, never left out silently.
nlohmann::json merge_site_attention(const std::vector<GatewayAttentionAnswer>& answers,
                                    std::int64_t now_ms);

}  // namespace btms::aggregator
