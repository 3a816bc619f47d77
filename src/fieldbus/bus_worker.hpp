// One thread per field bus: sends queued commands, feeds the MC watchdog, broadcasts "sample
// now", reads every device's fast block once per cycle, tracks each device's health, and hands
// the cycle's channel updates to the acquisition for publishing.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "fieldbus/command_encoding.hpp"
#include "fieldbus/device_identity.hpp"
#include "fieldbus/device_plan.hpp"
#include "fieldbus/modbus_link.hpp"
#include "fieldbus/quality.hpp"
#include "model/clock.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::fieldbus {

struct BusStatsChannels {
  model::ChannelId cycle_ms = 0;
  model::ChannelId errors = 0;
  model::ChannelId timeouts = 0;
  model::ChannelId crc_errors = 0;
  std::vector<model::ChannelId> device_errors;  // parallel to the plans
};

struct WorkerOptions {
  QualityPolicy policy;
  // Identity (type and serial) read schedule: often, so a swapped device cannot pass for long.
  int identity_every_cycles = 10;
  int max_command_attempts = 3;
  bool mc_on_bus = false;
  int mc_address = 0;
  int watchdog_timeout_s = 10;
  // Sample stamps and the poll schedule (Bus::cycle_ms) are on this clock: with a virtual plant
  // at speed 60 a 1 s cycle is 16.7 ms of real time. The bus's own timing (frames, t3.5,
  // turnaround, timeouts) stays physical: a frame takes as long at any speed.
  std::shared_ptr<const model::Clock> clock = model::system_clock();
  // Listen-only (a standalone display, docs/cad.md): only reads (FC 03/04) go out. No commands,
  // no MC heartbeat, no "sample now" broadcast: a display must never act as a master that
  // commands the plant. Queued commands are dropped and counted (dropped_writes()).
  bool read_only = false;
};

using Updates = std::vector<std::pair<model::ChannelId, model::Sample>>;
using PublishFn = std::function<void(const Updates&)>;

class BusWorker {
 public:
  BusWorker(model::Bus bus, std::vector<DevicePlan> plans, BusStatsChannels stats,
            WorkerOptions options, PublishFn publish);
  ~BusWorker();
  BusWorker(const BusWorker&) = delete;
  BusWorker& operator=(const BusWorker&) = delete;

  void start();
  void stop();
  // Thread-safe, never blocks for long: queued for the next cycle.
  void enqueue(std::vector<RegisterWrite> writes);
  const std::string& bus_name() const { return bus_.name; }
  std::uint64_t cycles() const { return cycles_.load(); }
  // Commands refused because the worker is read-only.
  std::uint64_t dropped_writes() const { return dropped_writes_.load(); }

 private:
  struct PendingWrite {
    RegisterWrite write;
    int attempts = 0;
  };
  struct DeviceState {
    DeviceHealth health;
    std::vector<ChannelReading> last;  // last readings (value keeps its number when lost)
    std::int64_t time_ms = 0;          // when `last` was read
    bool identity_checked = false;
    bool wrong_type = false;
    std::uint64_t errors = 0;
  };

  void run();
  void run_cycle(ModbusLink& link);
  void send_commands(ModbusLink& link);
  void feed_watchdog(ModbusLink& link);
  void poll_device(ModbusLink& link, std::size_t index, std::int64_t now_ms);
  // Modbus TCP with pipeline_depth > 1: the cycle's reads in windows (ModbusLink::read_pipelined).
  void poll_pipelined(ModbusLink& link);
  bool identity_due(std::size_t index) const;
  // The answers of one device, shared by both ways of polling: false when the identity read
  // failed (the fast block is then not taken).
  bool accept_identity(std::size_t index, LinkError err, std::span<const std::uint16_t> id);
  void accept_fast(std::size_t index, LinkError err, std::span<const std::uint16_t> block,
                   std::int64_t now_ms);
  void count_error(std::size_t index, LinkError error);
  void publish_cycle(double cycle_ms);

  model::Bus bus_;
  std::vector<DevicePlan> plans_;
  BusStatsChannels stats_;
  WorkerOptions options_;
  PublishFn publish_;

  std::vector<DeviceState> devices_;
  BusIdentities identities_;  // serial numbers seen at each address
  std::uint64_t cycle_ = 0;
  std::uint16_t heartbeat_ = 0;
  bool masks_seeded_ = false;
  std::map<std::uint16_t, std::uint16_t> commanded_masks_;  // MC holding reg -> mask
  std::uint64_t errors_ = 0, timeouts_ = 0, crc_errors_ = 0;
  std::vector<std::uint16_t> block_;
  // Pipelined polling: each device's answer buffers, and which requests of the cycle are whose.
  struct ReadBuffers {
    std::array<std::uint16_t, devices::common::kIdentityCount> identity{};
    std::vector<std::uint16_t> fast;
  };
  struct Requested {
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::size_t identity = kNone, fast = kNone;
  };
  std::vector<ReadBuffers> read_buffers_;
  std::vector<ReadRequest> requests_;
  std::vector<Requested> request_of_;
  Updates updates_;

  std::mutex queue_mutex_;
  std::deque<PendingWrite> queue_;

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool commands_pending_ = false;  // set by enqueue(): wake the worker to send them at once
  std::atomic<std::uint64_t> cycles_{0};
  std::atomic<std::uint64_t> dropped_writes_{0};
  static constexpr int kOverrunsToLog = 10;
  bool overrun_logged_ = false;  // "cannot keep up" is said once per run
  int overruns_in_row_ = 0;
  double overrun_real_ms_ = 0.0;  // real duration of those cycles
  std::thread thread_;
};

}  // namespace btms::fieldbus
