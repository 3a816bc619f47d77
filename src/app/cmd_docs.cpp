// btms docs devices|scada: prints the reference documents generated from the code.
#include <iostream>

#include "app/commands.hpp"
#include "devices/device_docs.hpp"
#include "scada/scada_map.hpp"

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
  auto* scada = docs->add_subcommand(
      "scada", "SCADA Modbus TCP register map (docs/scada-modbus.md), to standard output");
  scada->callback([&registry] {
    registry.set_action([] {
      std::cout << scada::render_scada_docs();
      return 0;
    });
  });
}

}  // namespace btms::app
