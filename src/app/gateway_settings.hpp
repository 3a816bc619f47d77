// What a gateway reads from its site file besides the site itself, for `btms gateway` and
// `btms demo` alike: limits and timings (defaults, [limits], an admin's saved changes in the
// data folder), [notify], [cloud] with --mqtt, and the history backend.
#pragma once

#include <string>

#include "app/gateway_runtime.hpp"
#include "model/topology.hpp"

namespace btms::app {

// Fills those fields of `options` (options.data_dir must be set). Prints every problem to
// stderr and returns false when a setting is bad.
bool load_gateway_settings(const model::Site& site, const std::string& site_file,
                           const std::string& mqtt_url, GatewayOptions& options,
                           const std::string& mqtt_format = {});

}  // namespace btms::app
