// The site summary unit read from what the aggregator holds: each register of a gateway's block
// from plain GatewayData, the header summed over the gateways, not-available codes for a gateway
// that is offline or not yet heard from.
#include "aggregator/site_scada_values.hpp"

#include <gtest/gtest.h>

#include "aggregator/site_view.hpp"
#include "scada/site_scada_map.hpp"

namespace btms::aggregator {
namespace {

using nlohmann::json;
using scada::SiteField;

constexpr std::int64_t kNow = 2'000'000;
constexpr std::uint16_t kNa = 0xFFFF;

json reading(double value, const char* quality = "ok") {
  return json{{"value", value}, {"quality", quality}, {"time_ms", kNow}};
}

// Two UPSs, three strings of 40 batteries; string 2 tripped, string 3 opened by hand; SOCs 80,
// 55 (string 2) and a stale 10 that must not count.
GatewayData online_gateway() {
  GatewayData g;
  g.name = "gw";
  g.state = LinkState::online;
  g.last_data_ms = kNow - 2'500;
  g.last_seen_ms = kNow - 100;
  g.topology = json{{"upses", json::array({json{{"id", 1}}, json{{"id", 2}}})},
                    {"strings", json::array({json{{"id", 1}, {"batteries", 40}},
                                             json{{"id", 2}, {"batteries", 40}},
                                             json{{"id", 3}, {"batteries", 40}}})}};
  g.channels = json{{"string/1/protection", reading(0)}, {"string/2/protection", reading(1)},
                    {"string/3/protection", reading(3)}, {"string/1/soc", reading(80)},
                    {"string/2/soc", reading(55.4)},     {"string/3/soc", reading(10, "stale")},
                    {"string/1/state", reading(0)},      {"ups/1/soc", reading(3)}};
  g.alarms = json{
      {"alarms",
       json::array({json{{"key", "string/2:trip"}, {"severity", "trip"}, {"acknowledged", false}},
                    json{{"key", "battery/1/3:temperature"},
                         {"severity", "warning"},
                         {"acknowledged", true}}})}};
  return g;
}

std::uint16_t at(const std::vector<std::uint16_t>& regs, int k, const char* name) {
  for (const auto& def : scada::site_gateway_defs()) {
    if (def.name == name) return regs.at(static_cast<std::size_t>(100 * k + def.offset));
  }
  ADD_FAILURE() << "no register " << name;
  return 0;
}

std::uint16_t header(const std::vector<std::uint16_t>& regs, const char* name) {
  for (const auto& def : scada::site_header_defs()) {
    if (def.name == name) return regs.at(static_cast<std::size_t>(def.offset));
  }
  ADD_FAILURE() << "no register " << name;
  return 0;
}

TEST(SiteScadaValues, AnOnlineGatewaysBlock) {
  const auto g = online_gateway();
  const std::vector summaries{gateway_scada_summary(g, kNow)};
  const auto regs = site_scada_unit(summaries);
  ASSERT_EQ(regs.size(), 100U + 12U);
  EXPECT_EQ(at(regs, 1, "online"), 1);
  EXPECT_EQ(at(regs, 1, "link_state"), scada::kLinkOnline);
  EXPECT_EQ(at(regs, 1, "data_age"), 2);  // 2.5 s, whole seconds
  EXPECT_EQ(at(regs, 1, "worst_state"), scada::kWorstTrip);
  EXPECT_EQ(at(regs, 1, "ups_count"), 2);
  EXPECT_EQ(at(regs, 1, "string_count"), 3);
  EXPECT_EQ(at(regs, 1, "battery_count"), 120);
  EXPECT_EQ(at(regs, 1, "strings_open"), 2);
  EXPECT_EQ(at(regs, 1, "strings_tripped"), 1);
  EXPECT_EQ(at(regs, 1, "alarm_count"), 2);
  EXPECT_EQ(at(regs, 1, "unacknowledged"), 1);
  EXPECT_EQ(at(regs, 1, "lowest_string_soc"), 55);  // the stale 10 % is not a value
  EXPECT_EQ(header(regs, "gateway_count"), 1);
  EXPECT_EQ(header(regs, "gateways_online"), 1);
  EXPECT_EQ(header(regs, "gateways_offline"), 0);
  EXPECT_EQ(header(regs, "worst_state"), scada::kWorstTrip);
  EXPECT_EQ(header(regs, "alarm_count"), 2);
  EXPECT_EQ(header(regs, "unacknowledged"), 1);
}

TEST(SiteScadaValues, WorstStateAsTheSiteViewComputesIt) {
  auto g = online_gateway();
  g.alarms = json{{"alarms", json::array()}};
  EXPECT_EQ(worst_state(g, kNow), "normal");
  EXPECT_EQ(at(site_scada_unit(std::vector{gateway_scada_summary(g, kNow)}), 1, "worst_state"),
            scada::kWorstNormal);
  g.channels["string/1/state"] = reading(2);  // discharging
  EXPECT_EQ(at(site_scada_unit(std::vector{gateway_scada_summary(g, kNow)}), 1, "worst_state"),
            scada::kWorstDischarging);
  g.alarms = json{{"alarms", json::array({json{{"severity", "alarm"}}})}};
  EXPECT_EQ(at(site_scada_unit(std::vector{gateway_scada_summary(g, kNow)}), 1, "worst_state"),
            scada::kWorstAlarm);
}

TEST(SiteScadaValues, AnOfflineGatewayKeepsItsTopologyButNoLiveValues) {
  auto lost = online_gateway();
  lost.state = LinkState::offline;
  lost.last_data_ms = kNow - 70'000'000;  // a long time: the age is clamped below 0xFFFF
  GatewayData never;                      // connecting, nothing heard yet
  never.state = LinkState::connecting;
  const auto regs = site_scada_unit(std::vector{gateway_scada_summary(online_gateway(), kNow),
                                                gateway_scada_summary(lost, kNow),
                                                gateway_scada_summary(never, kNow)});
  ASSERT_EQ(regs.size(), 300U + 12U);
  EXPECT_EQ(at(regs, 2, "online"), 0);
  EXPECT_EQ(at(regs, 2, "link_state"), scada::kLinkOffline);
  EXPECT_EQ(at(regs, 2, "data_age"), 0xFFFE);
  EXPECT_EQ(at(regs, 2, "string_count"), 3);
  for (const char* live : {"worst_state", "strings_open", "strings_tripped", "alarm_count",
                           "unacknowledged", "lowest_string_soc"}) {
    EXPECT_EQ(at(regs, 2, live), kNa) << live;
  }
  EXPECT_EQ(at(regs, 3, "online"), 0);
  EXPECT_EQ(at(regs, 3, "link_state"), scada::kLinkConnecting);
  EXPECT_EQ(at(regs, 3, "data_age"), kNa);
  EXPECT_EQ(at(regs, 3, "ups_count"), kNa);
  EXPECT_EQ(header(regs, "gateway_count"), 3);
  EXPECT_EQ(header(regs, "gateways_online"), 1);
  EXPECT_EQ(header(regs, "gateways_offline"), 2);
  // The site alarm list: both gateways' alarms (the lost one's stale) and its gateway_offline.
  const std::vector<GatewayData> all{online_gateway(), lost, never};
  const auto listed = site_alarms_json(all, kNow);
  EXPECT_EQ(header(regs, "alarm_count"), listed["count"].get<int>());
  EXPECT_EQ(header(regs, "unacknowledged"), listed["unacknowledged"].get<int>());
  EXPECT_EQ(header(regs, "alarm_count"), 5);
}

TEST(SiteScadaValues, ASilentGatewayIsUnavailableForForwarding) {
  auto g = online_gateway();
  EXPECT_FALSE(gateway_unavailable(g, kNow));
  g.last_seen_ms = kNow - kDataStale_ms - 1;  // connected but silent
  EXPECT_TRUE(gateway_unavailable(g, kNow));
  g = online_gateway();
  g.state = LinkState::offline;
  EXPECT_TRUE(gateway_unavailable(g, kNow));
  GatewayData connecting;  // not heard from yet: asked, its Modbus server may well answer
  EXPECT_FALSE(gateway_unavailable(connecting, kNow));
}

TEST(SiteScadaMap, LayoutIsOneTableForServerAndDocs) {
  // Blocks do not overlap and fit in the stride; the docs list every register.
  EXPECT_LE(scada::site_gateway_block_size(), scada::kSiteGatewayStride);
  const auto docs = scada::render_site_scada_docs();
  for (const auto& def : scada::site_gateway_defs()) {
    const auto row = "| 100·k+" + std::to_string(def.offset) + " | " + std::string(def.name) + " |";
    EXPECT_NE(docs.find(row), std::string::npos) << row;
  }
  for (const auto& def : scada::site_header_defs()) {
    const auto row = "| " + std::to_string(def.offset) + " | " + std::string(def.name) + " |";
    EXPECT_NE(docs.find(row), std::string::npos) << row;
  }
  EXPECT_EQ(scada::site_unit_size(16), 1600 + scada::site_gateway_block_size());
}

}  // namespace
}  // namespace btms::aggregator
