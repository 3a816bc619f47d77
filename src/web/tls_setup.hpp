// The TLS side of the web server that does not need Beast: which certificate and key files to
// use (generating a self-signed pair on the first start) and an OpenSSL server context loaded
// from them with TLS 1.2 as the oldest protocol. Errors name the file and what is wrong with
// it, so an operator can fix a bad path or a mismatched key from the log alone.
#pragma once

#include <memory>
#include <string>

#include "web/web_server.hpp"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace btms::web {

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  bool generated = false;  // true when this call created a self-signed pair
};

// The files named in options, or data_dir/tls-cert.pem + tls-key.pem, created when missing
// (never overwritten). Throws std::runtime_error when only one file is named, when no file is
// named and data_dir is empty, or when generation fails.
TlsFiles resolve_tls_files(const TlsOptions& options, const std::string& data_dir,
                           const std::string& bind_address);

struct SslCtxDeleter {
  void operator()(ssl_ctx_st* ctx) const;
};
using SslCtxPtr = std::unique_ptr<ssl_ctx_st, SslCtxDeleter>;

// TLS 1.2 suites offered (Mozilla "intermediate", ECDHE + AEAD only; OpenSSL names).
inline constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// A server context with the certificate chain and key loaded and checked against each other;
// TLS 1.2 (AEAD suites only) and 1.3, no compression, no renegotiation. Throws std::runtime_error
// ("TLS certificate file '/x' cannot be read: ...", "... does not match ...").
SslCtxPtr make_server_tls_context(const TlsFiles& files);

}  // namespace btms::web
