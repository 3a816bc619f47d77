#include "aggregator/site_attention.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "web/battery_attention.hpp"

namespace btms::aggregator {

using nlohmann::json;

namespace {

// Worst first: the gateway's own levels (web/battery_attention.hpp), so a level added there
// cannot be misranked here.
int rank_of(std::string_view recommendation) {
  using web::Recommendation;
  constexpr std::array levels{Recommendation::ok,
                              Recommendation::watch,
                              Recommendation::check_sensor,
                              Recommendation::check_connection,
                              Recommendation::plan_replacement,
                              Recommendation::replace_now};
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (web::to_string(levels[i]) == recommendation) return static_cast<int>(i);
  }
  return -1;  // unknown to this aggregator: shown after the known levels, not dropped
}

std::string error_of(const GatewayAttentionAnswer& a, const json& body) {
  if (a.status == 0) return "offline";
  if (body.is_object() && body.contains("error") && body["error"].is_string()) {
    return fmt::format("HTTP {}: {}", a.status, body["error"].get<std::string>());
  }
  if (a.status != 200) return fmt::format("HTTP {}", a.status);
  return "not an attention answer";
}

}  // namespace

json merge_site_attention(const std::vector<GatewayAttentionAnswer>& answers, std::int64_t now_ms) {
  json counts = json::object();
  json gateways = json::array();
  json batteries = json::array();
  for (const auto& a : answers) {
    const auto body = json::parse(a.body, nullptr, false);
    const bool ok = a.status == 200 && body.is_object() && body.contains("batteries") &&
                    body["batteries"].is_array() && body.contains("counts") &&
                    body["counts"].is_object();
    if (!ok) {
      gateways.push_back(json{{"name", a.gateway}, {"ok", false}, {"error", error_of(a, body)}});
      continue;
    }
    for (const auto& [level, n] : body["counts"].items()) {
      if (n.is_number_integer()) counts[level] = counts.value(level, 0) + n.get<int>();
    }
    gateways.push_back(json{{"name", a.gateway},
                            {"ok", true},
                            {"counts", body["counts"]},
                            {"history", body.value("history", false)},
                            {"from_ms", body.value("from_ms", std::int64_t{0})}});
    for (const auto& row : body["batteries"]) {
      if (!row.is_object() || row.value("recommendation", "ok") == "ok") continue;
      json copy = row;
      copy["gateway"] = a.gateway;
      copy["battery"] = fmt::format("{}/{}", a.gateway, row.value("battery", ""));
      batteries.push_back(std::move(copy));
    }
  }
  std::stable_sort(batteries.begin(), batteries.end(), [](const json& x, const json& y) {
    return rank_of(x.value("recommendation", "")) > rank_of(y.value("recommendation", ""));
  });
  return json{{"time_ms", now_ms},
              {"counts", std::move(counts)},
              {"gateways", std::move(gateways)},
              {"batteries", std::move(batteries)}};
}

}  // namespace btms::aggregator
