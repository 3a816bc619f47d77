// The cloud link's settings for a subcommand: the site file's [cloud] table and --mqtt.
#pragma once

#include <optional>
#include <string>

#include "cloud/cloud_config.hpp"

namespace btms::app {

// Prints every problem to stderr and returns nullopt when a setting is bad; prints where the
// link publishes when it is on.
std::optional<cloud::CloudConfig> load_cloud_settings(const std::string& site_file,
                                                      const std::string& site_name,
                                                      const std::string& mqtt_url,
                                                      const std::string& mqtt_format = {});

}  // namespace btms::app
