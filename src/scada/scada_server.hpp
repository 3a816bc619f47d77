// Modbus TCP server for third-party SCADA. One thread serves every client with poll(); another
// rebuilds the register image from the latest snapshots about every 200 ms and swaps it in, so
// acquisition never waits for SCADA and a slow client never delays another.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "model/snapshot.hpp"
#include "model/topology.hpp"
#include "scada/register_image.hpp"

namespace btms::scada {

struct ScadaOptions {
  std::string bind_address = "127.0.0.1";
  int port = 1502;  // 0 = any free port (see ScadaServer::port())
  int max_clients = 32;
  bool writes_enabled = false;                // writes are not implemented yet: must stay false
  std::vector<std::string> write_allow_list;  // client addresses allowed to write, when enabled
  int image_period_ms = 200;
};

class ScadaServer {
 public:
  ScadaServer(ScadaOptions options, std::shared_ptr<const model::SnapshotPublisher> plant,
              std::shared_ptr<const model::SnapshotPublisher> derived,
              std::shared_ptr<const model::Site> site);
  ~ScadaServer();
  ScadaServer(const ScadaServer&) = delete;
  ScadaServer& operator=(const ScadaServer&) = delete;

  // Binds and starts serving; throws std::runtime_error when the address cannot be bound.
  void start();
  void stop();
  int port() const { return port_; }
  // The image currently served (for tests and diagnostics).
  std::shared_ptr<const RegisterImage> image() const;

 private:
  void serve_loop();
  void image_loop();
  void rebuild_image();

  ScadaOptions options_;
  std::shared_ptr<const model::SnapshotPublisher> plant_;
  std::shared_ptr<const model::SnapshotPublisher> derived_;
  RegisterImageBuilder builder_;
  std::shared_ptr<const model::Snapshot> last_plant_;
  std::shared_ptr<const model::Snapshot> last_derived_;

  mutable std::mutex image_mutex_;
  std::shared_ptr<const RegisterImage> image_;

  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};  // written by stop() to end poll() at once
  int port_ = 0;
  std::atomic<bool> running_{false};
  std::mutex stop_mutex_;  // image_loop sleeps on stop_cv_ between rebuilds
  std::condition_variable stop_cv_;
  std::thread serve_thread_;
  std::thread image_thread_;
};

}  // namespace btms::scada
