#include "notify/recipients_edit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "notify/recipient_table.hpp"

namespace btms::notify {
namespace {

using nlohmann::json;

std::string hhmm(int minute_of_day) {
  return fmt::format("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60);
}

const char* level_name(model::Severity s) {
  switch (s) {
    case model::Severity::info:
    case model::Severity::warning:
      return "warnings";
    case model::Severity::alarm:
      break;
    case model::Severity::trip:
      return "trips";
  }
  return "alarms";
}

const char* address_key(ChannelKind channel) {
  switch (channel) {
    case ChannelKind::mail:
      return "to";
    case ChannelKind::webhook:
      return "url";
    case ChannelKind::snmp:
      break;
  }
  return "target";
}

// Which stored value a secret key names.
const std::string& secret_of(const Recipient& r, const std::string& key) {
  if (key == "community") return r.snmp.community;
  if (key == "auth_password") return r.snmp.auth_password;
  if (key == "priv_password") return r.snmp.priv_password;
  return r.secret;
}

std::string text_or_empty(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// The JSON of one recipient as the TOML table the site file's reader checks. false (with the
// reason) for a value TOML cannot hold.
bool to_table(const json& object, toml::table& table, std::string& key, std::string& reason) {
  for (const auto& [k, v] : object.items()) {
    key = k;
    if (v.is_null()) continue;  // as if absent
    if (v.is_string()) {
      table.insert(k, v.get<std::string>());
    } else if (v.is_boolean()) {
      table.insert(k, v.get<bool>());
    } else if (v.is_number_integer()) {
      table.insert(k, v.get<std::int64_t>());
    } else if (v.is_number()) {
      table.insert(k, v.get<double>());  // the reader refuses it where it wants an integer
    } else if (v.is_array()) {
      toml::array array;
      for (const auto& element : v) {
        if (element.is_string()) {
          array.push_back(element.get<std::string>());
        } else {
          reason = "expected an array of strings";
          return false;
        }
      }
      table.insert(k, std::move(array));
    } else {
      reason = "expected a string, number, true/false or an array of strings";
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<std::string> secret_keys(const Recipient& recipient) {
  switch (recipient.channel) {
    case ChannelKind::mail:
      return {};
    case ChannelKind::webhook:
      return {"secret"};
    case ChannelKind::snmp:
      break;
  }
  if (recipient.snmp.version == SnmpVersion::v2c) return {"community"};
  return {"auth_password", "priv_password"};
}

json recipient_json(const Recipient& r, bool with_secrets) {
  json out{{"name", r.name},
           {"channel", r.channel == ChannelKind::mail      ? "mail"
                       : r.channel == ChannelKind::webhook ? "webhook"
                                                           : "snmp"},
           {address_key(r.channel), r.address},
           {"level", level_name(r.min_severity)},
           {"sources", r.sources},
           {"rules", r.rules},
           {"tier", r.tier},
           {"utc_offset_min", r.quiet.utc_offset_min}};
  if (r.quiet.enabled()) {
    out["quiet_hours"] = hhmm(r.quiet.start_min) + "-" + hhmm(r.quiet.end_min);
  }
  if (r.channel == ChannelKind::snmp) {
    const auto& s = r.snmp;
    out["version"] = s.version == SnmpVersion::v2c ? "2c" : "3";
    out["inform"] = s.inform;
    out["mib"] = s.btms_mib && s.ups_mib ? "both" : s.ups_mib ? "ups" : "btms";
    out["timeout_ms"] = s.timeout_ms;
    out["retries"] = s.retries;
    if (s.version == SnmpVersion::v3) {
      out["user"] = s.user;
      out["auth_protocol"] = s.auth_protocol == SnmpAuthProtocol::sha256 ? "SHA-256" : "SHA";
      out["priv_protocol"] = "AES";
      if (!s.engine_id_hex.empty()) out["engine_id"] = s.engine_id_hex;
    }
  }
  for (const auto& key : secret_keys(r)) {
    const auto& value = secret_of(r, key);
    if (with_secrets) {
      if (!value.empty()) out[key] = value;
    } else {
      out[key + "_set"] = !value.empty();
    }
  }
  return out;
}

RecipientsEdit recipients_from_json(const json& list, const std::vector<Recipient>& previous) {
  RecipientsEdit edit;
  if (!list.is_array()) {
    edit.field = "recipients";
    edit.error = "expected an array of recipients";
    return edit;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto path = fmt::format("recipients[{}]", i);
    const auto refuse = [&](const std::string& key, std::string reason) {
      edit.field = key.empty() ? path : path + "." + key;
      edit.error = std::move(reason);
      edit.recipients.clear();
      return edit;
    };
    if (!list[i].is_object()) return refuse("", "expected an object");
    json object = list[i];
    // What answers add, and the page's "no secret" switch: not recipient keys.
    const bool clear_secret = object.value("clear_secret", false);
    for (const char* key : {"clear_secret", "secret_set", "community_set", "auth_password_set",
                            "priv_password_set"}) {
      object.erase(key);
    }
    // A blank secret keeps the stored one, but only for the same name, channel and address:
    // a secret must never follow a recipient to another server.
    const auto name = text_or_empty(object, "name");
    const auto channel = text_or_empty(object, "channel");
    const auto old = std::find_if(previous.begin(), previous.end(),
                                  [&](const Recipient& r) { return r.name == name; });
    for (const std::string key : {"secret", "community", "auth_password", "priv_password"}) {
      if (!text_or_empty(object, key.c_str()).empty()) continue;
      object.erase(key);
      if (old == previous.end() || secret_of(*old, key).empty()) continue;
      if (key == "secret" && clear_secret) continue;
      const bool same_channel =
          channel == recipient_json(*old, false)["channel"].get<std::string>();
      const auto address = text_or_empty(object, address_key(old->channel));
      const auto wanted = secret_keys(*old);
      if (!same_channel || std::find(wanted.begin(), wanted.end(), key) == wanted.end()) {
        continue;  // another channel or SNMP version: its own secrets, checked by the reader
      }
      if (address != old->address) {
        return refuse(key, key == "secret"
                               ? "the URL changed: enter the HMAC secret again (or clear it)"
                               : "the address changed: enter the " + key + " again");
      }
      object[key] = secret_of(*old, key);
    }
    toml::table table;
    std::string key;
    std::string reason;
    if (!to_table(object, table, key, reason)) return refuse(key, reason);
    std::vector<model::ConfigError> errors;
    auto recipient = read_recipient_table(table, "", path, errors);
    if (!errors.empty()) {
      edit.field = errors.front().key;
      edit.error = errors.front().reason;
      edit.recipients.clear();
      return edit;
    }
    if (!names.insert(recipient.name).second) {
      return refuse("name", fmt::format("\"{}\" is used twice", recipient.name));
    }
    edit.recipients.push_back(std::move(recipient));
  }
  return edit;
}

}  // namespace btms::notify
