// A small site built in code and a plant snapshot filled by hand, shared by the engine tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "engine/engine.hpp"
#include "model/ids.hpp"
#include "model/plant_channels.hpp"
#include "model/topology.hpp"

namespace btms::engine::testing {

// UPS 1: strings 1 and 2 (4 × 12 V 100 Ah each); UPS 2: string 3 alone (its last string).
// MC with ambient sensor 1, door contact on mc/input/1, string 1 relay mc/relay/1 fed back on
// mc/input/2, string 3 relay mc/relay/3 fed back on mc/input/4.
inline model::Site make_site() {
  model::Site site;
  site.name = "test";
  model::BatteryType bt;
  bt.name = "12V100";
  site.battery_types.push_back(bt);
  site.buses.push_back(model::Bus{});
  site.buses.back().name = "bus1";
  site.upses.push_back(model::Ups{1, "UPS A", 100.0});
  site.upses.push_back(model::Ups{2, "UPS B", 100.0});
  for (int id = 1; id <= 3; ++id) {
    model::String s;
    s.id = id;
    s.ups_id = id == 3 ? 2 : 1;
    s.name = "S" + std::to_string(id);
    s.battery_type = "12V100";
    s.batteries = 4;
    s.bus = "bus1";
    s.first_cs_address = 10 * id;
    s.gs_address = 10 * id + 8;
    s.hs_address = 10 * id + 9;
    s.ambient_th = 1;
    if (id != 2) {
      s.disconnect_relay = model::IoPoint{0, id};
      s.relay_feedback = model::IoPoint{0, id + 1};
    }
    site.strings.push_back(s);
  }
  site.mc.present = true;
  site.mc.bus = "bus1";
  site.mc.address = 1;
  site.mc.th.push_back(model::ThSensor{1, "room"});
  site.mc.inputs.push_back(
      model::DigitalInput{model::IoPoint{0, 1}, "Door", "Battery room door open", true});
  return site;
}

class PlantFixture : public ::testing::Test {
 protected:
  PlantFixture() : site(make_site()), plant(model::build_plant_channels(site)) {
    snap.channels = plant.directory;
    snap.samples.assign(plant.directory->size(), model::Sample{0.0, 0, model::Quality::ok});
    for (int s = 1; s <= 3; ++s) {
      set(model::string_id(s) + "/voltage", 4 * 13.62);
      set(model::string_id(s) + "/current", 0.2);
      set(model::string_id(s) + "/insulation_pos", 10000.0);
      set(model::string_id(s) + "/insulation_neg", 10000.0);
      for (int p = 1; p <= 4; ++p) {
        set_battery(s, p, "voltage", 13.62);
        set_battery(s, p, "temperature", 25.0);
        set_battery(s, p, "resistance", 4.0);
      }
    }
    set("ambient/1/temperature", 25.0);
    set("mc/input/2", 1.0);  // string 1 contactor closed
    set("mc/input/4", 1.0);  // string 3 contactor closed
  }

  void set(const std::string& name, double v, model::Quality q = model::Quality::ok) {
    const auto id = plant.directory->find(name);
    ASSERT_TRUE(id.has_value()) << name;
    snap.samples[*id] = model::Sample{v, now_ms, q};
  }
  void set_battery(int s, int p, const std::string& qty, double v,
                   model::Quality q = model::Quality::ok) {
    set(model::channel_name(model::battery_id(s, p), qty), v, q);
  }
  // Steps the engine n times, 1 s apart, collecting everything. Each step comes with fresh
  // readings of every channel (as one acquisition cycle brings them): the engine evaluates a
  // string only when its readings are new.
  EngineOutput run(Engine& e, int n = 1, std::int64_t dt_ms = 1000) {
    EngineOutput all;
    for (int i = 0; i < n; ++i) {
      now_ms += dt_ms;
      for (auto& sample : snap.samples) sample.time_ms = now_ms;
      auto o = e.step(snap, now_ms);
      all.derived = o.derived;
      all.events.insert(all.events.end(), o.events.begin(), o.events.end());
      all.commands.insert(all.commands.end(), o.commands.begin(), o.commands.end());
      all.finished_discharges.insert(all.finished_discharges.end(), o.finished_discharges.begin(),
                                     o.finished_discharges.end());
    }
    return all;
  }
  static double derived(const EngineOutput& o, const std::string& name) {
    const auto id = o.derived->channels->find(name);
    EXPECT_TRUE(id.has_value()) << name;
    return id ? o.derived->samples[*id].value : -1.0;
  }
  static model::Quality derived_quality(const EngineOutput& o, const std::string& name) {
    const auto id = o.derived->channels->find(name);
    EXPECT_TRUE(id.has_value()) << name;
    return id ? o.derived->samples[*id].quality : model::Quality::comm_lost;
  }
  static int count(const EngineOutput& o, model::EventKind k, const std::string& rule = {}) {
    int n = 0;
    for (const auto& e : o.events) {
      if (e.kind == k && (rule.empty() || e.rule == rule)) ++n;
    }
    return n;
  }
  static const model::Event* find(const EngineOutput& o, model::EventKind k,
                                  const std::string& rule = {}) {
    for (const auto& e : o.events) {
      if (e.kind == k && (rule.empty() || e.rule == rule)) return &e;
    }
    return nullptr;
  }
  static std::vector<model::SetRelay> relays(const EngineOutput& o) {
    std::vector<model::SetRelay> r;
    for (const auto& c : o.commands) {
      if (const auto* s = std::get_if<model::SetRelay>(&c)) r.push_back(*s);
    }
    return r;
  }
  static std::vector<model::SetBalancing> balancing(const EngineOutput& o) {
    std::vector<model::SetBalancing> r;
    for (const auto& c : o.commands) {
      if (const auto* s = std::get_if<model::SetBalancing>(&c)) r.push_back(*s);
    }
    return r;
  }

  model::Site site;
  model::PlantChannels plant;
  model::Snapshot snap;
  std::int64_t now_ms = 1'700'000'000'000;
};

}  // namespace btms::engine::testing
