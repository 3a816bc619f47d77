// btms demo: the virtual plant and a gateway polling it, with built-in defaults.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "app/commands.hpp"
#include "app/gateway_runtime.hpp"
#include "app/gateway_settings.hpp"
#include "app/plant_clock_follow.hpp"
#include "app/scenario_loading.hpp"
#include "app/site_demo.hpp"
#include "app/site_loading.hpp"
#include "app/static_dir.hpp"
#include "plant/virtual_plant.hpp"
#include "web/auth_handlers.hpp"

namespace btms::app {

namespace {
struct DemoArgs {
  std::string config;
  std::string scenario;
  std::string bind = "127.0.0.1";
  int port = 8080;
  int scada_port = 1502;
  double speed = 1.0;
  std::uint64_t seed = 1;
  std::string static_dir;
  std::vector<std::string> scada_write_allow;
  bool tls = false;
  std::string data_dir;
  std::string mqtt;  // mqtt://HOST:PORT or mqtts://; overrides the site file's [cloud] broker
  std::string mqtt_format;  // json | sparkplug; overrides the site file's cloud.format
  int gateways = 1;         // more than one: a site demo with an aggregator (app/site_demo)
};

// The demo keeps its history in a fresh folder of its own unless told where, so several demos
// (and the tests) never share one database.
std::string demo_data_dir(const std::string& requested) {
  if (!requested.empty()) return requested;
  std::string tmpl = (std::filesystem::temp_directory_path() / "btms-demo-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("cannot create a data folder in /tmp");
  return tmpl;
}

int run_demo(const DemoArgs& args) {
  if (args.gateways > 1) {
    if (!args.scenario.empty() || !args.data_dir.empty() || !args.mqtt.empty() || args.tls ||
        !args.scada_write_allow.empty()) {
      std::cerr << "btms demo: --gateways runs a site demo with default gateways; --scenario, "
                   "--data-dir, --mqtt, --tls and --scada-write-allow are for one gateway\n";
      return 1;
    }
    return run_site_demo(SiteDemoArgs{args.gateways, args.config, args.bind, args.port, args.speed,
                                      args.seed, args.static_dir, args.scada_port});
  }
  auto site = load_site_or_demo(args.config);
  if (!site) return 1;
  std::shared_ptr<const plant::Scenario> scenario;
  if (!load_scenario(args.scenario, *site, scenario)) return 1;
  try {
    plant::PlantOptions plant_options;
    plant_options.seed = args.seed;
    plant_options.speed = args.speed;
    plant_options.scenario = scenario;
    plant_options.tcp_pick_free_ports = true;  // the demo's buses never clash with anything
    plant::VirtualPlant plant(*site, plant_options);
    plant.start();

    GatewayOptions options;
    options.web_bind = args.bind;
    options.scada_bind = args.bind;  // --bind is documented for both listeners
    options.web_port = args.port;
    options.scada_port = args.scada_port;
    options.scada_write_allow = args.scada_write_allow;
    options.tls = args.tls;
    options.static_dir = args.static_dir.empty() ? default_static_dir() : args.static_dir;
    // The demo serves read-only views without a login, and only on loopback by default.
    options.allow_anonymous_read = true;
    options.data_dir = demo_data_dir(args.data_dir);
    if (!load_gateway_settings(*site, args.config, args.mqtt, options, args.mqtt_format)) return 1;
    // Plant and gateway in one process: the gateway lives on the plant's simulated time.
    options.clock = plant.clock();
    GatewayRuntime gateway(plant.site_for_gateway(), options);
    gateway.start();

    std::cout << fmt::format(
        "BTMS demo: {} UPS, {} strings, {} batteries (virtual plant, speed x{})\n",
        site->upses.size(), site->strings.size(), site->total_batteries(), args.speed);
    for (const auto& bus : plant.served_buses()) {
      std::cout << fmt::format("  bus {:<10} served at {}\n", bus.bus_name,
                               bus.kind == model::BusKind::tcp
                                   ? fmt::format("tcp://{}:{}", bus.host, bus.port)
                                   : bus.device);
    }
    // A wildcard address is where the server listens, not an address to browse to.
    const bool wildcard = args.bind == "0.0.0.0" || args.bind == "::";
    const std::string host = wildcard ? std::string("<this machine's address>")
                             : args.bind.find(':') != std::string::npos ? "[" + args.bind + "]"
                                                                        : args.bind;
    if (gateway.scada_port() >= 0) {
      std::cout << fmt::format("SCADA Modbus TCP: {}:{} ({})\n", host, gateway.scada_port(),
                               scada_access(args.scada_write_allow));
    }
    std::cout << "History and event log: " << options.data_dir << "\n";
    // Anonymous reads are only ever served to loopback peers (web::AuthContext::authorize).
    if (web::is_loopback_address(args.bind)) {
      std::cout << "Read-only views are served without a login (demo only).\n";
    } else {
      std::cout << "Read-only views are served without a login to this machine only; other "
                   "machines log in (create a user with 'btms user add NAME --role viewer "
                   "--data-dir "
                << options.data_dir << "').\n";
    }
    if (wildcard) {
      std::cout << fmt::format(
          "Web UI: {}://127.0.0.1:{}/ here, or this machine's address from "
          "elsewhere\n",
          args.tls ? "https" : "http", gateway.web_port());
    } else {
      std::cout << fmt::format("Web UI: {}://{}:{}/\n", args.tls ? "https" : "http", host,
                               gateway.web_port());
    }
    std::cout << "Press Ctrl-C to stop." << std::endl;
    wait_for_stop_signal();
    // Logged, not printed: a stdout pipe nobody reads would hold std::cout, and the stop with it.
    spdlog::info("stopping");
    gateway.stop();
    plant.stop();
  } catch (const std::exception& e) {
    std::cerr << "btms demo: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
}  // namespace

void register_demo(CLI::App& app, Registry& registry) {
  auto args = std::make_shared<DemoArgs>();
  auto* demo = app.add_subcommand(
      "demo", "Run the virtual plant and a gateway polling it; prints the web URL");
  demo->add_option("--config", args->config,
                   "Site configuration (TOML); default: built-in demo "
                   "plant, 2 UPSs, 4 strings of 40 x 12 V 100 Ah");
  demo->add_option("--bind", args->bind, "Address the web UI and SCADA listen on")
      ->capture_default_str();
  demo->add_option("--port", args->port, "Web port (0 = pick a free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  demo->add_option("--scada-port", args->scada_port,
                   "SCADA Modbus TCP port (0 = pick a free one); with --gateways, the site SCADA "
                   "endpoint's: site summary here, gateway k on port + k")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  demo->add_option("--scenario", args->scenario,
                   "Scenario file (TOML): timed events in simulated time")
      ->check(CLI::ExistingFile);
  demo->add_option("--speed", args->speed,
                   "Simulated seconds per real second (0.1..36000); the gateway runs on the "
                   "plant's clock, so records are in simulated time")
      ->check(CLI::Validator(check_speed, "SPEED"))
      ->capture_default_str();
  demo->add_option("--seed", args->seed, "Random seed of the plant")->capture_default_str();
  demo->add_option("--data-dir", args->data_dir,
                   "Folder of the history database (default: a new folder in /tmp)");
  demo->add_option("--scada-write-allow", args->scada_write_allow,
                   "SCADA client (IPv4 address or CIDR range) allowed to acknowledge alarms by "
                   "writing; repeatable; none = SCADA is read-only (docs/scada-modbus.md)");
  demo->add_flag("--tls", args->tls,
                 "Serve HTTPS/WSS with a self-signed certificate generated into the data folder");
  demo->add_option("--mqtt", args->mqtt,
                   "Publish to an MQTT broker: mqtt://HOST:PORT, or mqtts://HOST:PORT for TLS "
                   "(docs/cloud.md; other settings in the site file's [cloud] table)");
  demo->add_option("--mqtt-format", args->mqtt_format,
                   "Payload format of the MQTT link: json (topic tree) or sparkplug (Sparkplug B); "
                   "overrides the site file's cloud.format")
      ->check(CLI::IsMember({"json", "sparkplug"}));
  demo->add_option("--static-dir", args->static_dir, "Directory of the built web UI");
  demo->add_option("--gateways", args->gateways,
                   "Run this many virtual gateways and an aggregator over them (the aggregator "
                   "listens on --port; docs/aggregator.md)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  demo->callback([&registry, args] { registry.set_action([args] { return run_demo(*args); }); });
}

}  // namespace btms::app
