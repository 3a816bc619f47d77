// The shipped configuration files parse, and the demo file describes the plant demo_site() builds.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "model/config/config_parser.hpp"
#include "model/config/demo_site.hpp"

namespace btms::model {
namespace {

const std::string kConfigDir = std::string(BTMS_SOURCE_DIR) + "/config/";

std::string all_errors(const ConfigResult& result) {
  std::string out;
  for (const auto& e : result.errors) out += format_error(e) + "\n";
  return out;
}

TEST(ConfigFiles, ExampleParses) {
  const auto result = parse_config_file(kConfigDir + "example-site.toml");
  ASSERT_TRUE(result.site.has_value()) << all_errors(result);
  const auto& site = *result.site;
  EXPECT_EQ(site.name, "DC1 battery room A");
  ASSERT_EQ(site.buses.size(), 2u);
  EXPECT_EQ(site.buses[0].kind, BusKind::rtu);
  EXPECT_EQ(site.buses[0].baud, 115200);
  ASSERT_EQ(site.battery_types.size(), 2u);
  EXPECT_EQ(site.battery_types[1].cells, 1);  // derived from 2 V
  EXPECT_EQ(site.battery_types[1].chemistry, Chemistry::vrla_gel);
  ASSERT_EQ(site.strings.size(), 2u);
  EXPECT_EQ(site.strings[0].disconnect_relay, (IoPoint{1, 1}));
  EXPECT_EQ(site.strings[1].name, "String 2");  // default name
  EXPECT_EQ(site.strings[1].current_range_A, 400);
  EXPECT_EQ(site.total_batteries(), 160);
  EXPECT_EQ(site.mc.inputs.at(0).alarm_text, "Battery room door open");
}

TEST(ConfigFiles, HistoryBackendIsSelectedInTheSiteFile) {
  const auto sqlite = parse_config_file(kConfigDir + "example-site.toml");
  ASSERT_TRUE(sqlite.site.has_value()) << all_errors(sqlite);
  EXPECT_EQ(sqlite.site->history.backend, HistorySettings::Backend::sqlite);  // the default

  std::ifstream in(kConfigDir + "example-site.toml");
  std::stringstream text;
  text << in.rdbuf() << "\n[history]\nbackend = \"postgresql\"\npostgresql = \"dbname=btms\"\n";
  const auto pg = parse_config_string(text.str(), "pg.toml");
  ASSERT_TRUE(pg.site.has_value()) << all_errors(pg);
  EXPECT_EQ(pg.site->history.backend, HistorySettings::Backend::postgresql);
  EXPECT_EQ(pg.site->history.postgresql, "dbname=btms");
}

void expect_same_site(const Site& a, const Site& b) {
  EXPECT_EQ(a.name, b.name);
  ASSERT_EQ(a.battery_types.size(), b.battery_types.size());
  for (std::size_t i = 0; i < a.battery_types.size(); ++i) {
    const auto &x = a.battery_types[i], &y = b.battery_types[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.nominal_voltage_V, y.nominal_voltage_V);
    EXPECT_EQ(x.cells, y.cells);
    EXPECT_EQ(x.capacity_Ah, y.capacity_Ah);
    EXPECT_EQ(x.chemistry, y.chemistry);
    EXPECT_EQ(x.float_voltage_per_cell_V, y.float_voltage_per_cell_V);
    EXPECT_EQ(x.resistance_new_mOhm, y.resistance_new_mOhm);
  }
  ASSERT_EQ(a.buses.size(), b.buses.size());
  for (std::size_t i = 0; i < a.buses.size(); ++i) {
    const auto &x = a.buses[i], &y = b.buses[i];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.host, y.host);
    EXPECT_EQ(x.port, y.port);
    EXPECT_EQ(x.timeout_ms, y.timeout_ms);
    EXPECT_EQ(x.cycle_ms, y.cycle_ms);
    EXPECT_EQ(x.broadcast_sample, y.broadcast_sample);
  }
  ASSERT_EQ(a.upses.size(), b.upses.size());
  for (std::size_t i = 0; i < a.upses.size(); ++i) {
    EXPECT_EQ(a.upses[i].id, b.upses[i].id);
    EXPECT_EQ(a.upses[i].name, b.upses[i].name);
    EXPECT_EQ(a.upses[i].rated_power_kW, b.upses[i].rated_power_kW);
  }
  ASSERT_EQ(a.strings.size(), b.strings.size());
  for (std::size_t i = 0; i < a.strings.size(); ++i) {
    const auto &x = a.strings[i], &y = b.strings[i];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.ups_id, y.ups_id);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.battery_type, y.battery_type);
    EXPECT_EQ(x.batteries, y.batteries);
    EXPECT_EQ(x.bus, y.bus);
    EXPECT_EQ(x.first_cs_address, y.first_cs_address);
    EXPECT_EQ(x.gs_address, y.gs_address);
    EXPECT_EQ(x.hs_address, y.hs_address);
    EXPECT_EQ(x.current_range_A, y.current_range_A);
    EXPECT_EQ(x.disconnect_relay, y.disconnect_relay);
    EXPECT_EQ(x.relay_feedback, y.relay_feedback);
    EXPECT_EQ(x.ambient_th, y.ambient_th);
  }
  EXPECT_EQ(a.mc.present, b.mc.present);
  EXPECT_EQ(a.mc.bus, b.mc.bus);
  EXPECT_EQ(a.mc.address, b.mc.address);
  EXPECT_EQ(a.mc.lc_count, b.mc.lc_count);
  EXPECT_EQ(a.mc.watchdog_timeout_s, b.mc.watchdog_timeout_s);
  ASSERT_EQ(a.mc.th.size(), b.mc.th.size());
  for (std::size_t i = 0; i < a.mc.th.size(); ++i) {
    EXPECT_EQ(a.mc.th[i].index, b.mc.th[i].index);
    EXPECT_EQ(a.mc.th[i].name, b.mc.th[i].name);
  }
  ASSERT_EQ(a.mc.inputs.size(), b.mc.inputs.size());
  for (std::size_t i = 0; i < a.mc.inputs.size(); ++i) {
    EXPECT_EQ(a.mc.inputs[i].point, b.mc.inputs[i].point);
    EXPECT_EQ(a.mc.inputs[i].name, b.mc.inputs[i].name);
    EXPECT_EQ(a.mc.inputs[i].alarm_text, b.mc.inputs[i].alarm_text);
    EXPECT_EQ(a.mc.inputs[i].active_high, b.mc.inputs[i].active_high);
  }
}

TEST(ConfigFiles, DemoFileEqualsDemoSite) {
  const auto result = parse_config_file(kConfigDir + "demo-site.toml");
  ASSERT_TRUE(result.site.has_value()) << all_errors(result);
  expect_same_site(*result.site, demo_site());
}

TEST(DemoSite, MatchesTheBrief) {
  const auto site = demo_site();
  EXPECT_EQ(site.upses.size(), 2u);
  ASSERT_EQ(site.strings.size(), 4u);
  EXPECT_EQ(site.total_batteries(), 160);
  for (const auto& s : site.strings) {
    const auto* bus = site.find_bus(s.bus);
    ASSERT_NE(bus, nullptr);
    EXPECT_EQ(bus->port, 15020 + s.id);
    EXPECT_EQ(bus->host, "127.0.0.1");
    EXPECT_EQ(s.ups_id, s.id <= 2 ? 1 : 2);
    EXPECT_EQ(s.ambient_th, s.id);
    EXPECT_EQ(s.disconnect_relay, (IoPoint{0, s.id}));
  }
  EXPECT_EQ(site.find_bus(site.mc.bus)->port, 15020);
  EXPECT_EQ(site.mc.th.size(), 4u);
  EXPECT_EQ(site.mc.lc_count, 1);
  ASSERT_EQ(site.mc.inputs.size(), 2u);
  EXPECT_EQ(site.mc.inputs[0].name, "Battery room door");
  EXPECT_EQ(site.mc.inputs[1].point, (IoPoint{0, 6}));
}

TEST(Summarize, NamesTheEssentials) {
  const auto text = summarize(demo_site());
  for (const char* part : {"Site: BTMS demo plant", "UPSs: 2", "Strings: 4",
                           "string 3: String 3, ups 2, 40 x VRLA 12V 100Ah, bus string3, BM-CS "
                           "1..40, BM-GS 201, BM-HS 202 (400 A), relay mc:3, feedback mc:3",
                           "Buses: 5", "string4: Modbus TCP 127.0.0.1:15024",
                           "MC: bus mc, address 1, 4 BM-TH, 1 BM-LC", "input mc:6: Water leak",
                           "Total batteries: 160"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\nin:\n" << text;
  }
}

}  // namespace
}  // namespace btms::model
