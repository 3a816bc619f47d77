// Cloud link endpoints of /api/v1 (admin): the link's settings as the settings page shows them
// (the password never leaves the gateway) and "test connection". The web part only routes: the
// gateway hands in the cloud link's functions, so the web never depends on the cloud part.
// Without them both answer 404 "the cloud link is not available".
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "web/router.hpp"

namespace btms::web {

struct CloudSettingsContext {
  // The settings as a JSON object (text); null = not available.
  std::function<std::string()> settings;
  // Runs one connection test for a request body; HTTP status and JSON text. Blocks for a few
  // seconds: its route is served on a worker, never on the io thread.
  std::function<std::pair<int, std::string>(const std::string& body)> test_connection;
};

inline constexpr const char* kCloudSettingsPath = "/api/v1/cloud/settings";
inline constexpr const char* kCloudTestPath = "/api/v1/cloud/test";

// ctx must outlive the router; its functions may be set (before serving starts) afterwards.
void add_cloud_settings_routes(Router& router, const CloudSettingsContext& ctx);

}  // namespace btms::web
