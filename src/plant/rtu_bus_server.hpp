// Modbus RTU server for one bus on a pseudo-terminal pair: the gateway opens the slave side
// (device_path(), like /dev/ttyUSB0); this server reads the master side. Frames end at t3.5 of
// silence, bad CRCs are ignored, and every reply takes its real transmission time at the bus's
// baud rate plus the slave turnaround.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "plant/bus_server.hpp"

namespace btms::plant {

class RtuBusServer {
 public:
  // Opens the pty pair at once; throws std::runtime_error naming the bus when that fails.
  RtuBusServer(const std::string& bus_name, int baud, int turnaround_ms, BusHandler handler);
  ~RtuBusServer();
  RtuBusServer(const RtuBusServer&) = delete;
  RtuBusServer& operator=(const RtuBusServer&) = delete;

  const std::string& device_path() const { return device_path_; }
  void start();
  void stop();

 private:
  void run();
  void reply(std::uint8_t unit, const BusReply& reply);

  BusHandler handler_;
  int baud_;
  int turnaround_ms_;
  int master_fd_ = -1;
  int slave_fd_ = -1;  // kept open so the master never sees EIO while the gateway reconnects
  std::string device_path_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace btms::plant
