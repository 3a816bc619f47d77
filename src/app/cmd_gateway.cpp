// btms gateway --config FILE: the gateway against real or virtual field buses.
#include <fmt/format.h>

#include <iostream>

#include "app/commands.hpp"
#include "app/gateway_runtime.hpp"
#include "app/site_loading.hpp"
#include "app/static_dir.hpp"
#include "security/user_store.hpp"
#include "web/auth_handlers.hpp"

namespace btms::app {

namespace {
struct GatewayArgs {
  std::string config;
  std::string bind = "127.0.0.1";
  int port = 8080;
  int scada_port = 1502;
  std::string data_dir = "/var/lib/btms";
  std::string static_dir;
};

int run_gateway(const GatewayArgs& args) {
  auto site = load_site_or_demo(args.config);
  if (!site) return 1;
  try {
    GatewayOptions options;
    options.web_bind = args.bind;
    options.web_port = args.port;
    options.scada_bind = args.bind;
    options.scada_port = args.scada_port;
    options.data_dir = args.data_dir;
    options.static_dir = args.static_dir.empty() ? default_static_dir() : args.static_dir;
    GatewayRuntime gateway(*site, options);
    gateway.start();
    std::cout << fmt::format("BTMS gateway '{}': {} strings, {} batteries\n", site->name,
                             site->strings.size(), site->total_batteries());
    std::cout << fmt::format("API: http://{}:{}/api/v1/live\n", args.bind, gateway.web_port());
    if (gateway.scada_port() >= 0) {
      std::cout << fmt::format("SCADA Modbus TCP: {}:{}\n", args.bind, gateway.scada_port());
    }
    // No default password: a new gateway asks for its first admin.
    if (security::UserStore(web::users_db_path(args.data_dir)).empty()) {
      std::cout << fmt::format(
          "No accounts yet: open the web UI to create the first admin, or run\n"
          "  btms user add NAME --role admin --data-dir {}\n",
          args.data_dir);
    }
    std::cout << "Press Ctrl-C to stop." << std::endl;
    wait_for_stop_signal();
    gateway.stop();
  } catch (const std::exception& e) {
    std::cerr << "btms gateway: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
}  // namespace

void register_gateway(CLI::App& app, Registry& registry) {
  auto args = std::make_shared<GatewayArgs>();
  auto* gw = app.add_subcommand("gateway", "Run the gateway (bus master, engine, web, SCADA)");
  gw->add_option("--config", args->config, "Site configuration (TOML)")->required();
  gw->add_option("--bind", args->bind, "Address the web server and SCADA listen on")
      ->capture_default_str();
  gw->add_option("--port", args->port, "Web port")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  gw->add_option("--scada-port", args->scada_port, "SCADA Modbus TCP port")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  gw->add_option("--data-dir", args->data_dir, "Folder of the history, users and audit log")
      ->capture_default_str();
  gw->add_option("--static-dir", args->static_dir, "Directory of the built web UI");
  gw->callback([&registry, args] { registry.set_action([args] { return run_gateway(*args); }); });
}

}  // namespace btms::app
