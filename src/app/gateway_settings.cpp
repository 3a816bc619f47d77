#include "app/gateway_settings.hpp"

#include <iostream>

#include "app/cloud_settings.hpp"
#include "engine/engine_config_store.hpp"
#include "notify/notify_config.hpp"

namespace btms::app {

bool load_gateway_settings(const model::Site& site, const std::string& site_file,
                           const std::string& mqtt_url, GatewayOptions& options,
                           const std::string& mqtt_format) {
  const auto engine_config = engine::load_engine_config(
      site, site_file,
      options.data_dir.empty() ? std::string() : engine::saved_config_path(options.data_dir),
      std::cerr);
  if (!engine_config) return false;
  options.engine_config = *engine_config;
  const auto notify_settings = notify::load_notify_settings(site_file, std::cerr);
  if (!notify_settings) return false;
  options.notify = *notify_settings;
  const auto cloud = load_cloud_settings(site_file, site.name, mqtt_url, mqtt_format);
  if (!cloud) return false;
  options.cloud = *cloud;
  if (site.history.backend == model::HistorySettings::Backend::postgresql)
    options.history_postgres = site.history.postgresql;
  return true;
}

}  // namespace btms::app
