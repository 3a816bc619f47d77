#include "test_site.hpp"

namespace btms::plant::test {

model::Site two_string_site(bool rtu_string2, int bus1_port) {
  model::Site site;
  site.name = "test";
  model::BatteryType bt;
  bt.name = "12V100";
  bt.nominal_voltage_V = 12.0;
  bt.cells = 6;
  bt.capacity_Ah = 100.0;
  bt.float_voltage_per_cell_V = 2.27;
  site.battery_types.push_back(bt);

  model::Bus bus1;
  bus1.name = "bus1";
  bus1.port = bus1_port;
  site.buses.push_back(bus1);
  model::Bus bus2;
  bus2.name = "bus2";
  bus2.port = 0;
  if (rtu_string2) {
    bus2.kind = model::BusKind::rtu;
    bus2.baud = 115200;
  }
  site.buses.push_back(bus2);

  site.upses.push_back({1, "UPS 1", 40.0});
  for (int id = 1; id <= 2; ++id) {
    model::String s;
    s.id = id;
    s.ups_id = 1;
    s.name = "String " + std::to_string(id);
    s.battery_type = "12V100";
    s.batteries = 4;
    s.bus = id == 1 ? "bus1" : "bus2";
    s.first_cs_address = id == 1 ? 1 : 21;
    s.gs_address = id == 1 ? 10 : 30;
    s.hs_address = id == 1 ? 11 : 31;
    s.current_range_A = 400;
    s.disconnect_relay = model::IoPoint{0, id};
    s.relay_feedback = model::IoPoint{0, id};
    s.ambient_th = 1;
    site.strings.push_back(s);
  }
  site.mc.present = true;
  site.mc.bus = "bus1";
  site.mc.address = kMcAddress;
  site.mc.th.push_back({1, "Room"});
  site.mc.lc_count = 1;
  site.mc.watchdog_timeout_s = 0;  // off unless a test arms it
  site.mc.inputs.push_back({model::IoPoint{0, 5}, "Door", "Door open", true});
  return site;
}

}  // namespace btms::plant::test
