// A small hand-built site with plant and derived snapshots for the web tests.
#pragma once

#include <memory>
#include <vector>

#include "model/plant_channels.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::web::test {

struct TestPlant {
  TestPlant();
  // Publishes the current samples as a new plant and derived snapshot.
  void publish();
  void set(model::ChannelId id, double value, model::Quality quality = model::Quality::ok);
  model::ChannelId plant_id(const std::string& name) const;

  std::shared_ptr<model::Site> site;
  model::PlantChannels channels;
  std::shared_ptr<model::ChannelDirectory> derived_directory;
  std::shared_ptr<model::SnapshotPublisher> plant;
  std::shared_ptr<model::SnapshotPublisher> derived;
  std::vector<model::Sample> plant_samples;
  std::vector<model::Sample> derived_samples;
  std::uint64_t sequence = 0;
  std::int64_t now_ms = 0;
};

}  // namespace btms::web::test
