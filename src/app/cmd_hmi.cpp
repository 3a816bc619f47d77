// btms hmi --gateway URL [--token FILE] [--cert-pin SHA256 | --ca-file PEM], or standalone
// btms hmi --config site.toml: the local display at the UPS cabinet. Wiring only: the display
// lives in src/hmi.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "app/commands.hpp"
#include "app/site_loading.hpp"
#include "hmi/terminal_ui.hpp"

namespace btms::app {

void register_hmi(CLI::App& app, Registry& registry) {
  auto options = std::make_shared<hmi::HmiOptions>();
  auto* cmd = app.add_subcommand(
      "hmi", "Local display (UPS tiles, strings, batteries, alarms) of a gateway on a terminal");
  auto* gateway =
      cmd->add_option("--gateway", options->gateway_url,
                      "The gateway's web address: https://HOST[:PORT], or http://127.0.0.1:PORT on "
                      "the gateway's own machine");
  auto config = std::make_shared<std::string>();
  cmd->add_option("--config", *config,
                  "Standalone, without a gateway: read the cabinet's devices over this site "
                  "file's buses, read-only (never writes; no alarms, SOC, SOH). Refused when a "
                  "gateway already polls a bus (docs/cad.md)")
      ->check(CLI::ExistingFile)
      ->excludes(gateway);
  cmd->add_option("--cert-pin", options->cert_pin,
                  "https: accept only the gateway certificate with this SHA-256 fingerprint "
                  "(openssl x509 -in tls-cert.pem -noout -fingerprint -sha256)");
  cmd->add_option("--ca-file", options->ca_file,
                  "https: PEM file of the CA(s) that signed the gateway's certificate "
                  "(default: the system's CAs)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--token", options->token_file,
                  "File holding an API token (btms token add NAME --role viewer|operator); "
                  "operator to acknowledge alarms")
      ->check(CLI::ExistingFile);
  cmd->add_option("--pin-file", options->pin_file,
                  "File with the hash of the PIN asked before an acknowledgement (write it with "
                  "--set-pin)");
  auto set_pin = std::make_shared<bool>(false);
  cmd->add_flag(
      "--set-pin", *set_pin,
      "Read a new PIN (4-12 digits; asked twice, not echoed, on a terminal; else one line "
      "of standard input), write its hash to "
      "--pin-file and exit");
  cmd->add_flag("--monochrome", options->monochrome, "No colours (also with NO_COLOR set)");
  cmd->callback([&registry, options, set_pin, config] {
    if (*set_pin) {
      if (options->pin_file.empty()) throw CLI::RequiredError("--pin-file");
      registry.set_action([options] {
        return hmi::set_hmi_pin(options->pin_file, std::cin, std::cerr,
                                ::isatty(STDIN_FILENO) == 1);
      });
      return;
    }
    if (!config->empty()) {
      registry.set_action([options, config] {
        const auto site = load_site_or_demo(*config);
        return site ? hmi::run_standalone_hmi(*site, *options, std::cerr) : 2;
      });
      return;
    }
    if (options->gateway_url.empty()) throw CLI::RequiredError("--gateway or --config");
    registry.set_action([options] { return hmi::run_hmi(*options, std::cerr); });
  });
}

}  // namespace btms::app
