// The aggregator's HTTP server (Boost.Beast, one io thread): the site's REST API under /api/v1
// with the gateway's conventions one level up, requests forwarded to the owning gateway, the
// site's WebSocket stream and the web UI's files. Routes and their JSON are documented in
// docs/aggregator.md.
#pragma once

#include <memory>

namespace btms::aggregator {

class Aggregator;

class AggregatorServer {
 public:
  explicit AggregatorServer(Aggregator& aggregator);
  ~AggregatorServer();
  AggregatorServer(const AggregatorServer&) = delete;
  AggregatorServer& operator=(const AggregatorServer&) = delete;

  void start();  // binds (throws std::runtime_error with the reason) and serves
  void stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace btms::aggregator
