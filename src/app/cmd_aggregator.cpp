// btms aggregator --config site.toml: BM-AG over the gateways of one site. Wiring only: the
// aggregator lives in src/aggregator.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "aggregator/aggregator.hpp"
#include "aggregator/site_cloud_feed.hpp"
#include "aggregator/site_file.hpp"
#include "aggregator/site_scada_server.hpp"
#include "app/cmd_aggregator.hpp"
#include "app/commands.hpp"
#include "app/gateway_runtime.hpp"
#include "app/static_dir.hpp"
#include "app/tls_options.hpp"
#include "cloud/cloud_link.hpp"
#include "web/auth_handlers.hpp"
#include "web/web_server.hpp"

namespace btms::app {

namespace {
struct AggregatorArgs {
  std::string config;
  std::string bind = "127.0.0.1";
  int port = 8090;
  std::string static_dir;
  std::string data_dir;
  bool anonymous_read = false;
  int scada_port = -1;     // -1 = the site file's [scada] (or none)
  std::string scada_bind;  // "" = the site file's
  TlsArgs tls;
};

int run_aggregator(const AggregatorArgs& args) {
  try {
    auto site = aggregator::load_site_file(args.config);
    aggregator::AggregatorOptions options;
    options.bind = args.bind;
    options.port = args.port;
    options.static_dir = args.static_dir.empty() ? default_static_dir() : args.static_dir;
    options.data_dir = args.data_dir;
    // Anonymous reads are only ever served to loopback peers (as on a demo gateway).
    options.allow_anonymous_read = args.anonymous_read;
    options.tls = tls_enabled(args.tls, args.bind);
    options.tls_cert_file = args.tls.cert_file;
    options.tls_key_file = args.tls.key_file;
    options.scada = site.scada;
    if (args.scada_port >= 0) {
      options.scada.enabled = true;
      options.scada.port = args.scada_port;
    }
    if (!args.scada_bind.empty()) options.scada.bind = args.scada_bind;
    if (options.scada.enabled) {
      if (const auto problem = aggregator::scada_port_problem(site, options.scada.port)) {
        std::cerr << "btms aggregator: " << problem->reason << "\n";
        return 1;
      }
    }
    const auto gateways = site.gateways.size();
    aggregator::Aggregator agg(std::move(site), options);
    // The site's cloud link ([cloud]): the site feed's values and the merged event log. Started
    // before the gateways' links so their first events are sent; destroyed before agg.
    std::unique_ptr<cloud::CloudLink> cloud_link;
    if (const auto& cloud_config = agg.site().cloud; cloud_config.enabled) {
      if (args.data_dir.empty())
        throw std::runtime_error("the site's [cloud] needs --data-dir (its outbox)");
      cloud_link = std::make_unique<cloud::CloudLink>(
          cloud_config, aggregator::make_site_cloud_feed(agg, cloud_config.summary_interval_s),
          agg.events().log(), (std::filesystem::path(args.data_dir) / "cloud-outbox.db").string(),
          agg.options().clock);
      cloud_link->start();
    }
    agg.start();
    std::cout << fmt::format("BTMS aggregator: {} gateways\n", gateways);
    for (const auto& link : agg.links()) {
      std::cout << fmt::format("  gateway {:<12} {}\n", link->entry().name, link->entry().url);
    }
    const auto host = args.bind.find(':') != std::string::npos ? "[" + args.bind + "]" : args.bind;
    print_site_scada(agg);
    if (const auto* notifier = agg.notifier()) {
      std::cout << fmt::format("Site notifications: {} recipients\n",
                               notifier->recipients().size());
    }
    if (cloud_link) {
      const auto& c = agg.site().cloud;
      std::cout << fmt::format("Site cloud link: {}:{} under {}\n", c.broker.host, c.broker.port,
                               cloud_link->topic_prefix());
    }
    if (options.tls && args.tls.cert_file.empty()) {
      std::cout << fmt::format(
          "TLS: self-signed certificate {} (replace it with --tls-cert/--tls-key)\n",
          web::tls_cert_path(args.data_dir));
    }
    std::cout << fmt::format("Aggregator API and web UI: {}://{}:{}/",
                             options.tls ? "https" : "http", host, agg.port())
              << std::endl;
    wait_for_stop_signal();
    spdlog::info("stopping");  // logged: a stdout nobody reads must not hold the stop
    agg.stop();
    if (cloud_link) cloud_link->stop();
  } catch (const std::exception& e) {
    std::cerr << "btms aggregator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
}  // namespace

void print_site_scada(const aggregator::Aggregator& agg) {
  const auto* scada = agg.scada();
  if (scada == nullptr) return;
  const auto& bind = agg.options().scada.bind;
  std::cout << fmt::format("Site SCADA Modbus TCP: {}:{} (site summary, unit 1)\n", bind,
                           scada->site_port());
  for (std::size_t k = 1; k <= agg.site().gateways.size(); ++k) {
    const auto& entry = agg.site().gateways[k - 1];
    std::cout << fmt::format("  SCADA gateway {}: {}:{} -> its Modbus server {}:{}\n", entry.name,
                             bind, scada->gateway_port(k), entry.modbus_host, entry.modbus_port);
  }
}

void register_aggregator(CLI::App& app, Registry& registry) {
  auto args = std::make_shared<AggregatorArgs>();
  auto* cmd = app.add_subcommand("aggregator",
                                 "One site view, alarm list and API over several gateways (BM-AG)");
  cmd->footer(
      "Site file (TOML), one [[gateway]] table per gateway:\n"
      "  [site]\n  name = \"DC Frankfurt\"\n\n"
      "  [[gateway]]\n  name = \"hall-a\"                # a-z 0-9 _ -, prefix of its channels\n"
      "  url = \"http://10.0.0.5:8080\"\n"
      "  token_file = \"hall-a.token\"      # relative to the site file; made on the gateway with\n"
      "                                   # btms token add aggregator --role operator\n"
      "  modbus = \"10.0.0.5:1502\"        # optional: its Modbus TCP server (default URL "
      "host:1502)\n"
      "  scada_port = 1511                # optional: its port on the site SCADA endpoint\n\n"
      "  [scada]                          # optional: the site SCADA endpoint (Modbus TCP)\n"
      "  bind = \"0.0.0.0\"\n"
      "  port = 1502                      # site summary (unit 1); gateway k on port + k\n\n"
      "  [notify]                         # optional: a gateway's [notify] "
      "(docs/notifications.md)\n"
      "                                   # over every gateway's events; sources = [\"hall-a\",\n"
      "                                   # \"hall-b/string/3\"]\n"
      "  [cloud]                          # optional: a gateway's [cloud] (docs/cloud.md), JSON\n"
      "                                   # only; needs --data-dir; topics in docs/aggregator.md\n"
      "More in docs/aggregator.md and docs/scada-modbus.md. Try it: btms demo --gateways 3");
  cmd->add_option("--config", args->config, "Site file listing the gateways (TOML)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--bind", args->bind, "Address the aggregator listens on")->capture_default_str();
  cmd->add_option("--port", args->port, "Port (0 = pick a free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--static-dir", args->static_dir, "Directory of the built web UI");
  cmd->add_option("--data-dir", args->data_dir,
                  "Folder of the aggregator's users.sqlite (its own API tokens: btms token add "
                  "NAME --data-dir DIR), its notification state, cloud outbox and each "
                  "gateway's event cursor (what was relayed, so a restart catches up the rest)");
  cmd->add_flag("--anonymous-read", args->anonymous_read,
                "Serve reads without a token to this machine (loopback) only");
  cmd->add_option("--scada-port", args->scada_port,
                  "Site SCADA Modbus TCP port (site summary; gateway k on port + k); turns the "
                  "endpoint on over the site file's [scada]; 0 = free ports")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--scada-bind", args->scada_bind,
                  "IPv4 address the site SCADA endpoint listens on (default: the site file's, "
                  "else 127.0.0.1)");
  add_tls_options(*cmd, args->tls);
  cmd->callback(
      [&registry, args] { registry.set_action([args] { return run_aggregator(*args); }); });
}

}  // namespace btms::app
