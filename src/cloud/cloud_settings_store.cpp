#include "cloud/cloud_settings_store.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "ops/private_file.hpp"

namespace btms::cloud {

namespace {

using nlohmann::json;

constexpr const char* kVersionKey = "settings_version";
constexpr const char* kEditsKey = "edited";

}  // namespace

std::string cloud_settings_path(const std::string& data_dir) {
  return data_dir + "/cloud-settings.json";
}

json load_cloud_edits(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (!std::filesystem::exists(path)) return json::object();
    throw std::runtime_error(path + ": cannot be read");
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto document = json::parse(text.str(), nullptr, false);
  if (!document.is_object() || !document.contains(kVersionKey) ||
      !document[kVersionKey].is_number_integer() || !document.contains(kEditsKey) ||
      !document[kEditsKey].is_object()) {
    throw std::runtime_error(
        fmt::format("{}: not the cloud settings the settings page saves (expected {{\"{}\": {}, "
                    "\"{}\": {{...}}}}); fix or remove it",
                    path, kVersionKey, kCloudSettingsVersion, kEditsKey));
  }
  const auto version = document[kVersionKey].get<std::int64_t>();
  if (version > kCloudSettingsVersion) {
    throw std::runtime_error(
        fmt::format("{}: saved by a newer BTMS ({} {}, this one knows up to {}); install that "
                    "version again or restore a backup made by this one",
                    path, kVersionKey, version, kCloudSettingsVersion));
  }
  return document[kEditsKey];
}

std::string save_cloud_edits(const std::string& path, const json& edits) {
  if (edits.empty()) return ops::remove_file_durably(path);
  const json document{{kVersionKey, kCloudSettingsVersion}, {kEditsKey, edits}};
  return ops::write_private_file_atomically(path, document.dump(2) + "\n");
}

}  // namespace btms::cloud
