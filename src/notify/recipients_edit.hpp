// The recipient list as the settings page reads and edits it: JSON with the site file's
// [[notify.recipient]] keys (to / url / target, level, sources, rules, tier, quiet_hours, ...),
// checked by the site file's own reader so every field is refused with the same reason.
// Secrets (a webhook's HMAC secret, an SNMP community or v3 password) never leave the gateway:
// the page sees "<key>_set": true, and a blank secret in an edit keeps the stored one only for
// the same name, channel and address.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "notify/notify_settings.hpp"

namespace btms::notify {

// The secret keys of a recipient's channel: "secret" (webhook), "community" (SNMP v2c),
// "auth_password" and "priv_password" (SNMP v3).
std::vector<std::string> secret_keys(const Recipient& recipient);

// with_secrets = false (every answer): each secret becomes "<key>_set": true / false.
nlohmann::json recipient_json(const Recipient& recipient, bool with_secrets);

struct RecipientsEdit {
  std::vector<Recipient> recipients;
  std::string field;  // the first refused field, e.g. "recipients[2].to"; empty = accepted
  std::string error;  // why
  bool ok() const { return field.empty() && error.empty(); }
};

// `list` is the JSON array of recipients; `previous` the list in force (for blank secrets).
RecipientsEdit recipients_from_json(const nlohmann::json& list,
                                    const std::vector<Recipient>& previous);

}  // namespace btms::notify
