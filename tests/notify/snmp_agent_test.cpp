// The AgentX subagent under a real snmpd (Debian snmpd) started by the test: master agentx on a
// socket in a temporary folder, SNMP on a free loopback UDP port. snmpget and snmpwalk (Debian
// snmp) read what the gateway published -- the same samples /api/v1/live serves -- scaled as
// BTMS-MIB says; a stale value is not served and its row says stale. And the pure view: OID
// order, scaling, quality, UPS-MIB only with one UPS.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "model/derived_channels.hpp"
#include "model/plant_channels.hpp"
#include "notify/snmp_mib_view.hpp"
#include "notify/snmp_subagent.hpp"
#include "tests/e2e/process.hpp"
#include "tests/notify/snmp_test_tools.hpp"

namespace btms::notify {
namespace {

model::Site test_site(int upses) {
  model::Site site;
  site.name = "DC Test";
  for (int u = 1; u <= upses; ++u)
    site.upses.push_back(model::Ups{u, "UPS " + std::to_string(u), 100});
  model::String s;
  s.id = 3;
  s.ups_id = 1;
  s.name = "Row C";
  s.batteries = 3;
  s.bus = "bus1";
  s.gs_address = 100;
  s.hs_address = 101;
  site.strings = {s};
  return site;
}

// A published step with known values; battery/3/2's sensor is stale.
std::shared_ptr<engine::StepPublication> publish(const model::Site& site) {
  const auto plant_channels = model::build_plant_channels(site);
  const auto derived_channels = model::build_derived_channels(site);
  auto plant = std::make_shared<model::Snapshot>();
  plant->channels = plant_channels.directory;
  plant->samples.assign(plant_channels.directory->size(), model::Sample{0, 1, model::Quality::ok});
  auto derived = std::make_shared<model::Snapshot>();
  derived->channels = derived_channels.directory;
  derived->samples.assign(derived_channels.directory->size(),
                          model::Sample{0, 1, model::Quality::ok});
  const auto set = [](model::Snapshot& snap, const std::string& name, double value,
                      model::Quality q = model::Quality::ok) {
    snap.samples.at(*snap.channels->find(name)) = model::Sample{value, 1, q};
  };
  set(*plant, "string/3/voltage", 40.815);
  set(*plant, "string/3/current", -12.5);
  for (int b = 1; b <= 3; ++b) {
    const auto id = "battery/3/" + std::to_string(b);
    set(*plant, id + "/voltage", 13.5 + 0.011 * b,
        b == 2 ? model::Quality::stale : model::Quality::ok);
    set(*plant, id + "/temperature", 24.0 + b, b == 2 ? model::Quality::stale : model::Quality::ok);
    set(*plant, id + "/resistance", 3.9 + 0.1 * b);
    set(*derived, id + "/soc", 90 + b);
    set(*derived, id + "/soh", 80 + b);
    set(*derived, id + "/status", 1);
    set(*derived, id + "/alarm_bits", b == 3 ? 4 : 0);
  }
  set(*derived, "string/3/soc", 92);
  set(*derived, "string/3/state", 2);
  set(*derived, "string/3/alarm_bits", 256);
  set(*derived, "site/active_alarms", 1);
  set(*derived, "ups/1/alarm_bits", 0);
  set(*derived, "ups/1/runtime", 42);
  set(*derived, "ups/1/soc", 92);
  set(*derived, "ups/1/voltage", 40.815);
  set(*derived, "ups/1/current", -12.5);
  auto bundle = std::make_shared<engine::StepBundle>();
  bundle->step = 1;
  bundle->plant = plant;
  bundle->derived = derived;
  bundle->alarms = std::make_shared<engine::AlarmList>();
  auto publication = std::make_shared<engine::StepPublication>();
  publication->publish(bundle);
  return publication;
}

std::string battery_oid(int column, int position) {
  return ".1.3.6.1.4.1.99999.1.3.1." + std::to_string(column) + ".3." + std::to_string(position);
}

TEST(SnmpMibView, ScalesValuesAndLeavesOutStaleOnes) {
  const auto site = test_site(1);
  const auto pub = publish(site);
  const auto bundle = pub->latest();
  const auto view = build_mib_view(site, bundle->plant.get(), bundle->derived.get());
  const auto at = [&](snmp_oids::Oid oid) { return view.at(oid).number; };
  auto battery = [](std::uint32_t column, std::uint32_t position) {
    auto oid = snmp_oids::kBatteryEntry;
    oid.insert(oid.end(), {column, 3, position});
    return oid;
  };
  EXPECT_EQ(at(battery(2, 1)), 13'511);  // mV
  EXPECT_EQ(at(battery(3, 1)), 250);     // 0.1 °C
  EXPECT_EQ(at(battery(4, 1)), 4'000);   // µΩ
  EXPECT_EQ(at(battery(5, 1)), 91);
  EXPECT_EQ(at(battery(6, 1)), 81);
  EXPECT_EQ(at(battery(8, 3)), 4);
  EXPECT_EQ(at(battery(9, 1)), 1);             // ok
  EXPECT_FALSE(view.contains(battery(2, 2)));  // stale: not served
  EXPECT_FALSE(view.contains(battery(3, 2)));
  EXPECT_EQ(at(battery(4, 2)), 4'100);  // its resistance is fresh
  EXPECT_EQ(at(battery(9, 2)), 2);      // stale
  auto string_col = [](std::uint32_t column) {
    auto oid = snmp_oids::kStringEntry;
    oid.insert(oid.end(), {column, 3});
    return oid;
  };
  EXPECT_EQ(view.at(string_col(2)).text, "Row C");
  EXPECT_EQ(at(string_col(5)), 4'082);  // 0.01 V, rounded
  EXPECT_EQ(at(string_col(6)), -1'250);
  EXPECT_EQ(at(string_col(8)), 2);
  EXPECT_EQ(at(string_col(9)), 256);
  auto ups = snmp_oids::kUpsBattery;
  ups.insert(ups.end(), {5, 0});
  EXPECT_EQ(at(ups), 408);  // upsBatteryVoltage, 0.1 V
  // Lexicographic OID order: the string table's column 10 comes after column 9.
  EXPECT_LT(string_col(9), string_col(10));
  // Two UPSs: UPS-MIB describes one per agent, so none is served.
  const auto two = test_site(2);
  const auto view2 = build_mib_view(two, bundle->plant.get(), bundle->derived.get());
  EXPECT_FALSE(view2.contains(ups));
}

TEST(SnmpSubagent, SnmpdServesThePublishedValues) {
  const snmp_test::Snmpd snmpd;
  ASSERT_TRUE(snmpd.ready());
  const auto site = test_site(1);
  SnmpAgentSettings settings;
  settings.enabled = true;
  settings.agentx_socket = snmpd.agentx_socket();
  const auto publication = publish(site);
  SnmpSubagent agent(settings, site, publication);
  agent.start();
  const auto get = [&](const std::string& oid) { return snmpd.get(oid); };
  // snmpd and the subagent's registration take a moment: ask until it answers (no timing
  // asserted; 30 s at most).
  std::string voltage;
  for (int i = 0; i < 60; ++i) {
    voltage = get(battery_oid(2, 1));
    if (voltage.rfind("13511", 0) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(voltage, "13511\n");
  EXPECT_EQ(get(battery_oid(3, 1)), "250\n");
  EXPECT_EQ(get(battery_oid(4, 3)), "4200\n");
  EXPECT_NE(get(battery_oid(2, 2)).find("No Such Instance"), std::string::npos);
  EXPECT_EQ(get(battery_oid(9, 2)), "2\n");
  EXPECT_EQ(get(".1.3.6.1.4.1.99999.1.1.1.0"), "\"DC Test\"\n");
  EXPECT_EQ(get(".1.3.6.1.2.1.33.1.2.4.0"), "92\n");  // upsEstimatedChargeRemaining

  // snmpwalk of the battery table: 3 batteries x 8 columns, less the stale voltage and
  // temperature.
  const auto walk = snmpd.walk(".1.3.6.1.4.1.99999.1.3");
  int rows = 0;
  for (std::size_t at = walk.find(".1.3.6.1.4.1.99999.1.3.1."); at != std::string::npos;
       at = walk.find(".1.3.6.1.4.1.99999.1.3.1.", at + 1)) {
    ++rows;
  }
  EXPECT_EQ(rows, 3 * 8 - 2) << walk;

  // UPS-MIB alarm group: a temperature alarm and the UPS on battery are two rows while active.
  const auto walk_alarms = [&] { return snmpd.walk(".1.3.6.1.2.1.33.1.6"); };
  EXPECT_NE(walk_alarms().find(".1.3.6.1.2.1.33.1.6.1.0 = Gauge32: 0"), std::string::npos);
  auto bundle = std::make_shared<engine::StepBundle>(*publication->latest());
  auto derived = std::make_shared<model::Snapshot>(*bundle->derived);
  derived->samples.at(*derived->channels->find("ups/1/alarm_bits")).value = model::kUpsOnBattery;
  bundle->derived = derived;
  bundle->step = 2;
  auto alarms = std::make_shared<engine::AlarmList>();
  engine::ActiveAlarm hot;
  hot.key = "battery/3/3:battery_temperature_trip";
  hot.source = "battery/3/3";
  hot.rule = "battery_temperature_trip";
  alarms->alarms.push_back(hot);
  bundle->alarms = alarms;
  publication->publish(bundle);
  const auto active = walk_alarms();
  const std::string entry = ".1.3.6.1.2.1.33.1.6.2.1.";
  EXPECT_NE(active.find(".1.3.6.1.2.1.33.1.6.1.0 = Gauge32: 2"), std::string::npos) << active;
  EXPECT_NE(active.find(entry + "2.1 = OID: .1.3.6.1.2.1.33.1.6.3.2"), std::string::npos)
      << active;  // upsAlarmOnBattery
  EXPECT_NE(active.find(entry + "2.2 = OID: .1.3.6.1.2.1.33.1.6.3.5"), std::string::npos)
      << active;  // upsAlarmTempBad
  EXPECT_NE(active.find(entry + "3.2 = Timeticks:"), std::string::npos) << active;
  // Cleared: the rows go.
  auto cleared = std::make_shared<engine::StepBundle>(*publication->latest());
  cleared->step = 3;
  cleared->derived = publish(site)->latest()->derived;
  cleared->alarms = std::make_shared<engine::AlarmList>();
  publication->publish(cleared);
  const auto after = walk_alarms();
  EXPECT_NE(after.find(".1.3.6.1.2.1.33.1.6.1.0 = Gauge32: 0"), std::string::npos) << after;
  EXPECT_EQ(after.find(entry), std::string::npos) << after;
  agent.stop();
}

}  // namespace
}  // namespace btms::notify
