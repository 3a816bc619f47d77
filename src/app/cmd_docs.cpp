// btms docs devices: prints docs/devices.md, generated from the register maps.
#include <iostream>

#include "app/commands.hpp"
#include "devices/device_docs.hpp"

namespace btms::app {

void register_docs(CLI::App& app, Registry& registry) {
  auto* docs = app.add_subcommand("docs", "Print generated reference documents");
  docs->require_subcommand(1);
  auto* devices = docs->add_subcommand(
      "devices", "Register maps of every field device (docs/devices.md), to standard output");
  devices->callback([&registry] {
    registry.set_action([] {
      std::cout << devices::render_device_docs();
      return 0;
    });
  });
}

}  // namespace btms::app
