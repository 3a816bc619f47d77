// Notification endpoints of /api/v1: the delivery log with the recipients (viewer; secrets are
// never returned), "send test message" to one recipient (admin) and the recipient list as the
// settings page edits it (GET any role; PUT / DELETE admin, audited as config_change, refusals
// too). Without a notifier (no [notify] in the site file) they answer 404 "notifications are not
// configured".
#pragma once

#include <memory>

#include "web/router.hpp"

namespace btms::notify {
class Notifier;
class RecipientsControl;
}  // namespace btms::notify

namespace btms::web {

class AuthContext;

struct NotificationContext {
  std::shared_ptr<notify::Notifier> notifier;  // null = not configured
  // The recipient list's edits; null = not configured.
  std::shared_ptr<notify::RecipientsControl> recipients;
};

inline constexpr const char* kRecipientsPath = "/api/v1/notify/recipients";

// ctx (and auth, when given) must outlive the router; its members may be set (before serving
// starts) afterwards. auth: who edits the recipients, for the admin check and the audit log;
// null = no accounts (tests): every request may edit them.
void add_notification_routes(Router& router, const NotificationContext& ctx,
                             AuthContext* auth = nullptr);

}  // namespace btms::web
