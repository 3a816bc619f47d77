// Modbus TCP server for one bus: every device of the bus behind one listening socket,
// dispatched by the MBAP unit id. Any number of clients, served by one select() thread.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "plant/bus_server.hpp"

namespace btms::plant {

class TcpBusServer {
 public:
  // Binds and listens at once (port 0 = any free port); throws std::runtime_error naming the
  // bus and port when that fails.
  TcpBusServer(const std::string& bus_name, const std::string& host, int port, BusHandler handler);
  ~TcpBusServer();
  TcpBusServer(const TcpBusServer&) = delete;
  TcpBusServer& operator=(const TcpBusServer&) = delete;

  int port() const { return port_; }
  void start();
  void stop();

 private:
  void run();

  BusHandler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace btms::plant
