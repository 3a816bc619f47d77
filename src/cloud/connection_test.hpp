// "Test connection" of the cloud settings page: one MQTT connection attempt to the given broker
// with the given credentials, on its own client (its own client id, no will), so the running
// link is never disturbed. Says ok or exactly why not within the timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "cloud/cloud_config.hpp"

namespace btms::cloud {

enum class ConnectionOutcome : std::uint8_t {
  ok,               // CONNACK accepted
  refused,          // nothing listens there (TCP refused) or the broker refused the CONNECT
  bad_credentials,  // CONNACK 4: bad user name or password
  not_authorized,   // CONNACK 5: not authorized (client certificate, ACL, anonymous not allowed)
  tls_failure,      // the TLS handshake failed (certificate not trusted, wrong name, no TLS)
  timeout,          // no answer within the timeout (firewall, wrong host)
  unreachable,      // the name does not resolve, no route
};
std::string_view to_string(ConnectionOutcome outcome);

struct ConnectionTestResult {
  ConnectionOutcome outcome = ConnectionOutcome::timeout;
  std::string detail;  // the broker's or the library's words, with host:port
  std::int64_t elapsed_ms = 0;
};

// Blocks the caller for at most `timeout` (a web worker, never the engine or the link).
ConnectionTestResult test_broker_connection(const CloudConfig& config,
                                            std::chrono::milliseconds timeout);

}  // namespace btms::cloud
