// btms sim: the virtual plant alone; prints where each bus is served.
#include <fmt/format.h>

#include <iostream>

#include "app/commands.hpp"
#include "app/gateway_runtime.hpp"
#include "app/plant_clock_follow.hpp"
#include "app/scenario_loading.hpp"
#include "app/site_loading.hpp"
#include "plant/truth_server.hpp"
#include "plant/virtual_plant.hpp"

namespace btms::app {

namespace {
struct SimArgs {
  std::string config;
  std::string scenario;
  double speed = 1.0;
  std::uint64_t seed = 1;
  bool free_ports = false;
  int turnaround_ms = 0;
  int truth_port = 0;
};

int run_sim(const SimArgs& args) {
  auto site = load_site_or_demo(args.config);
  if (!site) return 1;
  std::shared_ptr<const plant::Scenario> scenario;
  if (!load_scenario(args.scenario, *site, scenario)) return 1;
  try {
    plant::PlantOptions options;
    options.seed = args.seed;
    options.speed = args.speed;
    options.scenario = scenario;
    options.tcp_pick_free_ports = args.free_ports;
    options.rtu_turnaround_ms = args.turnaround_ms;
    plant::VirtualPlant plant(*site, options);
    plant.start();
    std::unique_ptr<plant::TruthServer> truth;
    if (args.truth_port >= 0) {
      truth = std::make_unique<plant::TruthServer>(plant, "127.0.0.1", args.truth_port);
      truth->start();
    }
    std::cout << fmt::format("BTMS virtual plant: {} strings, {} batteries, speed x{}, seed {}\n",
                             site->strings.size(), site->total_batteries(), args.speed, args.seed);
    if (truth) {
      std::cout << fmt::format(
          "Plant truth: http://127.0.0.1:{0}/truth  clock: http://127.0.0.1:{0}/clock\n"
          "  (a gateway follows the plant's time with --plant-clock http://127.0.0.1:{0}/clock)\n",
          truth->port());
    }
    for (const auto& bus : plant.served_buses()) {
      std::cout << fmt::format("  bus {:<10} {}\n", bus.bus_name,
                               bus.kind == model::BusKind::tcp
                                   ? fmt::format("modbus tcp {}:{}", bus.host, bus.port)
                                   : fmt::format("modbus rtu {}", bus.device));
    }
    std::cout << "Press Ctrl-C to stop." << std::endl;
    wait_for_stop_signal();
    if (truth) truth->stop();
    plant.stop();
  } catch (const std::exception& e) {
    std::cerr << "btms sim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
}  // namespace

void register_sim(CLI::App& app, Registry& registry) {
  auto args = std::make_shared<SimArgs>();
  auto* sim = app.add_subcommand("sim", "Run the virtual plant alone (emulated field devices)");
  sim->add_option("--config", args->config, "Site configuration (TOML); default: the demo plant");
  sim->add_option("--scenario", args->scenario,
                  "Scenario file (TOML): timed events in simulated time")
      ->check(CLI::ExistingFile);
  sim->add_option("--speed", args->speed, "Simulated seconds per real second (0.1..36000)")
      ->check(CLI::Validator(check_speed, "SPEED"))
      ->capture_default_str();
  sim->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  sim->add_flag("--free-ports", args->free_ports,
                "Serve TCP buses on free ports instead of the "
                "configured ones");
  sim->add_option("--turnaround-ms", args->turnaround_ms, "RTU slave turnaround")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  sim->add_option("--truth-port", args->truth_port,
                  "Loopback port of the plant's truth and clock endpoint (GET /truth, GET "
                  "/clock); 0 = a free port, -1 = off")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
  sim->callback([&registry, args] { registry.set_action([args] { return run_sim(*args); }); });
}

}  // namespace btms::app
