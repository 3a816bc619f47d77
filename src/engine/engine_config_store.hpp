// Where the engine's configuration comes from and goes to, in one place: the defaults of
// ANCHORS.md, then the site file's [limits] tables, then what an admin saved through the API
// (data_dir/engine-config.json), which wins; and the atomic save of an accepted change.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "engine/engine_config.hpp"
#include "model/topology.hpp"

namespace btms::engine {

// Version of the saved settings file's layout, stored in it as "settings_version". Loading a
// file of a newer BTMS is refused (with a problem line), never half-read.
inline constexpr int kSettingsVersion = 1;
inline constexpr const char* kSettingsVersionKey = "settings_version";

// The file an admin's changes are saved to (and loaded from at the next start).
std::string saved_config_path(const std::string& data_dir);

// Writes every problem (file:line: field: reason) to `problems` and returns nullopt when a file
// is bad. site_file may be empty (the built-in demo site); saved_path may be empty or absent
// (nothing saved). The site is needed to check alarm outputs against its relays.
std::optional<EngineConfig> load_engine_config(const model::Site& site,
                                               const std::string& site_file,
                                               const std::string& saved_path,
                                               std::ostream& problems);

// Write-then-rename, so a crash mid-write leaves the previous file intact. Returns "" when
// saved, else what went wrong.
std::string save_engine_config(const std::string& path, const EngineConfig& config);

}  // namespace btms::engine
