#include "app/cloud_settings.hpp"

#include <fmt/format.h>

#include <iostream>

namespace btms::app {

std::optional<cloud::CloudConfig> load_cloud_settings(const std::string& site_file,
                                                      const std::string& site_name,
                                                      const std::string& mqtt_url) {
  std::vector<std::string> errors;
  auto config = cloud::load_cloud_config(site_file, site_name, mqtt_url, &errors);
  for (const auto& e : errors) std::cerr << e << "\n";
  if (config && config->enabled) {
    std::cout << fmt::format("Cloud: {}://{}:{} topics btms/{}/{}/#\n",
                             config->broker.tls ? "mqtts" : "mqtt", config->broker.host,
                             config->broker.port, config->site_id, config->gateway_id);
  }
  return config;
}

}  // namespace btms::app
