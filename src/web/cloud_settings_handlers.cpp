#include "web/cloud_settings_handlers.hpp"

#include "web/api_handlers.hpp"
#include "web/auth_handlers.hpp"
#include "web/json_body.hpp"

namespace btms::web {
namespace {

Response not_available() {
  return no_store_error(404, "the cloud link is not available");
}

Response json_text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// PUT and DELETE: admin only, every attempt past the role check in the audit log.
Response changed(const CloudSettingsContext& ctx, AuthContext* auth, const Request& request) {
  if (auth) {
    if (auto denied = auth->authorize(request, Role::admin)) return *denied;
  }
  const bool put = request.method == "PUT";
  if (put ? !ctx.change : !ctx.revert) return not_available();
  auto answer = put ? ctx.change(request.body) : ctx.revert();
  if (auth && auth->audit()) {
    const auto session = auth->session_of(request);
    auth->audit()->append(
        unix_now_ms(), session ? session->user : std::string{}, request.remote_address,
        security::AuditAction::config_change, "cloud-settings",
        (put ? "cloud link settings: " : "cloud link settings reverted: ") + answer.audit_detail);
  }
  return json_text(answer.status, std::move(answer.body));
}

}  // namespace

void add_cloud_settings_routes(Router& router, const CloudSettingsContext& ctx, AuthContext* auth) {
  // One route per path: reading needs a viewer, changing an admin (checked in the handler).
  router.add(Route{kCloudSettingsPath,
                   {"GET", "PUT", "DELETE"},
                   Role::viewer,
                   [&ctx, auth](const Request& r, const auto&) {
                     if (r.method != "GET") return changed(ctx, auth, r);
                     if (!ctx.settings) return not_available();
                     return json_text(200, ctx.settings());
                   }});
  router.add(Route{kCloudTestPath, {"POST"}, Role::admin, [&ctx](const Request& r, const auto&) {
                     if (!ctx.test_connection) return not_available();
                     auto [status, body] = ctx.test_connection(r.body);
                     return json_text(status, std::move(body));
                   }});
  router.mark_blocking(kCloudTestPath, "POST");
  // Replacing the link waits for the old one's stop (bounded, about a second): on a worker.
  router.mark_blocking(kCloudSettingsPath, "PUT");
  router.mark_blocking(kCloudSettingsPath, "DELETE");
}

}  // namespace btms::web
