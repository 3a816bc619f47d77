#include "notify/webhook_payload.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "notify/message_text.hpp"

namespace btms::notify {

std::string rfc3339(std::int64_t time_ms) {
  const std::time_t seconds = static_cast<std::time_t>(time_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buffer, static_cast<int>(((time_ms % 1000) + 1000) % 1000));
}

std::string fingerprint(std::string_view alarm_key) {
  std::uint64_t hash = 1469598103934665603ull;
  for (const unsigned char c : alarm_key) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return fmt::format("{:016x}", hash);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::string alertmanager_json(const Notification& n, const RoutingSettings& settings,
                              const SiteNames& names) {
  using nlohmann::json;
  const std::string site = settings.site_name.empty() ? names.site : settings.site_name;
  const bool firing = n.test || n.active_count() > 0;
  json alerts = json::array();
  for (const auto& a : n.alarms) {
    json labels = {{"alertname", a.rule},
                   {"severity", severity_word(a.severity)},
                   {"source", a.source},
                   {"site", site}};
    // At the aggregator the string and UPS are the gateway's, named by the gateway label.
    const auto parts = names.split(a.source);
    if (!parts.gateway.empty()) labels["gateway"] = std::string(parts.gateway);
    const auto group = group_of(std::string(parts.local));
    if (group.starts_with("string/")) {
      labels["string"] = group.substr(7);
      if (const int ups = names.ups_of(a.source); ups > 0) labels["ups"] = std::to_string(ups);
    }
    const std::string state =
        a.active ? (a.acknowledged ? "acknowledged by " + a.acknowledged_by : "not acknowledged")
                 : "cleared " + utc_text(a.cleared_ms);
    json annotations = {
        {"summary", a.text},
        {"description", fmt::format("{}; raised {}, {}", where_text(a.source, names),
                                    utc_text(a.raised_ms), state)},
        {"action", std::string(advice_for(a.rule))},
        {"value", fmt::format("{}", a.value)}};
    alerts.push_back(
        {{"status", a.active ? "firing" : "resolved"},
         {"labels", labels},
         {"annotations", annotations},
         {"startsAt", rfc3339(a.raised_ms)},
         {"endsAt", a.active ? std::string("0001-01-01T00:00:00Z") : rfc3339(a.cleared_ms)},
         {"generatorURL", link_for(a.source, settings)},
         {"fingerprint", fingerprint(a.key)}});
  }
  if (n.test) {
    alerts.push_back(
        {{"status", "firing"},
         {"labels", {{"alertname", "btms_test"}, {"severity", "INFO"}, {"site", site}}},
         {"annotations", {{"summary", n.subject}, {"description", n.text}}},
         {"startsAt", rfc3339(n.time_ms)},
         {"endsAt", "0001-01-01T00:00:00Z"},
         {"generatorURL", link_for("alarms", settings)},
         {"fingerprint", fingerprint("test:" + n.recipient)}});
  }
  const json body = {{"version", "4"},
                     {"status", firing ? "firing" : "resolved"},
                     {"receiver", n.recipient},
                     {"groupKey", n.group},
                     {"groupLabels", {{"group", n.group}}},
                     {"commonLabels", {{"site", site}}},
                     {"commonAnnotations",
                      {{"summary", n.subject},
                       {"reason", reason_name(n.reason)},
                       {"message_id", n.message_id},
                       {"late", n.late ? "true" : "false"}}},
                     {"externalURL", settings.base_url},
                     {"truncatedAlerts", 0},
                     {"alerts", alerts}};
  return body.dump();
}

}  // namespace btms::notify
