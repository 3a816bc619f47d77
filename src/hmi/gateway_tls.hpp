// The client side of TLS towards a gateway: an OpenSSL context that verifies the gateway the way
// GatewayTrust says (gateway_trust.hpp), and the fingerprint of a certificate.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "hmi/gateway_trust.hpp"

struct x509_st;  // OpenSSL's X509

namespace btms::hmi {

// SHA-256 of the certificate's DER encoding (what openssl's -fingerprint -sha256 prints).
Sha256 certificate_sha256(x509_st* certificate);

// The client side of TLS towards one gateway host: TLS 1.2 or newer, peer verification always
// on, by chain + host name or by pin. Throws std::runtime_error when the CA file cannot be read.
class GatewayTlsContext {
 public:
  GatewayTlsContext(const GatewayTrust& trust, const std::string& host);
  boost::asio::ssl::context& context() { return context_; }
  const std::string& host() const { return host_; }
  // Why the last handshake was refused, in more words than OpenSSL's "certificate verify failed"
  // (a pin that did not match names the certificate's own fingerprint to compare); "" when none.
  // Cleared by the call.
  std::string take_refusal();

 private:
  bool verify(bool preverified, x509_st* certificate, int depth, int error);
  boost::asio::ssl::context context_;
  std::string host_;
  std::optional<Sha256> pin_;
  mutable std::mutex mutex_;
  std::string last_refusal_;
};

}  // namespace btms::hmi
