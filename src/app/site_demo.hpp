// btms demo --gateways N: N virtual plants, each with its own gateway in this process, and an
// aggregator over them, for trying the site view. Wiring only.
#pragma once

#include <cstdint>
#include <string>

namespace btms::app {

struct SiteDemoArgs {
  int gateways = 3;
  std::string config;  // site file of every gateway's plant ("" = the built-in demo plant)
  std::string bind = "127.0.0.1";
  int port = 8080;  // the aggregator's; gateways take free ports
  double speed = 1.0;
  std::uint64_t seed = 1;  // gateway k's plant gets seed + k - 1
  std::string static_dir;
  int scada_port = 1502;  // the site SCADA endpoint: site summary here, gateway k on port + k
};

int run_site_demo(const SiteDemoArgs& args);

}  // namespace btms::app
