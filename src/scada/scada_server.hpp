// Modbus TCP server for third-party SCADA. One thread serves every client with poll(); another
// rebuilds the register image whenever the engine publishes a step (woken, not polling) and
// swaps it in, so
// acquisition never waits for SCADA and a slow client never delays another. Writes, when
// enabled, only acknowledge alarms: they are queued for the engine (scada_writes.hpp) and
// answered at once, so the poll loop never waits for the engine either.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine_service.hpp"
#include "engine/step_publication.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"
#include "scada/register_image.hpp"
#include "scada/scada_writes.hpp"

namespace btms::scada {

struct ScadaOptions {
  std::string bind_address = "127.0.0.1";
  int port = 1502;  // 0 = any free port (see ScadaServer::port())
  // Connection slots. A real master polls every few seconds; a slot held by a client that never
  // sends (a scanner, a master that vanished without FIN) is reclaimed, see below.
  int max_clients = 64;
  // A client silent this long is closed (a master polls far more often than this).
  int idle_timeout_ms = 60'000;
  // TCP keep-alive probes find a peer that vanished without FIN (power loss, cable pulled) even
  // while the server has nothing to send: first probe after this much silence, then every
  // keepalive_interval_s, closed after keepalive_probes unanswered ones. 0 = no probing.
  int keepalive_idle_s = 30;
  int keepalive_interval_s = 10;
  int keepalive_probes = 3;
  // When every slot is taken, a new client takes the slot of the client that has been silent
  // longest, if that one has been silent at least this long; otherwise the new one is refused.
  // (So idle connections cannot lock a polling master out, and a flood of new connections
  // cannot push out a master that polls.)
  int evict_idle_after_ms = 1'000;
  // Functions 06/16 on the acknowledgement registers; off = every write answers exception 01.
  bool allow_writes = false;
  // Client addresses that may write when allow_writes: IPv4 addresses and CIDR ranges
  // ("10.0.0.5", "10.0.1.0/24"). Others get exception 01 and are logged.
  std::vector<std::string> write_allow_list;
};

// What the connection handling did, for /metrics and tests.
struct ConnectionCounters {
  std::uint64_t accepted = 0;
  std::uint64_t refused_full = 0;   // every slot busy with an active client
  std::uint64_t evicted_idle = 0;   // closed to make room for a new client
  std::uint64_t closed_idle = 0;    // closed after idle_timeout_ms of silence
  std::uint64_t accept_errors = 0;  // accept() failed (EMFILE, ENFILE, ENOBUFS, ...)
  std::uint64_t open = 0;           // connections open now
};

class ScadaServer {
 public:
  // Throws std::invalid_argument for a malformed write_allow_list entry, or allow_writes with
  // an empty write_allow_list.
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
  // Where acknowledgements go; safe to call at any time. Without an engine, writes that pass
  // every check answer exception 04.
  void set_engine(std::shared_ptr<engine::EngineService> engine);
  // The engine's step bundles: the image is rebuilt from the plant and derived snapshots of one
  // step when each is published. Without it, from each publisher's latest when either
  // publishes. Call before start().
  void set_publication(std::shared_ptr<const engine::StepPublication> publication);
  WriteCounters write_counters() const { return writes_.counters(); }
  ConnectionCounters connection_counters() const;
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
  ScadaWrites writes_;
  std::shared_ptr<const model::Snapshot> last_plant_;
  std::shared_ptr<const model::Snapshot> last_derived_;

  mutable std::mutex image_mutex_;
  std::shared_ptr<const RegisterImage> image_;

  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};  // written by stop() to end poll() at once
  int port_ = 0;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> accepted_{0}, refused_full_{0}, evicted_idle_{0}, closed_idle_{0},
      accept_errors_{0}, open_{0};
  std::shared_ptr<const engine::StepPublication> publication_;
  std::mutex stop_mutex_;  // image_loop sleeps on stop_cv_ until something is published
  std::condition_variable stop_cv_;
  bool published_ = false;  // guarded by stop_mutex_
  std::vector<model::PublishListeners::Subscription> wake_subscriptions_;
  std::thread serve_thread_;
  std::thread image_thread_;
};

}  // namespace btms::scada
