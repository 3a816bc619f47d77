// A small hand-built site with plant and engine snapshots for the SCADA tests.
#pragma once

#include <memory>
#include <string>

#include "model/ids.hpp"
#include "model/plant_channels.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::scada::testing {

struct Fixture {
  std::shared_ptr<model::Site> site = std::make_shared<model::Site>();
  model::PlantChannels plant_channels;
  std::shared_ptr<model::ChannelDirectory> derived_dir =
      std::make_shared<model::ChannelDirectory>();
  std::shared_ptr<model::Snapshot> plant = std::make_shared<model::Snapshot>();
  std::shared_ptr<model::Snapshot> derived = std::make_shared<model::Snapshot>();

  Fixture() {
    site->upses.push_back(model::Ups{1, "UPS A", 200.0});
    model::String s1;
    s1.id = 1;
    s1.ups_id = 1;
    s1.batteries = 4;
    s1.ambient_th = 1;
    s1.relay_feedback = model::IoPoint{0, 3};
    model::String s2;
    s2.id = 2;
    s2.ups_id = 1;
    s2.batteries = 2;
    site->strings = {s1, s2};
    site->mc.present = true;
    site->mc.th.push_back(model::ThSensor{1, "room"});
    plant_channels = model::build_plant_channels(*site);
    plant->channels = plant_channels.directory;
    plant->samples.resize(plant_channels.directory->size(),
                          model::Sample{0.0, 1, model::Quality::ok});
    plant->sequence = 7;

    for (const char* q :
         {"status", "voltage", "current", "soc", "runtime", "alarm_bits", "on_battery"}) {
      derived_dir->add(model::channel_name(model::ups_id(1), q), "");
    }
    for (int s = 1; s <= 2; ++s) {
      for (const char* q : {"soc", "state", "status", "alarm_bits", "balance", "spread", "stddev",
                            "protection", "relay_closed", "runtime"}) {
        derived_dir->add(model::channel_name(model::string_id(s), q), "");
      }
      for (int b = 1; b <= site->strings[static_cast<std::size_t>(s - 1)].batteries; ++b) {
        for (const char* q : {"soc", "soh", "status", "alarm_bits", "resistance_baseline"}) {
          derived_dir->add(model::channel_name(model::battery_id(s, b), q), "");
        }
      }
    }
    derived->channels = derived_dir;
    derived->samples.resize(derived_dir->size(), model::Sample{0.0, 1, model::Quality::ok});
    // Every status OK unless a test says otherwise.
    for (auto id : derived_dir->with_prefix("")) {
      if (derived_dir->info(id).name.ends_with("/status")) derived->samples[id].value = 1;
    }
  }

  void set_plant(const std::string& name, double value,
                 model::Quality quality = model::Quality::ok) {
    auto& s = plant->samples.at(*plant->channels->find(name));
    s.value = value;
    s.quality = quality;
  }
  void set_derived(const std::string& name, double value,
                   model::Quality quality = model::Quality::ok) {
    auto& s = derived->samples.at(*derived->channels->find(name));
    s.value = value;
    s.quality = quality;
  }
};

}  // namespace btms::scada::testing
