// The virtual plant's truth, served to test instruments (never by the gateway): a small HTTP
// server on loopback answering GET /truth (what the plant really is: true SOC, Ah delivered,
// currents, temperatures) and GET /clock (the plant's clock: Unix ms now, speed, start), so a
// gateway in another process can follow the plant's time (btms gateway --plant-clock URL) and a
// test can compare the gateway's records with what really happened.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

namespace btms::plant {

class VirtualPlant;

// JSON documents of the two endpoints.
std::string plant_truth_json(VirtualPlant& plant);
std::string plant_clock_json(const VirtualPlant& plant);

class TruthServer {
 public:
  // Binds at once (port 0 = a free port); throws std::runtime_error with the reason.
  TruthServer(VirtualPlant& plant, const std::string& bind_host, int port);
  ~TruthServer();  // stops
  TruthServer(const TruthServer&) = delete;
  TruthServer& operator=(const TruthServer&) = delete;

  void start();
  void stop();
  int port() const { return port_; }

 private:
  void run();
  void serve(int client);

  VirtualPlant& plant_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace btms::plant
