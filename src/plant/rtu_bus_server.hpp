// Modbus RTU server for one bus on a pseudo-terminal pair: the gateway opens the slave side
// (device_path(), like /dev/ttyUSB0); this server reads the master side. Frames end at t3.5 of
// silence, bad CRCs are ignored, and the line is paced like a real one: a request of n bytes is
// complete only n·11/baud after its first character (which cannot start before t3.5 of silence
// after the previous frame), the slave answers after t3.5 plus its turnaround, and the reply is
// delivered when its last character would have arrived. So one transaction never beats
// (13 + 2K)·11/baud + 2·t3.5 + turnaround.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
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
  // Sends the reply no earlier than may_answer + turnaround + its transmission time; returns
  // when its last character left the line.
  std::chrono::steady_clock::time_point reply(std::uint8_t unit, const BusReply& reply,
                                              std::chrono::steady_clock::time_point may_answer);
  std::chrono::microseconds line_time(std::size_t bytes) const;

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
