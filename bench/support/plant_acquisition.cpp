#include "support/plant_acquisition.hpp"

#include <thread>

#include "model/plant_channels.hpp"

namespace btms::bench {

namespace {
plant::PlantOptions on_free_ports() {
  plant::PlantOptions options;
  options.tcp_pick_free_ports = true;
  return options;
}

// Starts the plant; the site with the ports it serves on (free ones, known only once started).
std::shared_ptr<const model::Site> start_and_locate(plant::VirtualPlant& plant) {
  plant.start();
  return std::make_shared<const model::Site>(plant.site_for_gateway());
}
}  // namespace

PlantAcquisition::PlantAcquisition()
    : plant(make_site(), on_free_ports()),
      site(start_and_locate(plant)),
      publisher(std::make_shared<model::SnapshotPublisher>()),
      acq(*site, model::build_plant_channels(*site), publisher) {
  acq.start();
  for (const auto& bus : site->buses) {
    while (acq.cycles(bus.name) < 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // past identity reads
    }
  }
}

Window PlantAcquisition::measure(std::chrono::milliseconds duration) const {
  return bench::measure(acq, *publisher, *site, duration);
}

}  // namespace btms::bench
