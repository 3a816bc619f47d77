// btms gateway --config FILE: the gateway against real or virtual field buses.
#include <fmt/format.h>

#include <iostream>

#include "app/commands.hpp"
#include "app/gateway_runtime.hpp"
#include "app/gateway_settings.hpp"
#include "app/plant_clock_follow.hpp"
#include "app/site_loading.hpp"
#include "app/static_dir.hpp"
#include "app/tls_options.hpp"
#include "security/user_store.hpp"
#include "web/auth_handlers.hpp"
#include "web/web_server.hpp"

namespace btms::app {

namespace {
struct GatewayArgs {
  std::string config;
  std::string bind = "127.0.0.1";
  int port = 8080;
  int scada_port = 1502;
  std::string data_dir = "/var/lib/btms";
  std::string static_dir;
  std::vector<std::string> scada_write_allow;
  TlsArgs tls;
  std::string plant_clock;
  std::string mqtt;  // mqtt://HOST:PORT or mqtts://; overrides the site file's [cloud] broker
  std::string mqtt_format;  // json | sparkplug; overrides the site file's cloud.format
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
    options.scada_write_allow = args.scada_write_allow;
    // Certificate files given = TLS wanted, whatever the address.
    options.tls = tls_enabled(args.tls, args.bind);
    options.tls_cert_file = args.tls.cert_file;
    options.tls_key_file = args.tls.key_file;
    options.data_dir = args.data_dir;
    options.static_dir = args.static_dir.empty() ? default_static_dir() : args.static_dir;
    if (!load_gateway_settings(*site, args.config, args.mqtt, options, args.mqtt_format)) return 1;
    if (!args.plant_clock.empty()) {
      options.clock = follow_plant_clock(args.plant_clock);
      std::cout << fmt::format("Clock: following the virtual plant at {} (speed x{:g})\n",
                               args.plant_clock, options.clock->rate());
    }
    GatewayRuntime gateway(*site, options);
    gateway.start();
    std::cout << fmt::format("BTMS gateway '{}': {} strings, {} batteries\n", site->name,
                             site->strings.size(), site->total_batteries());
    std::cout << fmt::format("API: {}://{}:{}/api/v1/live\n", options.tls ? "https" : "http",
                             args.bind, gateway.web_port());
    if (options.tls && args.tls.cert_file.empty()) {
      std::cout << fmt::format(
          "TLS: self-signed certificate {} (replace it with --tls-cert/--tls-key)\n",
          web::tls_cert_path(args.data_dir));
    }
    if (gateway.scada_port() >= 0) {
      std::cout << fmt::format("SCADA Modbus TCP: {}:{} ({})\n", args.bind, gateway.scada_port(),
                               scada_access(args.scada_write_allow));
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
      ->check(non_empty_folder)
      ->capture_default_str();
  gw->add_option("--scada-write-allow", args->scada_write_allow,
                 "SCADA client (IPv4 address or CIDR range) allowed to acknowledge alarms by "
                 "writing; repeatable; none = SCADA is read-only (docs/scada-modbus.md)");
  add_tls_options(*gw, args->tls);
  gw->add_option("--mqtt", args->mqtt,
                 "Publish to an MQTT broker: mqtt://HOST:PORT, or mqtts://HOST:PORT for TLS "
                 "(docs/cloud.md; other settings in the site file's [cloud] table)");
  gw->add_option("--mqtt-format", args->mqtt_format,
                 "Payload format of the MQTT link: json (topic tree) or sparkplug (Sparkplug B); "
                 "overrides the site file's cloud.format")
      ->check(CLI::IsMember({"json", "sparkplug"}));
  gw->add_option("--static-dir", args->static_dir, "Directory of the built web UI");
  gw->add_option("--plant-clock", args->plant_clock,
                 "Run on a virtual plant's clock instead of the system clock: the URL btms sim "
                 "prints (http://127.0.0.1:PORT/clock). Only for a gateway polling btms sim");
  gw->callback([&registry, args] { registry.set_action([args] { return run_gateway(*args); }); });
}

}  // namespace btms::app
