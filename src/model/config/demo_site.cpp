#include "model/config/demo_site.hpp"

#include <string>

namespace btms::model {

namespace {
constexpr int kStrings = 4;
constexpr int kBatteriesPerString = 40;
constexpr int kFirstPort = 15021;
constexpr int kMcPort = 15020;
}  // namespace

Site demo_site() {
  Site site;
  site.name = "BTMS demo plant";
  site.battery_types.push_back(BatteryType{
      .name = "VRLA 12V 100Ah",
      .nominal_voltage_V = 12.0,
      .cells = 6,
      .capacity_Ah = 100.0,
      .chemistry = Chemistry::vrla_agm,
      .float_voltage_per_cell_V = 2.27,
      .resistance_new_mOhm = 3.5,
  });
  for (int u = 1; u <= 2; ++u) {
    site.upses.push_back(Ups{.id = u, .name = "UPS " + std::to_string(u), .rated_power_kW = 120.0});
  }
  Bus mc_bus;
  mc_bus.name = "mc";
  mc_bus.port = kMcPort;
  site.buses.push_back(mc_bus);
  site.mc.present = true;
  site.mc.bus = "mc";
  site.mc.address = 1;
  site.mc.lc_count = 1;
  site.mc.watchdog_timeout_s = 10;
  for (int i = 1; i <= kStrings; ++i) {
    const auto n = std::to_string(i);
    Bus bus;
    bus.name = "string" + n;
    bus.port = kFirstPort + i - 1;
    site.buses.push_back(bus);

    String s;
    s.id = i;
    s.ups_id = i <= 2 ? 1 : 2;
    s.name = "String " + n;
    s.battery_type = "VRLA 12V 100Ah";
    s.batteries = kBatteriesPerString;
    s.bus = bus.name;
    s.first_cs_address = 1;
    s.gs_address = 201;
    s.hs_address = 202;
    s.current_range_A = 400;
    s.disconnect_relay = IoPoint{0, i};
    s.relay_feedback = IoPoint{0, i};
    s.ambient_th = i;
    site.strings.push_back(s);

    site.mc.th.push_back(ThSensor{i, "String " + n + " ambient"});
  }
  site.mc.inputs.push_back(
      DigitalInput{IoPoint{0, 5}, "Battery room door", "Battery room door open", true});
  site.mc.inputs.push_back(DigitalInput{IoPoint{0, 6}, "Water leak", "Water leak detected", true});
  return site;
}

}  // namespace btms::model
