// The gateway's field-bus master: one worker thread per configured bus polls its devices and,
// after every cycle, a new immutable Snapshot with that bus's updates is published. Commands
// from the engine are queued to the worker that owns the device (CommandSink).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fieldbus/bus_worker.hpp"
#include "fieldbus/quality.hpp"
#include "model/clock.hpp"
#include "model/commands.hpp"
#include "model/plant_channels.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::fieldbus {

struct AcquisitionOptions {
  QualityPolicy policy;
  int identity_every_cycles = 10;
  // The gateway's one time source: sample and snapshot stamps and the poll schedule. The system
  // clock for real buses; the plant's clock behind a virtual plant (docs/battery-physics.md).
  std::shared_ptr<const model::Clock> clock = model::system_clock();
  // Listen-only on every bus (WorkerOptions::read_only): reads only, submit() drops commands.
  bool read_only = false;
};

class Acquisition : public model::CommandSink {
 public:
  // Adds its statistics channels to channels.directory (so build it before anyone copies the
  // directory): bus/<name>/{cycle_ms,errors,timeouts,crc_errors}, device/<bus>/<address>/errors.
  Acquisition(const model::Site& site, model::PlantChannels channels,
              std::shared_ptr<model::SnapshotPublisher> publisher, AcquisitionOptions options = {});
  ~Acquisition() override;
  Acquisition(const Acquisition&) = delete;
  Acquisition& operator=(const Acquisition&) = delete;

  void start();
  void stop();

  // Queues the command to the worker of the bus that owns the device. An invalid command
  // (unknown string, battery or point) is logged and dropped; so is every command of a
  // read-only acquisition (counted in rejected_commands()).
  void submit(const model::Command& command) override;

  const model::PlantChannels& channels() const { return channels_; }
  std::uint64_t rejected_commands() const { return rejected_.load(); }
  // Completed cycles of one bus (0 for an unknown bus).
  std::uint64_t cycles(const std::string& bus_name) const;

 private:
  void merge_and_publish(const Updates& updates);

  model::Site site_;
  model::PlantChannels channels_;
  std::shared_ptr<model::SnapshotPublisher> publisher_;
  std::vector<std::unique_ptr<BusWorker>> workers_;
  std::shared_ptr<const model::Clock> clock_;
  bool read_only_ = false;
  std::atomic<std::uint64_t> rejected_{0};

  std::mutex merge_mutex_;
  std::vector<model::Sample> samples_;  // latest of every channel, merged from all buses
  std::uint64_t sequence_ = 0;
};

}  // namespace btms::fieldbus
