// Notification endpoints of /api/v1: the delivery log with the recipients (viewer; secrets are
// never returned) and "send test message" to one recipient (admin). Without a notifier (no
// [notify] in the site file) both answer 404 "notifications are not configured".
#pragma once

#include <memory>

#include "web/router.hpp"

namespace btms::notify {
class Notifier;
}

namespace btms::web {

struct NotificationContext {
  std::shared_ptr<notify::Notifier> notifier;  // null = not configured
};

// ctx must outlive the router; its notifier may be set (before serving starts) afterwards.
void add_notification_routes(Router& router, const NotificationContext& ctx);

}  // namespace btms::web
