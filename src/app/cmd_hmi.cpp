// btms hmi --gateway URL [--token FILE]: the local display at the UPS cabinet. Wiring only: the
// display lives in src/hmi.
#include <iostream>
#include <memory>

#include "app/commands.hpp"
#include "hmi/terminal_ui.hpp"

namespace btms::app {

void register_hmi(CLI::App& app, Registry& registry) {
  auto options = std::make_shared<hmi::HmiOptions>();
  auto* cmd = app.add_subcommand(
      "hmi", "Local display (UPS tiles, strings, batteries, alarms) of a gateway on a terminal");
  cmd->add_option("--gateway", options->gateway_url,
                  "The gateway's web address, e.g. http://127.0.0.1:8080")
      ->required();
  cmd->add_option("--token", options->token_file,
                  "File holding an API token (btms token add NAME --role viewer|operator); "
                  "operator to acknowledge alarms")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--monochrome", options->monochrome, "No colours (also with NO_COLOR set)");
  cmd->callback([&registry, options] {
    registry.set_action([options] { return hmi::run_hmi(*options, std::cerr); });
  });
}

}  // namespace btms::app
