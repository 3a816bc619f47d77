// A notification as a webhook body in the Prometheus Alertmanager webhook shape (version 4:
// status, alerts[] with labels, annotations, startsAt, endsAt, fingerprint), and the HMAC-SHA256
// signature that lets the receiver check it came from this gateway. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "notify/alarm_router.hpp"
#include "notify/notification.hpp"
#include "notify/notify_settings.hpp"

namespace btms::notify {

// RFC 3339 UTC with milliseconds: 2026-12-05T12:00:00.000Z
std::string rfc3339(std::int64_t time_ms);
// 16 hex digits, stable per alarm key (FNV-1a 64).
std::string fingerprint(std::string_view alarm_key);
// Lower-case hex HMAC-SHA256 of body under key.
std::string hmac_sha256_hex(std::string_view key, std::string_view body);

std::string alertmanager_json(const Notification& n, const RoutingSettings& settings,
                              const SiteNames& names);

// Header that carries the signature: "X-BTMS-Signature: sha256=<hex>".
inline constexpr const char* kSignatureHeader = "X-BTMS-Signature";

}  // namespace btms::notify
