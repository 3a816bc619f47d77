// The gateway's acquisition side as the acquisition benchmarks run it: the virtual plant of
// make_site() on free loopback ports and the real acquisition polling it, publishing snapshots.
#pragma once

#include <chrono>
#include <memory>

#include "fieldbus/acquisition.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"
#include "plant/virtual_plant.hpp"
#include "support/acquisition_windows.hpp"

namespace btms::bench {

class PlantAcquisition {
 public:
  // Starts the plant and the acquisition; returns once every bus has completed two cycles
  // (past the identity reads), so the first window holds steady polling only.
  PlantAcquisition();
  PlantAcquisition(const PlantAcquisition&) = delete;
  PlantAcquisition& operator=(const PlantAcquisition&) = delete;

  // The bus cycle times (and this process's CPU) of the cycles completed during `duration`.
  Window measure(std::chrono::milliseconds duration) const;

  // Stops the acquisition (call after stopping the servers fed from its snapshots).
  void stop() { acq.stop(); }

  plant::VirtualPlant plant;
  const std::shared_ptr<const model::Site> site;  // as the gateway sees it (the plant's ports)
  const std::shared_ptr<model::SnapshotPublisher> publisher;
  fieldbus::Acquisition acq;
};

}  // namespace btms::bench
