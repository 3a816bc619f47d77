// Loads a scenario file for `btms sim` and `btms demo`; a bad file stops the start with file,
// line and reason for every error.
#pragma once

#include <memory>
#include <string>

#include "model/topology.hpp"
#include "plant/scenario.hpp"

namespace btms::app {

// Returns true and sets `scenario` (left null for an empty path) when the file is good; prints
// every error to stderr and returns false otherwise.
bool load_scenario(const std::string& path, const model::Site& site,
                   std::shared_ptr<const plant::Scenario>& scenario);

}  // namespace btms::app
