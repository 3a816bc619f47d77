// Loads the site for a subcommand: the given TOML file, or the built-in demo plant.
#pragma once

#include <optional>
#include <string>

#include "model/topology.hpp"

namespace btms::app {

// Prints every config error to stderr and returns nullopt when the file is bad.
std::optional<model::Site> load_site_or_demo(const std::string& config_path);

}  // namespace btms::app
