// btms demo --gateways N (site_demo.hpp): N plants and gateways in this process and an
// aggregator over them. Each gateway gets a fresh data folder and an operator API token for the
// aggregator, made the way `btms token add` makes it.
#include "app/site_demo.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "aggregator/aggregator.hpp"
#include "app/cmd_aggregator.hpp"
#include "app/gateway_runtime.hpp"
#include "app/gateway_settings.hpp"
#include "app/site_loading.hpp"
#include "app/static_dir.hpp"
#include "model/clock.hpp"
#include "plant/virtual_plant.hpp"
#include "security/token_store.hpp"

namespace btms::app {

namespace {
std::string new_data_dir(int gateway) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / fmt::format("btms-site-demo-gw{}-XXXXXX", gateway))
          .string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot create a folder in /tmp");
  return tmpl;
}
}  // namespace

int run_site_demo(const SiteDemoArgs& args) {
  auto site = load_site_or_demo(args.config);
  if (!site) return 1;
  try {
    std::vector<std::unique_ptr<plant::VirtualPlant>> plants;
    std::vector<std::unique_ptr<GatewayRuntime>> gateways;
    aggregator::SiteFile site_file;
    std::vector<std::string> gateway_lines;
    site_file.site_name = "Demo data center";
    const auto static_dir = args.static_dir.empty() ? default_static_dir() : args.static_dir;
    for (int k = 1; k <= args.gateways; ++k) {
      plant::PlantOptions plant_options;
      plant_options.seed = args.seed + static_cast<std::uint64_t>(k - 1);
      plant_options.speed = args.speed;
      plant_options.tcp_pick_free_ports = true;
      auto& plant =
          *plants.emplace_back(std::make_unique<plant::VirtualPlant>(*site, plant_options));
      plant.start();

      GatewayOptions options;
      options.web_bind = "127.0.0.1";  // the gateways are reached through the aggregator
      options.scada_bind = "127.0.0.1";
      options.web_port = 0;
      options.scada_port = 0;
      options.static_dir = static_dir;
      options.allow_anonymous_read = true;
      options.data_dir = new_data_dir(k);
      if (!load_gateway_settings(*site, args.config, "", options)) return 1;
      options.clock = plant.clock();
      // The aggregator's operator token on this gateway (what `btms token add` would make).
      aggregator::GatewayEntry entry;
      entry.name = fmt::format("gw{}", k);
      entry.token =
          security::TokenStore(options.data_dir + "/users.sqlite")
              .add("aggregator", security::Role::operator_, model::system_clock()->now_ms());
      auto& gateway = *gateways.emplace_back(
          std::make_unique<GatewayRuntime>(plant.site_for_gateway(), options));
      gateway.start();
      entry.url = fmt::format("http://127.0.0.1:{}", gateway.web_port());
      entry.modbus_host = "127.0.0.1";
      entry.modbus_port = gateway.scada_port();
      gateway_lines.push_back(fmt::format("  gateway {}: {}/  SCADA 127.0.0.1:{}  data in {}",
                                          entry.name, entry.url, gateway.scada_port(),
                                          options.data_dir));
      site_file.gateways.push_back(std::move(entry));
    }
    aggregator::AggregatorOptions agg_options;
    agg_options.bind = args.bind;
    agg_options.port = args.port;
    agg_options.static_dir = static_dir;
    agg_options.allow_anonymous_read = true;
    // The site SCADA endpoint on --scada-port (gateway k on port + k); the gateways' own Modbus
    // servers are on free ports.
    agg_options.scada.enabled = true;
    agg_options.scada.bind = args.bind;
    agg_options.scada.port = args.scada_port;
    if (const auto problem = aggregator::scada_port_problem(site_file, args.scada_port)) {
      throw std::runtime_error(problem->reason);
    }
    aggregator::Aggregator agg(std::move(site_file), agg_options);
    agg.start();
    std::cout << fmt::format(
        "BTMS site demo: {} gateways, each on its own virtual plant of {} UPS, {} strings, {} "
        "batteries (speed x{})\n",
        args.gateways, site->upses.size(), site->strings.size(), site->total_batteries(),
        args.speed);
    for (const auto& line : gateway_lines) std::cout << line << "\n";
    print_site_scada(agg);
    std::cout << "Read-only views are served without a login to this machine only.\n";
    const auto host = args.bind.find(':') != std::string::npos ? "[" + args.bind + "]" : args.bind;
    std::cout << fmt::format("Aggregator (site view and API): http://{}:{}/", host, agg.port())
              << std::endl;
    std::cout << "Press Ctrl-C to stop." << std::endl;
    wait_for_stop_signal();
    spdlog::info("stopping");  // logged: a stdout nobody reads must not hold the stop
    agg.stop();
    for (auto& g : gateways) g->stop();
    for (auto& p : plants) p->stop();
  } catch (const std::exception& e) {
    std::cerr << "btms demo: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace btms::app
