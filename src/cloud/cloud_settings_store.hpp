// The cloud link's settings edited on the settings page, kept in the gateway's data folder
// (cloud-settings.json): only the fields that differ from the site file, the password among
// them in clear (the link must send it), so the file is the gateway's alone (mode 0600) and is
// replaced whole (temp file, fsync, rename): a crash leaves the old edits or the new ones.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace btms::cloud {

// Version of the file's layout ("settings_version"); a newer file is refused, not guessed at.
inline constexpr int kCloudSettingsVersion = 1;

// <data_dir>/cloud-settings.json
std::string cloud_settings_path(const std::string& data_dir);

// The saved edits (a JSON object, {} when there is no file). Throws std::runtime_error
// "<path>: <reason>" for a file that is not ours to read: not JSON, another layout, newer.
nlohmann::json load_cloud_edits(const std::string& path);

// Saves the edits (no edits: the file is removed). Empty on success, else the reason.
std::string save_cloud_edits(const std::string& path, const nlohmann::json& edits);

}  // namespace btms::cloud
