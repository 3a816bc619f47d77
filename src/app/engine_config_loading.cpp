#include "app/engine_config_loading.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/gateway_runtime.hpp"
#include "engine/config_fields.hpp"

namespace btms::app {

std::optional<engine::EngineConfig> load_engine_config(const model::Site& site,
                                                       const std::string& site_file,
                                                       const std::string& data_dir) {
  engine::EngineConfig config;
  try {
    if (!site_file.empty()) config = engine::config_from_toml_file(site_file, config, &site);
  } catch (const engine::ConfigValidationError& e) {
    for (const auto& problem : e.problems()) std::cerr << problem << "\n";
    return std::nullopt;
  }
  if (data_dir.empty()) return config;
  const auto saved = engine_config_path(data_dir);
  if (!std::filesystem::exists(saved)) return config;
  try {
    std::ifstream in(saved);
    config = engine::config_from_json(nlohmann::json::parse(in), config, &site);
  } catch (const engine::ConfigValidationError& e) {
    for (const auto& problem : e.problems()) std::cerr << saved << ": " << problem << "\n";
    return std::nullopt;
  } catch (const nlohmann::json::exception& e) {
    std::cerr << saved << ": not valid JSON: " << e.what() << "\n";
    return std::nullopt;
  }
  return config;
}

}  // namespace btms::app
