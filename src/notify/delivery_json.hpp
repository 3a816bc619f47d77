// The delivery log and the recipients as the web API shows them
// (GET /api/v1/notifications/deliveries). Passwords and webhook secrets are never included:
// only whether a secret is set.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "notify/delivery_log.hpp"
#include "notify/notify_settings.hpp"

namespace btms::notify {

std::string deliveries_json(const DeliveryLog& log, const std::vector<Recipient>& recipients,
                            std::size_t limit);

}  // namespace btms::notify
