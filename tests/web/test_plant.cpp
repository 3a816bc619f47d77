#include "test_plant.hpp"

#include <chrono>
#include <stdexcept>

namespace btms::web::test {

namespace {
std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

TestPlant::TestPlant() : site(std::make_shared<model::Site>()) {
  site->name = "Test room";
  site->battery_types.push_back(
      model::BatteryType{"GEL-12-100", 12.0, 6, 100.0, model::Chemistry::vrla_gel, 2.25, 4.0});
  model::Bus bus;
  bus.name = "bus1";
  site->buses.push_back(bus);
  site->upses.push_back(model::Ups{1, "UPS A", 200.0});
  model::String s1;
  s1.id = 1;
  s1.ups_id = 1;
  s1.name = "String 1";
  s1.battery_type = "GEL-12-100";
  s1.batteries = 4;
  s1.bus = "bus1";
  s1.gs_address = 100;
  s1.hs_address = 101;
  model::String s2 = s1;
  s2.id = 2;
  s2.name = "String 2";
  s2.batteries = 3;
  s2.first_cs_address = 10;
  site->strings = {s1, s2};
  site->mc.present = true;
  site->mc.bus = "bus1";
  site->mc.address = 200;
  site->mc.th.push_back(model::ThSensor{1, "Room"});

  channels = model::build_plant_channels(*site);
  // Bus statistics as acquisition adds them to the plant directory.
  channels.directory->add("bus/bus1/requests", "");
  channels.directory->add("bus/bus1/crc_errors", "");
  derived_directory = std::make_shared<model::ChannelDirectory>();
  derived_directory->add("string/1/soc", "%");
  derived_directory->add("ups/1/runtime", "min");

  now_ms = wall_ms();
  plant_samples.resize(channels.directory->size());
  for (std::size_t i = 0; i < plant_samples.size(); ++i) {
    plant_samples[i] = model::Sample{1.0 + static_cast<double>(i), now_ms, model::Quality::ok};
  }
  derived_samples.assign(derived_directory->size(),
                         model::Sample{80.0, now_ms, model::Quality::ok});
  plant = std::make_shared<model::SnapshotPublisher>();
  derived = std::make_shared<model::SnapshotPublisher>();
}

model::ChannelId TestPlant::plant_id(const std::string& name) const {
  const auto id = channels.directory->find(name);
  if (!id) throw std::runtime_error("no channel " + name);
  return *id;
}

void TestPlant::set(model::ChannelId id, double value, model::Quality quality) {
  plant_samples.at(id) = model::Sample{value, wall_ms(), quality};
}

void TestPlant::publish() {
  ++sequence;
  auto p = std::make_shared<model::Snapshot>();
  p->channels = channels.directory;
  p->samples = plant_samples;
  p->sequence = sequence;
  p->time_ms = wall_ms();
  plant->publish(p);
  auto d = std::make_shared<model::Snapshot>();
  d->channels = derived_directory;
  d->samples = derived_samples;
  d->sequence = sequence;
  d->time_ms = p->time_ms;
  derived->publish(d);
}

}  // namespace btms::web::test
