// The aggregator's HTTP server (Boost.Beast, one io thread): the site's REST API under /api/v1
// with the gateway's conventions one level up, requests forwarded to the owning gateway, the
// site's WebSocket stream and the web UI's files, over HTTPS and WSS when AggregatorOptions::tls
// (the gateway's certificate handling: given files, or a self-signed pair generated into the
// data folder). Routes and their JSON are documented in docs/aggregator.md.
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
  bool tls() const;  // serving HTTPS and WSS (after start)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace btms::aggregator
