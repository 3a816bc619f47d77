#include "web/cloud_settings_handlers.hpp"

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

}  // namespace

void add_cloud_settings_routes(Router& router, const CloudSettingsContext& ctx) {
  router.add(Route{kCloudSettingsPath, {"GET"}, Role::admin, [&ctx](const Request&, const auto&) {
                     if (!ctx.settings) return not_available();
                     return json_text(200, ctx.settings());
                   }});
  router.add(Route{kCloudTestPath, {"POST"}, Role::admin, [&ctx](const Request& r, const auto&) {
                     if (!ctx.test_connection) return not_available();
                     auto [status, body] = ctx.test_connection(r.body);
                     return json_text(status, std::move(body));
                   }});
  router.mark_blocking(kCloudTestPath, "POST");
}

}  // namespace btms::web
