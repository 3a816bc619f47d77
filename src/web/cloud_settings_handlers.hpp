// Cloud link endpoints of /api/v1: the link's settings as the settings page shows them (any
// signed-in role reads them; the password never leaves the gateway), an admin's change of them
// (PUT, audited, refusals too) and revert to the site file (DELETE), and "test connection"
// (admin). The web part only routes and audits: the gateway hands in the cloud link's
// functions, so the web never depends on the cloud part. Without them every route answers 404
// "the cloud link is not available".
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "web/router.hpp"

namespace btms::web {

class AuthContext;

// The answer to a change of the settings, and what the audit log keeps of it.
struct CloudSettingsChange {
  int status = 200;
  std::string body;          // JSON text
  std::string audit_detail;  // never a password
};

struct CloudSettingsContext {
  // The settings as a JSON object (text); null = not available.
  std::function<std::string()> settings;
  // Runs one connection test for a request body; HTTP status and JSON text. Blocks for a few
  // seconds: its route is served on a worker, never on the io thread.
  std::function<std::pair<int, std::string>(const std::string& body)> test_connection;
  // Checks and saves the body's settings and restarts the link with them; blocks until the old
  // link stopped (bounded, about a second), so it runs on a worker. Null = not editable.
  std::function<CloudSettingsChange(const std::string& body)> change;
  // Drops the edited settings: the link runs on the site file's again. Null = not editable.
  std::function<CloudSettingsChange()> revert;
};

inline constexpr const char* kCloudSettingsPath = "/api/v1/cloud/settings";
inline constexpr const char* kCloudTestPath = "/api/v1/cloud/test";

// ctx (and auth, when given) must outlive the router; ctx's functions may be set (before serving
// starts) afterwards. auth: who changes the settings, for the admin check and the audit log;
// null = no accounts (tests): every request may change them.
void add_cloud_settings_routes(Router& router, const CloudSettingsContext& ctx,
                               AuthContext* auth = nullptr);

}  // namespace btms::web
