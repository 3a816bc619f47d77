#include "engine/engine_config_store.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "engine/config_fields.hpp"

namespace btms::engine {

std::string saved_config_path(const std::string& data_dir) {
  return data_dir + "/engine-config.json";
}

std::optional<EngineConfig> load_engine_config(const model::Site& site,
                                               const std::string& site_file,
                                               const std::string& saved_path,
                                               std::ostream& problems) {
  EngineConfig config;
  try {
    if (!site_file.empty()) config = config_from_toml_file(site_file, config, &site);
  } catch (const ConfigValidationError& e) {
    for (const auto& problem : e.problems()) problems << problem << "\n";
    return std::nullopt;
  }
  if (saved_path.empty() || !std::filesystem::exists(saved_path)) return config;
  try {
    std::ifstream in(saved_path);
    auto document = nlohmann::json::parse(in);
    // A file without the key predates versioning and has the layout of version 1.
    if (document.is_object() && document.contains(kSettingsVersionKey)) {
      const auto& version = document[kSettingsVersionKey];
      if (!version.is_number_integer() || version.get<std::int64_t>() < 1) {
        problems << saved_path << ": " << kSettingsVersionKey << " must be a positive integer\n";
        return std::nullopt;
      }
      if (version.get<std::int64_t>() > kSettingsVersion) {
        problems << saved_path << ": saved by a newer BTMS (" << kSettingsVersionKey << " "
                 << version.get<std::int64_t>() << ", this one knows up to " << kSettingsVersion
                 << "); refusing to start on settings it cannot read: install that version "
                    "again or restore a backup made by this one\n";
        return std::nullopt;
      }
      document.erase(kSettingsVersionKey);
    }
    config = config_from_json(document, config, &site);
  } catch (const ConfigValidationError& e) {
    for (const auto& problem : e.problems()) problems << saved_path << ": " << problem << "\n";
    return std::nullopt;
  } catch (const nlohmann::json::exception& e) {
    problems << saved_path << ": not valid JSON: " << e.what() << "\n";
    return std::nullopt;
  }
  return config;
}

std::string save_engine_config(const std::string& path, const EngineConfig& config) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return "cannot write " + tmp;
    auto document = config_to_json(config);
    document[kSettingsVersionKey] = kSettingsVersion;
    out << document.dump(2) << '\n';
    out.flush();
    if (!out) return "cannot write " + tmp;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return "cannot replace " + path + ": " +
           std::error_code(errno, std::generic_category()).message();
  }
  return {};
}

}  // namespace btms::engine
