// The virtual plant as a running service: the physics model advanced in (optionally
// accelerated) simulated time, every configured field device emulated with its register map,
// and every configured bus served — Modbus TCP on loopback, or Modbus RTU on a pseudo-terminal
// pair whose other end the gateway opens like a real /dev/ttyUSB. `btms sim` and `btms demo`
// run one; tests run one in-process.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/clock.hpp"
#include "model/topology.hpp"
#include "plant/physics/plant_model.hpp"

namespace btms::plant {

struct Scenario;  // scenario.hpp

// Fastest the plant runs: 10 simulated hours per real second. Above it one 10 ms simulation
// tick would be more than 6 simulated minutes and the gateway's 1 s poll cycle a few real
// microseconds, far below what any bus can do.
inline constexpr double kMaxSpeed = 36000.0;
inline constexpr double kMinSpeed = 0.1;  // of btms sim / demo --speed (tests go lower)

struct PlantOptions {
  std::uint64_t seed = 1;
  double speed = 1.0;  // simulated seconds per wall-clock second, kMinSpeed..kMaxSpeed
  std::string bind_host = "127.0.0.1";
  bool tcp_pick_free_ports = false;          // true: ignore configured TCP ports, bind port 0
  int rtu_turnaround_ms = 0;                 // slave turnaround added before every RTU response
  std::shared_ptr<const Scenario> scenario;  // optional
  // Unix ms the plant's clock reads when it starts; 0 = the wall time of start().
  std::int64_t start_unix_ms = 0;
};

struct ServedBus {
  std::string bus_name;
  model::BusKind kind = model::BusKind::tcp;
  std::string host;    // tcp
  int port = 0;        // tcp, the port actually bound
  std::string device;  // rtu: path of the pty the gateway opens
};

class VirtualPlant {
 public:
  VirtualPlant(const model::Site& site, PlantOptions options);
  ~VirtualPlant();  // stops everything
  VirtualPlant(const VirtualPlant&) = delete;
  VirtualPlant& operator=(const VirtualPlant&) = delete;

  // Binds every bus and starts the simulation clock and the bus servers. Throws
  // std::runtime_error with a clear reason (e.g. "bus 'bus1': port 15020 is taken").
  void start();
  void stop();

  std::vector<ServedBus> served_buses() const;

  // The plant's simulated time as a Unix-epoch clock: it reads the wall time of start() at
  // start() and advances `speed` times faster. A gateway polling this plant takes its "now" from
  // it, so accelerated runs record what real time would. Valid after start(); before, a clock
  // standing at the start time.
  std::shared_ptr<const model::Clock> clock() const;
  double speed() const;
  // Unix ms of plant time 0 (what clock() read at start()).
  std::int64_t start_unix_ms() const;
  // The site with every bus rewritten to where it is served (host/port or pty device), ready
  // for a gateway to poll.
  model::Site site_for_gateway() const;

  // Runs fn with the physics model locked (tests and scenarios use it to inspect or inject).
  void with_model(const std::function<void(PlantModel&)>& fn);
  double sim_time_s() const;

  // Device-level faults.
  void set_device_silent(const std::string& bus, int address, bool silent);
  void set_bus_noise(const std::string& bus, double corrupted_fraction);  // 0..1

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace btms::plant
