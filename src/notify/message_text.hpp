// The words of a notification: subject, plain-text and HTML bodies. Every alarm line names the
// battery / string / UPS, says what and the value with its unit and the limit (the engine's
// alarm text), when, what to do, and links to the alarm in the web UI. Pure formatting.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "notify/alarm_router.hpp"
#include "notify/notification.hpp"
#include "notify/notify_settings.hpp"

namespace btms::notify {

// "2026-12-05 04:33:02 UTC"
std::string utc_text(std::int64_t time_ms);
// What the person on call should do about an alarm of this rule.
std::string_view advice_for(std::string_view rule);
// "Battery 3/17 in String 3 \"Row A\" of UPS 1 \"UPS A\""
std::string where_text(const std::string& source, const SiteNames& names);
// The web UI page of a source (its battery / string page, else the alarms page).
std::string link_for(const std::string& source, const RoutingSettings& settings);
const char* severity_word(model::Severity severity);

void fill_texts(Notification& n, const RoutingSettings& settings, const SiteNames& names);
// A message resent from the outbox after a restart: "LATE" in the subject after the site
// prefix and a first line saying when it was decided and that it was held by the restart.
// Marks once (a second restart does not add a second note).
void mark_late(Notification& n, std::int64_t now_ms);

}  // namespace btms::notify
