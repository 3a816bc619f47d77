#include "web/notification_handlers.hpp"

#include <nlohmann/json.hpp>

#include "notify/delivery_json.hpp"
#include "notify/notifier.hpp"
#include "notify/recipients_control.hpp"
#include "web/api_handlers.hpp"
#include "web/auth_handlers.hpp"
#include "web/json_body.hpp"

namespace btms::web {
namespace {

constexpr std::size_t kDefaultLimit = 200;
constexpr std::size_t kMaxLimit = 1000;

Response not_configured() {
  return json_error(404, "notifications are not configured (no [notify] in the site file)");
}

Response deliveries(const NotificationContext& ctx, const ParsedTarget& target) {
  if (!ctx.notifier) return not_configured();
  std::size_t limit = kDefaultLimit;
  if (const auto it = target.query.find("limit"); it != target.query.end()) {
    try {
      const auto value = std::stoul(it->second);
      if (value == 0 || value > kMaxLimit) return json_error(400, "limit must be 1..1000");
      limit = value;
    } catch (const std::exception&) {
      return json_error(400, "limit must be a number");
    }
  }
  Response r;
  r.body = notify::deliveries_json(*ctx.notifier->deliveries(), ctx.notifier->recipients(), limit);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response send_test(const NotificationContext& ctx, const Request& request) {
  if (!ctx.notifier) return not_configured();
  const auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("recipient") || !body["recipient"].is_string()) {
    return json_error(400, "expected {\"recipient\": \"<name>\"}");
  }
  const auto name = body["recipient"].get<std::string>();
  if (!ctx.notifier->send_test(name)) return json_error(404, "no recipient named '" + name + "'");
  Response r;
  r.status = 202;
  r.body = nlohmann::json{{"queued", true}, {"recipient", name}}.dump();
  return r;
}

Response no_store(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// PUT and DELETE: admin only, every attempt past the role check in the audit log.
Response recipients_changed(const NotificationContext& ctx, AuthContext* auth,
                            const Request& request) {
  if (auth) {
    if (auto denied = auth->authorize(request, Role::admin)) return *denied;
  }
  if (!ctx.recipients) return not_configured();
  const bool put = request.method == "PUT";
  auto answer = put ? ctx.recipients->change(request.body) : ctx.recipients->revert();
  if (auth && auth->audit()) {
    const auto session = auth->session_of(request);
    auth->audit()->append(unix_now_ms(), session ? session->user : std::string{},
                          request.remote_address, security::AuditAction::config_change,
                          "notify-recipients",
                          (put ? "notification recipients: " : "notification recipients revert: ") +
                              answer.audit_detail);
  }
  return no_store(answer.status, std::move(answer.body));
}

}  // namespace

void add_notification_routes(Router& router, const NotificationContext& ctx, AuthContext* auth) {
  // One route per path: reading needs a viewer, changing an admin (checked in the handler).
  router.add(Route{kRecipientsPath,
                   {"GET", "PUT", "DELETE"},
                   Role::viewer,
                   [&ctx, auth](const Request& r, const ParsedTarget&) {
                     if (r.method != "GET") return recipients_changed(ctx, auth, r);
                     if (!ctx.recipients) return not_configured();
                     return no_store(200, ctx.recipients->settings_json());
                   }});
  // Replacing a changed recipient's worker waits for its try in progress (its timeout at most).
  router.mark_blocking(kRecipientsPath, "PUT");
  router.mark_blocking(kRecipientsPath, "DELETE");
  router.add(Route{"/api/v1/notifications/deliveries",
                   {"GET"},
                   Role::viewer,
                   [&ctx](const Request&, const ParsedTarget& t) { return deliveries(ctx, t); }});
  router.add(Route{"/api/v1/notifications/test",
                   {"POST"},
                   Role::admin,
                   [&ctx](const Request& r, const ParsedTarget&) { return send_test(ctx, r); }});
}

}  // namespace btms::web
