#include "app/tls_options.hpp"

#include "app/gateway_runtime.hpp"

namespace btms::app {

void add_tls_options(CLI::App& command, TlsArgs& args) {
  command
      .add_option("--tls", args.mode,
                  "HTTPS/WSS: auto (on unless bound to loopback), on or off; without --tls-cert a "
                  "self-signed certificate is generated into the data folder on first start")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  auto* cert =
      command.add_option("--tls-cert", args.cert_file, "PEM certificate (chain) for HTTPS")
          ->check(CLI::ExistingFile);
  auto* key = command.add_option("--tls-key", args.key_file, "PEM private key for HTTPS")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
}

bool tls_enabled(const TlsArgs& args, const std::string& bind_address) {
  return !args.cert_file.empty() || tls_wanted(args.mode, bind_address);
}

}  // namespace btms::app
