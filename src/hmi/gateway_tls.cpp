#include "hmi/gateway_tls.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/verify_context.hpp>

#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace btms::hmi {

namespace ssl = boost::asio::ssl;

Sha256 certificate_sha256(x509_st* certificate) {
  Sha256 out{};
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), out.data(), &length) != 1 || length != out.size()) {
    throw std::runtime_error("cannot compute the certificate's SHA-256");
  }
  return out;
}

GatewayTlsContext::GatewayTlsContext(const GatewayTrust& trust, const std::string& host)
    : context_(ssl::context::tls_client), host_(host), pin_(trust.cert_pin) {
  SSL_CTX_set_min_proto_version(context_.native_handle(), TLS1_2_VERSION);
  context_.set_verify_mode(ssl::verify_peer);
  if (!pin_) {
    if (trust.ca_file.empty()) {
      context_.set_default_verify_paths();
    } else {
      boost::system::error_code error;
      context_.load_verify_file(trust.ca_file, error);
      if (error) {
        throw std::runtime_error(
            fmt::format("the CA file '{}' cannot be read: {}", trust.ca_file, error.message()));
      }
    }
    // OpenSSL checks the name during chain verification: an IP address against the
    // certificate's IP entries, anything else against its DNS names.
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(context_.native_handle());
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str()) != 1) {
      X509_VERIFY_PARAM_set1_host(param, host_.c_str(), host_.size());
    }
  }
  context_.set_verify_callback([this](bool preverified, ssl::verify_context& ctx) {
    X509_STORE_CTX* store = ctx.native_handle();
    return verify(preverified, X509_STORE_CTX_get_current_cert(store),
                  X509_STORE_CTX_get_error_depth(store), X509_STORE_CTX_get_error(store));
  });
}

bool GatewayTlsContext::verify(bool preverified, x509_st* certificate, int depth, int error) {
  if (pin_) {
    // The pin decides alone; the issuers above the gateway's certificate do not matter.
    if (depth > 0) return true;
    Sha256 seen{};
    try {
      seen = certificate_sha256(certificate);
    } catch (const std::exception&) {
      return false;  // nothing may leave a callback that OpenSSL's C code called
    }
    if (seen == *pin_) return true;
    std::lock_guard lock(mutex_);
    // Short enough for the banner of an 80-column panel, the words first; the fingerprint's
    // first 8 bytes tell the operator which certificate the gateway shows (compare with
    // openssl x509 -fingerprint -sha256 on the gateway).
    last_refusal_ = fmt::format("certificate is not the pinned one (gateway's: {}...)",
                                format_cert_pin(seen).substr(0, 23));
    return false;
  }
  if (preverified) return true;
  std::lock_guard lock(mutex_);
  last_refusal_ = fmt::format(
      "the gateway's certificate is refused ({}); trust its CA with --ca-file or pin it with "
      "--cert-pin",
      X509_verify_cert_error_string(error));
  return false;
}

std::string GatewayTlsContext::take_refusal() {
  std::lock_guard lock(mutex_);
  return std::exchange(last_refusal_, {});
}

}  // namespace btms::hmi
