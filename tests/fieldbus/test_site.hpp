// Small sites built in code for the field-bus tests.
#pragma once

#include "model/topology.hpp"

namespace btms::fieldbus::testing {

// One TCP bus "bus1": string 1 with `batteries` BM-CS at 1.., BM-GS at 50, BM-HS at 51, MC at
// 60 with two BM-TH and one BM-LC. Optionally a second bus "bus2" with string 2 (3 batteries).
inline model::Site small_site(int batteries = 4, bool second_bus = false) {
  model::Site site;
  site.name = "test";
  model::BatteryType bt;
  bt.name = "12V100";
  bt.nominal_voltage_V = 12.0;
  site.battery_types.push_back(bt);
  model::Bus bus;
  bus.name = "bus1";
  bus.kind = model::BusKind::tcp;
  bus.timeout_ms = 100;
  bus.cycle_ms = 50;
  site.buses.push_back(bus);
  site.upses.push_back(model::Ups{1, "UPS 1", 100.0});
  model::String s;
  s.id = 1;
  s.ups_id = 1;
  s.name = "S1";
  s.battery_type = "12V100";
  s.batteries = batteries;
  s.bus = "bus1";
  s.first_cs_address = 1;
  s.gs_address = 50;
  s.hs_address = 51;
  s.current_range_A = 400;
  s.disconnect_relay = model::IoPoint{0, 1};
  site.strings.push_back(s);
  if (second_bus) {
    bus.name = "bus2";
    site.buses.push_back(bus);
    s.id = 2;
    s.name = "S2";
    s.batteries = 3;
    s.bus = "bus2";
    s.gs_address = 0;
    s.hs_address = 0;
    s.disconnect_relay.reset();
    site.strings.push_back(s);
  }
  site.mc.present = true;
  site.mc.bus = "bus1";
  site.mc.address = 60;
  site.mc.th = {model::ThSensor{1, "room"}, model::ThSensor{2, "corridor"}};
  site.mc.lc_count = 1;
  site.mc.watchdog_timeout_s = 2;
  return site;
}

}  // namespace btms::fieldbus::testing
