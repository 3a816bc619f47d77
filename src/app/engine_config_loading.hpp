// The engine's limits for a gateway: the defaults of ANCHORS.md, then the site file's [limits]
// tables, then what an admin saved through the API (data_dir/engine-config.json), which wins.
#pragma once

#include <optional>
#include <string>

#include "engine/engine_config.hpp"
#include "model/topology.hpp"

namespace btms::app {

// Prints every problem (file:line: field: reason) to stderr and returns nullopt when a file is
// bad. site_file may be empty (the built-in demo site); data_dir may be empty (nothing saved).
// The site is needed to check alarm outputs against its relays.
std::optional<engine::EngineConfig> load_engine_config(const model::Site& site,
                                                       const std::string& site_file,
                                                       const std::string& data_dir);

}  // namespace btms::app
