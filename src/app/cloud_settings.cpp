#include "app/cloud_settings.hpp"

#include <fmt/format.h>

#include <iostream>

namespace btms::app {

std::optional<cloud::CloudConfig> load_cloud_settings(const std::string& site_file,
                                                      const std::string& site_name,
                                                      const std::string& mqtt_url,
                                                      const std::string& mqtt_format) {
  std::vector<std::string> errors;
  auto config = cloud::load_cloud_config(site_file, site_name, mqtt_url, &errors, mqtt_format);
  for (const auto& e : errors) std::cerr << e << "\n";
  if (config && config->enabled) {
    const bool sparkplug = config->format == cloud::PayloadFormat::sparkplug;
    std::cout << fmt::format(
        "Cloud: {}://{}:{} topics {}/{}/{}#\n", config->broker.tls ? "mqtts" : "mqtt",
        config->broker.host, config->broker.port, sparkplug ? "spBv1.0" : "btms", config->site_id,
        sparkplug ? "+/" + config->gateway_id + "/" : config->gateway_id + "/");
  }
  return config;
}

}  // namespace btms::app
