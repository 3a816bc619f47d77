// The site summary unit read from what the aggregator holds: each register of a gateway's block
// from plain GatewayData, the header summed over the gateways, not-available codes for a gateway
// that is offline or not yet heard from; the battery extremes from the derived string channels.
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
  ASSERT_EQ(regs.size(), 100U + 21U);
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
  ASSERT_EQ(regs.size(), 300U + 21U);
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

// A string's extremes as its gateway publishes them (derived channels string/S/...).
struct StringExtremes {
  double lowest_V;
  int lowest_at;
  double highest_V;
  int highest_at;
  double hottest_C;
  int hottest_at;
};

void put_extremes(GatewayData& g, int string_id, const StringExtremes& e,
                  const char* quality = "ok") {
  const auto name = [&](const char* quantity) {
    return "string/" + std::to_string(string_id) + "/" + quantity;
  };
  g.channels[name("lowest_voltage")] = reading(e.lowest_V, quality);
  g.channels[name("lowest_voltage_battery")] = reading(e.lowest_at, quality);
  g.channels[name("highest_voltage")] = reading(e.highest_V, quality);
  g.channels[name("highest_voltage_battery")] = reading(e.highest_at, quality);
  g.channels[name("highest_temperature")] = reading(e.hottest_C, quality);
  g.channels[name("highest_temperature_battery")] = reading(e.hottest_at, quality);
}

std::uint16_t s16(int counts) {
  return static_cast<std::uint16_t>(static_cast<std::int16_t>(counts));
}

constexpr const char* kExtremeNames[] = {
    "lowest_battery_voltage",      "lowest_voltage_string",      "lowest_voltage_battery",
    "highest_battery_voltage",     "highest_voltage_string",     "highest_voltage_battery",
    "highest_battery_temperature", "highest_temperature_string", "highest_temperature_battery"};

// String 2 has the lowest and the highest voltage, string 1 the hottest battery; string 3 is
// stale with more extreme figures, and string 1's hotter reading of string 3 has a stale
// position: neither counts.
GatewayData gateway_with_extremes() {
  auto g = online_gateway();
  put_extremes(g, 1, {12.801, 5, 13.602, 7, 31.46, 9});
  put_extremes(g, 2, {12.345, 17, 13.9, 3, 29.0, 1});
  put_extremes(g, 3, {11.0, 2, 14.5, 4, 45.0, 6}, "stale");
  g.channels["string/3/highest_temperature"] = reading(50.0);  // ok, but its position is stale
  return g;
}

TEST(SiteScadaValues, BatteryExtremesPickedOverTheGatewaysStrings) {
  const auto g = gateway_with_extremes();
  const auto regs = site_scada_unit(std::vector{gateway_scada_summary(g, kNow)});
  // Scaled as a gateway's battery block: voltage u16 0.001 V, temperature s16 0.1 °C.
  EXPECT_EQ(at(regs, 1, "lowest_battery_voltage"), 12345);
  EXPECT_EQ(at(regs, 1, "lowest_voltage_string"), 2);
  EXPECT_EQ(at(regs, 1, "lowest_voltage_battery"), 17);
  EXPECT_EQ(at(regs, 1, "highest_battery_voltage"), 13900);
  EXPECT_EQ(at(regs, 1, "highest_voltage_string"), 2);
  EXPECT_EQ(at(regs, 1, "highest_voltage_battery"), 3);
  EXPECT_EQ(at(regs, 1, "highest_battery_temperature"), 315);  // 31.46 °C rounded
  EXPECT_EQ(at(regs, 1, "highest_temperature_string"), 1);
  EXPECT_EQ(at(regs, 1, "highest_temperature_battery"), 9);
  // The same figures the site summary (GET /api/v1/site) shows for those strings.
  const auto summary = gateway_summary_json(g, kNow);
  const auto& string2 = summary["strings"][1];
  ASSERT_EQ(string2["id"], 2);
  EXPECT_DOUBLE_EQ(string2["lowest_voltage_V"]["value"].get<double>(), 12.345);
  EXPECT_EQ(string2["lowest_voltage_V"]["battery"], 17);
  // One gateway: the site's extremes are its own, at gateway 1.
  EXPECT_EQ(header(regs, "lowest_battery_voltage"), 12345);
  EXPECT_EQ(header(regs, "lowest_voltage_gateway"), 1);
  EXPECT_EQ(header(regs, "lowest_voltage_string"), 2);
  EXPECT_EQ(header(regs, "lowest_voltage_battery"), 17);
  EXPECT_EQ(header(regs, "highest_battery_temperature"), 315);
  EXPECT_EQ(header(regs, "highest_temperature_battery"), 9);
}

TEST(SiteScadaValues, SiteExtremesNameTheGateway) {
  auto cold = online_gateway();
  put_extremes(cold, 1, {12.9, 1, 13.1, 2, -12.3, 3});
  put_extremes(cold, 2, {12.7, 4, 13.0, 5, -20.0, 6});
  auto low = gateway_with_extremes();
  put_extremes(low, 1, {12.0, 40, 13.0, 7, 31.46, 9});
  auto lost = gateway_with_extremes();  // the lowest of all, but offline: not counted
  put_extremes(lost, 1, {10.0, 1, 15.0, 1, 60.0, 1});
  lost.state = LinkState::offline;
  const auto regs = site_scada_unit(std::vector{gateway_scada_summary(cold, kNow),
                                                gateway_scada_summary(low, kNow),
                                                gateway_scada_summary(lost, kNow)});
  // Below zero: s16 two's complement, the hotter of two negative temperatures.
  EXPECT_EQ(at(regs, 1, "highest_battery_temperature"), s16(-123));
  EXPECT_EQ(at(regs, 1, "highest_temperature_string"), 1);
  EXPECT_EQ(at(regs, 1, "lowest_battery_voltage"), 12700);
  EXPECT_EQ(at(regs, 1, "lowest_voltage_string"), 2);
  EXPECT_EQ(header(regs, "lowest_battery_voltage"), 12000);
  EXPECT_EQ(header(regs, "lowest_voltage_gateway"), 2);
  EXPECT_EQ(header(regs, "lowest_voltage_string"), 1);
  EXPECT_EQ(header(regs, "lowest_voltage_battery"), 40);
  EXPECT_EQ(header(regs, "highest_battery_voltage"), 13900);
  EXPECT_EQ(header(regs, "highest_voltage_gateway"), 2);
  EXPECT_EQ(header(regs, "highest_voltage_string"), 2);
  EXPECT_EQ(header(regs, "highest_voltage_battery"), 3);
  EXPECT_EQ(header(regs, "highest_battery_temperature"), 315);
  EXPECT_EQ(header(regs, "highest_temperature_gateway"), 2);
  // The offline gateway's extremes are not available; a temperature's code is the s16 one.
  for (const char* name : kExtremeNames) {
    const std::uint16_t na = std::string_view(name) == "highest_battery_temperature" ? 0x8000 : kNa;
    EXPECT_EQ(at(regs, 3, name), na) << name;
  }
}

TEST(SiteScadaValues, ExtremesNotAvailableWithoutAGoodFigure) {
  auto stale = online_gateway();
  put_extremes(stale, 1, {12.0, 1, 13.0, 2, 20.0, 3}, "stale");
  auto silent = gateway_with_extremes();
  silent.last_seen_ms = kNow - kDataStale_ms - 1;  // link up, nothing heard: not fresh
  const auto regs = site_scada_unit(
      std::vector{gateway_scada_summary(stale, kNow), gateway_scada_summary(silent, kNow)});
  for (const char* name : kExtremeNames) {
    const std::uint16_t na = std::string_view(name) == "highest_battery_temperature" ? 0x8000 : kNa;
    EXPECT_EQ(at(regs, 1, name), na) << name;
    EXPECT_EQ(at(regs, 2, name), na) << name;
  }
  EXPECT_EQ(header(regs, "lowest_battery_voltage"), kNa);
  EXPECT_EQ(header(regs, "lowest_voltage_gateway"), kNa);
  EXPECT_EQ(header(regs, "highest_battery_temperature"), 0x8000);
  EXPECT_EQ(header(regs, "highest_temperature_gateway"), kNa);
}

TEST(SiteScadaValues, ExtremesOutOfRangeAreClamped) {
  auto g = online_gateway();
  put_extremes(g, 1, {-1.0, 1, 70.0, 2, 4000.0, 3});
  auto cold = online_gateway();
  put_extremes(cold, 1, {12.0, 1, 13.0, 2, -4000.0, 3});
  const auto regs = site_scada_unit(
      std::vector{gateway_scada_summary(g, kNow), gateway_scada_summary(cold, kNow)});
  EXPECT_EQ(at(regs, 1, "lowest_battery_voltage"), 0);
  EXPECT_EQ(at(regs, 1, "highest_battery_voltage"), 0xFFFE);  // never the not-available code
  EXPECT_EQ(at(regs, 1, "highest_battery_temperature"), 32767);
  EXPECT_EQ(at(regs, 2, "highest_battery_temperature"), s16(-32767));  // never 0x8000
}

TEST(SiteScadaMap, ExistingOffsetsNeverMove) {
  // SCADA templates made for the first layout keep reading the same registers.
  const std::vector<std::string_view> block{"online",        "link_state",     "data_age",
                                            "worst_state",   "ups_count",      "string_count",
                                            "battery_count", "strings_open",   "strings_tripped",
                                            "alarm_count",   "unacknowledged", "lowest_string_soc"};
  const auto defs = scada::site_gateway_defs();
  ASSERT_GE(defs.size(), block.size());
  for (std::size_t i = 0; i < block.size(); ++i) {
    EXPECT_EQ(defs[i].name, block[i]);
    EXPECT_EQ(defs[i].offset, static_cast<int>(i));
  }
  const std::vector<std::string_view> head{"gateway_count", "gateways_online", "gateways_offline",
                                           "worst_state",   "alarm_count",     "unacknowledged"};
  const auto header_defs = scada::site_header_defs();
  ASSERT_GE(header_defs.size(), head.size());
  for (std::size_t i = 0; i < head.size(); ++i) {
    EXPECT_EQ(header_defs[i].name, head[i]);
    EXPECT_EQ(header_defs[i].offset, static_cast<int>(i));
  }
  EXPECT_LT(scada::site_unit_size(0), scada::kSiteGatewayStride);  // the header below block 1
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
