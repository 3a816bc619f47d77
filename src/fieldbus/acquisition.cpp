#include "fieldbus/acquisition.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>

#include "fieldbus/command_encoding.hpp"
#include "fieldbus/device_plan.hpp"

namespace btms::fieldbus {

Acquisition::Acquisition(const model::Site& site, model::PlantChannels channels,
                         std::shared_ptr<model::SnapshotPublisher> publisher,
                         AcquisitionOptions options)
    : site_(site),
      channels_(std::move(channels)),
      publisher_(std::move(publisher)),
      clock_(options.clock ? options.clock : model::system_clock()),
      read_only_(options.read_only) {
  if (!channels_.directory) throw std::invalid_argument("acquisition: no channel directory");
  if (!publisher_) throw std::invalid_argument("acquisition: no snapshot publisher");
  auto& dir = *channels_.directory;
  for (const auto& bus : site_.buses) {
    auto plans = plan_bus(site_, channels_, bus.name);
    const auto prefix = "bus/" + bus.name + "/";
    BusStatsChannels stats;
    stats.cycle_ms = dir.add(prefix + "cycle_ms", "ms");
    stats.errors = dir.add(prefix + "errors", "");
    stats.timeouts = dir.add(prefix + "timeouts", "");
    stats.crc_errors = dir.add(prefix + "crc_errors", "");
    for (const auto& p : plans) {
      stats.device_errors.push_back(
          dir.add("device/" + bus.name + "/" + std::to_string(p.device.address) + "/errors", ""));
    }
    WorkerOptions wo;
    wo.policy = options.policy;
    wo.identity_every_cycles = options.identity_every_cycles;
    wo.mc_on_bus = site_.mc.present && site_.mc.bus == bus.name;
    wo.mc_address = site_.mc.address;
    wo.watchdog_timeout_s = site_.mc.watchdog_timeout_s;
    wo.clock = clock_;
    wo.read_only = options.read_only;
    workers_.push_back(
        std::make_unique<BusWorker>(bus, std::move(plans), std::move(stats), wo,
                                    [this](const Updates& u) { merge_and_publish(u); }));
  }
  samples_.assign(dir.size(), model::Sample{});
}

Acquisition::~Acquisition() {
  stop();
}

void Acquisition::start() {
  for (auto& w : workers_) w->start();
}

void Acquisition::stop() {
  for (auto& w : workers_) w->stop();
}

void Acquisition::submit(const model::Command& command) {
  if (read_only_) {
    if (rejected_.fetch_add(1) == 0) spdlog::warn("fieldbus: read-only: commands are dropped");
    return;
  }
  try {
    auto encoded = encode_command(site_, command);
    for (auto& w : workers_) {
      if (w->bus_name() == encoded.bus) {
        w->enqueue(std::move(encoded.writes));
        return;
      }
    }
    throw std::invalid_argument("no bus '" + encoded.bus + "'");
  } catch (const std::invalid_argument& e) {
    ++rejected_;
    spdlog::warn("fieldbus: command rejected: {}", e.what());
  }
}

std::uint64_t Acquisition::cycles(const std::string& bus_name) const {
  for (const auto& w : workers_) {
    if (w->bus_name() == bus_name) return w->cycles();
  }
  return 0;
}

void Acquisition::merge_and_publish(const Updates& updates) {
  auto snapshot = std::make_shared<model::Snapshot>();
  snapshot->channels = channels_.directory;
  snapshot->time_ms = clock_->now_ms();
  {
    // Held only for the merge and one copy of the sample vector; the publish itself swaps a
    // pointer, so a worker never waits on a reader.
    std::lock_guard lock(merge_mutex_);
    for (const auto& [id, sample] : updates) {
      if (id < samples_.size()) samples_[id] = sample;
    }
    snapshot->samples = samples_;
    snapshot->sequence = ++sequence_;
    publisher_->publish(std::move(snapshot));
  }
}

}  // namespace btms::fieldbus
