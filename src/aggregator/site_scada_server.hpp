// The site's SCADA endpoint (Modbus TCP, docs/scada-modbus.md "Site SCADA endpoint"): the site
// summary unit on the site port, and one port per gateway whose reads are forwarded unchanged to
// that gateway's own Modbus server (modbus_upstream.hpp), so every gateway's map and unit ids
// stay exactly as they are. One thread serves every port and client with poll(); forwarded
// requests wait only on their own gateway, under a timeout, so a slow gateway never delays
// another's clients. Writes are refused (exception 01): through a proxy a gateway's write
// allow-list would see the aggregator's address, not the client's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace btms::aggregator {

struct SiteScadaGateway {
  std::string name;
  int listen_port = 0;      // the aggregator's port for this gateway (0 = a free port)
  std::string modbus_host;  // the gateway's own Modbus TCP server
  int modbus_port = 1502;
};

struct SiteScadaOptions {
  std::string bind = "127.0.0.1";
  int site_port = 1502;                    // 0 = a free port
  std::vector<SiteScadaGateway> gateways;  // gateway k = gateways[k - 1]
  // A forwarded read not answered by the gateway within this answers exception 0B.
  std::chrono::milliseconds upstream_timeout{1000};
  int max_clients = 128;                           // over every port; a newcomer beyond is closed
  std::chrono::milliseconds idle_timeout{60'000};  // a client silent this long is closed
  // A client with this many requests awaiting answers is not read until they are sent.
  std::size_t max_waiting_per_client = 16;
  // The site unit is built again when older than this at a request.
  std::chrono::milliseconds site_unit_max_age{200};
};

// What the endpoint reads from the aggregator; both are called from the serve thread and must
// not wait long (a lock held briefly is fine).
struct SiteScadaSource {
  std::function<std::vector<std::uint16_t>()> site_unit;  // scada/site_scada_map.hpp
  std::function<bool(std::size_t k)> gateway_offline;     // k 1-based
};

struct SiteScadaCounters {
  std::uint64_t accepted = 0;
  std::uint64_t refused_full = 0;
  std::uint64_t closed_idle = 0;
  std::uint64_t forwarded = 0;      // reads sent to a gateway
  std::uint64_t target_failed = 0;  // answered 0B (offline, unreachable, too slow)
  std::uint64_t open = 0;
};

class SiteScadaServer {
 public:
  SiteScadaServer(SiteScadaOptions options, SiteScadaSource source);
  ~SiteScadaServer();
  SiteScadaServer(const SiteScadaServer&) = delete;
  SiteScadaServer& operator=(const SiteScadaServer&) = delete;

  // Binds every port and starts serving; throws std::runtime_error naming a port that cannot be
  // bound.
  void start();
  void stop();
  int site_port() const { return site_port_; }
  int gateway_port(std::size_t k) const { return gateway_ports_.at(k - 1); }  // k 1-based
  SiteScadaCounters counters() const;

 private:
  void serve_loop();

  SiteScadaOptions options_;
  SiteScadaSource source_;
  std::vector<int> listen_fds_;  // [0] site, [k] gateway k
  int site_port_ = 0;
  std::vector<int> gateway_ports_;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> accepted_{0}, refused_full_{0}, closed_idle_{0}, forwarded_{0},
      target_failed_{0}, open_{0};
  std::thread thread_;
};

}  // namespace btms::aggregator
