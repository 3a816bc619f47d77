// The HTTPS options the gateway and the aggregator share (--tls, --tls-cert, --tls-key): one
// wording, one check, so both commands are configured alike (and the packaged units' one
// BTMS_TLS_OPTS fits both).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace btms::app {

struct TlsArgs {
  std::string mode = "auto";  // auto | on | off
  std::string cert_file;
  std::string key_file;
};

// Adds the three options to `command`; the certificate and the key need each other.
void add_tls_options(CLI::App& command, TlsArgs& args);

// Whether to serve HTTPS: certificate files given = yes, whatever the address; otherwise the
// mode (auto = unless bound to loopback). Throws std::invalid_argument for another mode.
bool tls_enabled(const TlsArgs& args, const std::string& bind_address);

}  // namespace btms::app
