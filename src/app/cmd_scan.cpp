// btms scan: which devices answer on a bus, compared with the configuration.
#include <fmt/format.h>

#include <iostream>

#include "app/commands.hpp"
#include "app/site_loading.hpp"
#include "fieldbus/scan.hpp"

namespace btms::app {

namespace {
struct ScanArgs {
  std::string config;
  std::string bus;
  int first = 1;
  int last = 247;
  int timeout_ms = 100;
};

int run_scan(const ScanArgs& args) {
  auto site = load_site_or_demo(args.config);
  if (!site) return 1;
  const auto* bus = site->find_bus(args.bus);
  if (bus == nullptr) {
    std::cerr << "btms scan: no bus named '" << args.bus << "' in " << args.config << "\n";
    return 1;
  }
  try {
    const auto entries = fieldbus::scan_bus(*bus, args.first, args.last, args.timeout_ms);
    std::cout << fmt::format("{} device(s) answered on bus {} (addresses {}-{}):\n", entries.size(),
                             bus->name, args.first, args.last);
    for (const auto& e : entries) {
      std::cout << fmt::format("  {:>3}  {:<6} firmware {}.{}  serial {}\n", e.address,
                               e.type ? devices::device_code(*e.type) : "type?", e.firmware >> 8,
                               e.firmware & 0xFF, e.serial);
    }
    const auto differences = fieldbus::compare_with_config(*site, bus->name, entries);
    for (const auto& line : differences) std::cout << "  " << line << "\n";
    std::cout << (differences.empty() ? "matches the configuration\n"
                                      : fmt::format("{} difference(s) from the configuration\n",
                                                    differences.size()));
    return differences.empty() ? 0 : 3;
  } catch (const std::exception& e) {
    std::cerr << "btms scan: " << e.what() << "\n";
    return 1;
  }
}
}  // namespace

void register_scan(CLI::App& app, Registry& registry) {
  auto args = std::make_shared<ScanArgs>();
  auto* scan = app.add_subcommand(
      "scan",
      "List the devices that answer on a bus and compare them with the configuration "
      "(exit 0 = match, 3 = differences, 1 = error)");
  scan->add_option("--config", args->config, "Site configuration (TOML)")->required();
  scan->add_option("--bus", args->bus, "Name of the bus to scan")->required();
  scan->add_option("--from", args->first, "First address")
      ->check(CLI::Range(1, 247))
      ->capture_default_str();
  scan->add_option("--to", args->last, "Last address")
      ->check(CLI::Range(1, 247))
      ->capture_default_str();
  scan->add_option("--timeout-ms", args->timeout_ms, "Response timeout per address")
      ->check(CLI::Range(5, 5000))
      ->capture_default_str();
  scan->callback([&registry, args] { registry.set_action([args] { return run_scan(*args); }); });
}

}  // namespace btms::app
