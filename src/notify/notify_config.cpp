#include "notify/notify_config.hpp"

#include "notify/recipient_table.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace btms::notify {
namespace {

int line_of(const toml::source_region& region) {
  return static_cast<int>(region.begin.line);
}

// Reads one table, remembering which keys it knew so the rest are reported as unknown.
class Reader {
 public:
  Reader(std::vector<model::ConfigError>& errors, const std::string& file, const toml::table& table,
         std::string path)
      : errors_(errors), file_(file), table_(table), path_(std::move(path)) {}

  void error(const toml::node* at, std::string_view key, std::string reason) const {
    errors_.push_back({file_, at ? line_of(at->source()) : line_of(table_.source()),
                       key.empty() ? path_ : path_ + "." + std::string(key), std::move(reason)});
  }

  const toml::node* node(std::string_view key) {
    known_.emplace(key);
    return table_.get(key);
  }

  bool text(std::string_view key, std::string& out, bool required = false) {
    const auto* n = node(key);
    if (!n) {
      if (required) error(nullptr, key, "missing required key");
      return false;
    }
    if (!n->is_string()) {
      error(n, key, "expected a string");
      return false;
    }
    const auto& value = n->as_string()->get();
    for (const unsigned char c : value) {
      if (c < 0x20 || c == 0x7f) {
        error(n, key, "control characters are not allowed");
        return false;
      }
    }
    if (required && value.empty()) {
      error(n, key, "must not be empty");
      return false;
    }
    out = value;
    return true;
  }

  bool integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max) {
    const auto* n = node(key);
    if (!n) return false;
    if (!n->is_integer()) {
      error(n, key, "expected an integer");
      return false;
    }
    const auto value = n->as_integer()->get();
    if (value < min || value > max) {
      error(n, key, fmt::format("{} is out of range {}..{}", value, min, max));
      return false;
    }
    out = value;
    return true;
  }

  bool texts(std::string_view key, std::vector<std::string>& out) {
    const auto* n = node(key);
    if (!n) return false;
    if (!n->is_array()) {
      error(n, key, "expected an array of strings");
      return false;
    }
    std::vector<std::string> values;
    for (const auto& element : *n->as_array()) {
      if (!element.is_string() || element.as_string()->get().empty()) {
        error(&element, key, "expected a non-empty string");
        return false;
      }
      values.push_back(element.as_string()->get());
    }
    out = std::move(values);
    return true;
  }

  void finish() const {
    for (const auto& [key, value] : table_) {
      if (!known_.contains(std::string(key.str()))) error(&value, key.str(), "unknown key");
    }
  }

  const toml::node* last(std::string_view key) const { return table_.get(key); }

 private:
  std::vector<model::ConfigError>& errors_;
  const std::string& file_;
  const toml::table& table_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
};

std::optional<int> whole_number(std::string_view text) {
  int value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 1) return std::nullopt;
  return value;
}

// site, mc, mc/..., ups/N, string/N, battery/N/M.
bool valid_source(std::string_view s) {
  if (s == "site" || s == "mc" || s.starts_with("mc/")) return true;
  if (s.starts_with("ups/")) return whole_number(s.substr(4)).has_value();
  if (s.starts_with("string/")) return whole_number(s.substr(7)).has_value();
  if (s.starts_with("battery/")) {
    const auto rest = s.substr(8);
    const auto slash = rest.find('/');
    return slash != std::string_view::npos && whole_number(rest.substr(0, slash)) &&
           whole_number(rest.substr(slash + 1));
  }
  return false;
}

void read_mail(Reader& r, MailServer& mail) {
  r.text("url", mail.url, true);
  r.text("from", mail.from, true);
  r.text("username", mail.username);
  r.text("password", mail.password);
  r.text("ca_file", mail.ca_file);
  std::int64_t timeout_ms = mail.timeout_ms;
  if (r.integer("timeout_ms", timeout_ms, 100, 600'000))
    mail.timeout_ms = static_cast<long>(timeout_ms);
  std::string security = "starttls";
  const bool given = r.text("security", security);
  if (security == "starttls") {
    mail.security = MailSecurity::starttls;
  } else if (security == "implicit") {
    mail.security = MailSecurity::implicit_tls;
  } else if (security == "none") {
    mail.security = MailSecurity::none;
  } else {
    r.error(r.last("security"), "security", "expected \"starttls\", \"implicit\" or \"none\"");
  }
  if (!mail.url.empty()) {
    const bool smtps = mail.url.starts_with("smtps://");
    if (!smtps && !mail.url.starts_with("smtp://")) {
      r.error(r.last("url"), "url", "expected smtp://host[:port] or smtps://host[:port]");
    } else if (smtps && mail.security != MailSecurity::implicit_tls) {
      r.error(given ? r.last("security") : r.last("url"), "security",
              "an smtps:// server needs security = \"implicit\"");
    } else if (!smtps && mail.security == MailSecurity::implicit_tls) {
      r.error(r.last("security"), "security", "implicit TLS needs an smtps:// url (port 465)");
    }
  }
  if (!mail.password.empty() && mail.username.empty()) {
    r.error(r.last("password"), "username", "a password needs a username");
  }
  if (!mail.from.empty() && mail.from.find('@') == std::string::npos) {
    r.error(r.last("from"), "from", "expected a mail address");
  }
}

// udp:host:port, udp6:[addr]:port or host[:port] (port 162 when none), as net-snmp reads it.
bool valid_snmp_target(std::string_view target) {
  if (target.find_first_of(" \t/") != std::string_view::npos) return false;
  std::string_view host_port = target;
  for (const std::string_view prefix : {"udp:", "udp6:", "tcp:", "tcp6:"}) {
    if (target.starts_with(prefix)) {
      host_port = target.substr(prefix.size());
      break;
    }
  }
  return !host_port.empty() && host_port.front() != ':' && host_port.back() != ':';
}

void read_snmp(Reader& r, Recipient& out) {
  auto& snmp = out.snmp;
  if (r.text("target", out.address, true) && !valid_snmp_target(out.address)) {
    r.error(r.last("target"), "target", "expected udp:host:port, e.g. \"udp:nms.example.net:162\"");
  }
  std::string version = "2c";
  r.text("version", version);
  if (const auto* inform = r.node("inform")) {
    if (!inform->is_boolean()) {
      r.error(inform, "inform", "expected true or false");
    } else {
      snmp.inform = inform->as_boolean()->get();
    }
  }
  std::string mib = "btms";
  if (r.text("mib", mib)) {
    if (mib == "btms" || mib == "ups" || mib == "both") {
      snmp.btms_mib = mib != "ups";
      snmp.ups_mib = mib != "btms";
    } else {
      r.error(r.last("mib"), "mib", "expected \"btms\", \"ups\" or \"both\"");
    }
  }
  std::int64_t timeout_ms = snmp.timeout_ms;
  if (r.integer("timeout_ms", timeout_ms, 100, 60'000))
    snmp.timeout_ms = static_cast<long>(timeout_ms);
  std::int64_t retries = snmp.retries;
  if (r.integer("retries", retries, 0, 10)) snmp.retries = static_cast<int>(retries);
  if (version == "2c") {
    snmp.version = SnmpVersion::v2c;
    r.text("community", snmp.community, true);
    for (const auto* key : {"user", "auth_password", "priv_password", "engine_id"}) {
      if (r.node(key)) r.error(r.last(key), key, "only for version = \"3\"");
    }
    return;
  }
  if (version != "3") {
    r.error(r.last("version"), "version", "expected \"2c\" or \"3\"");
    return;
  }
  snmp.version = SnmpVersion::v3;
  if (r.node("community")) r.error(r.last("community"), "community", "only for version = \"2c\"");
  r.text("user", snmp.user, true);
  // USM derives keys from passwords of at least 8 characters (RFC 3414).
  for (auto [key, value] : {std::pair{"auth_password", &snmp.auth_password},
                            std::pair{"priv_password", &snmp.priv_password}}) {
    if (r.text(key, *value, true) && value->size() < 8) {
      r.error(r.last(key), key, "must be at least 8 characters (RFC 3414)");
    }
  }
  std::string auth = "SHA";
  if (r.text("auth_protocol", auth)) {
    if (auth == "SHA") {
      snmp.auth_protocol = SnmpAuthProtocol::sha1;
    } else if (auth == "SHA-256") {
      snmp.auth_protocol = SnmpAuthProtocol::sha256;
    } else {
      r.error(r.last("auth_protocol"), "auth_protocol", "expected \"SHA\" or \"SHA-256\"");
    }
  }
  std::string priv = "AES";
  if (r.text("priv_protocol", priv) && priv != "AES") {
    r.error(r.last("priv_protocol"), "priv_protocol", "expected \"AES\" (AES-128)");
  }
  const bool has_engine = r.text("engine_id", snmp.engine_id_hex);
  if (has_engine) {
    auto& hex = snmp.engine_id_hex;
    if (hex.starts_with("0x") || hex.starts_with("0X")) hex = hex.substr(2);
    const bool digits =
        std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c); });
    // RFC 3411: an engine ID is 5 to 32 octets.
    if (!digits || hex.size() % 2 != 0 || hex.size() < 10 || hex.size() > 64) {
      r.error(r.last("engine_id"), "engine_id",
              "expected 5 to 32 bytes in hex, e.g. \"0x80001f8880aabbccdd\"");
    }
  }
  if (!snmp.inform && !has_engine) {
    r.error(nullptr, "engine_id",
            "SNMPv3 traps need this gateway's engine ID as the receiver knows it (snmptrapd: "
            "createUser -e ID ...); or set inform = true");
  }
}

// At the aggregator (gateways listed): "site", a gateway's name, or one of its sources under its
// name ("hall-a/string/3"); at a gateway (none listed): valid_source.
bool valid_site_source(std::string_view s, const std::vector<std::string>& gateways) {
  if (gateways.empty()) return valid_source(s);
  if (s == "site") return true;
  const auto slash = s.find('/');
  const auto gateway = s.substr(0, slash);
  if (std::find(gateways.begin(), gateways.end(), gateway) == gateways.end()) return false;
  if (slash == std::string_view::npos) return true;
  const auto rest = s.substr(slash + 1);
  return rest != "site" && valid_source(rest);
}

void read_recipient(Reader& r, Recipient& out, bool& wants_mail,
                    const std::vector<std::string>& gateways = {}) {
  r.text("name", out.name, true);
  std::string channel;
  r.text("channel", channel, true);
  if (channel == "mail") {
    out.channel = ChannelKind::mail;
    wants_mail = true;
    if (r.text("to", out.address, true) && out.address.find('@') == std::string::npos) {
      r.error(r.last("to"), "to", "expected a mail address");
    }
  } else if (channel == "webhook") {
    out.channel = ChannelKind::webhook;
    if (r.text("url", out.address, true) && !out.address.starts_with("http://") &&
        !out.address.starts_with("https://")) {
      r.error(r.last("url"), "url", "expected an http:// or https:// URL");
    }
    r.text("secret", out.secret);
  } else if (channel == "snmp") {
    out.channel = ChannelKind::snmp;
    read_snmp(r, out);
  } else if (!channel.empty()) {
    r.error(r.last("channel"), "channel", "expected \"mail\", \"webhook\" or \"snmp\"");
  }
  std::string level = "alarms";
  if (r.text("level", level)) {
    if (level == "warnings") {
      out.min_severity = model::Severity::warning;
    } else if (level == "alarms") {
      out.min_severity = model::Severity::alarm;
    } else if (level == "trips") {
      out.min_severity = model::Severity::trip;
    } else {
      r.error(r.last("level"), "level", "expected \"warnings\", \"alarms\" or \"trips\"");
    }
  }
  if (r.texts("sources", out.sources)) {
    for (const auto& s : out.sources) {
      if (!valid_site_source(s, gateways)) {
        r.error(r.last("sources"), "sources",
                gateways.empty()
                    ? fmt::format("\"{}\" is not site, ups/N, string/N, battery/N/M or mc", s)
                    : fmt::format("\"{}\" is not site, GATEWAY or GATEWAY/ups/N, "
                                  "GATEWAY/string/N, GATEWAY/battery/N/M, GATEWAY/mc of a listed "
                                  "gateway",
                                  s));
      }
    }
  }
  r.texts("rules", out.rules);
  std::int64_t tier = 1;
  if (r.integer("tier", tier, 1, 9)) out.tier = static_cast<int>(tier);
  std::string quiet;
  if (r.text("quiet_hours", quiet) &&
      !parse_quiet_hours(quiet, out.quiet.start_min, out.quiet.end_min)) {
    r.error(r.last("quiet_hours"), "quiet_hours", "expected \"HH:MM-HH:MM\", e.g. \"22:00-06:00\"");
  }
  std::int64_t offset = 0;
  if (r.integer("utc_offset_min", offset, -12 * 60, 14 * 60)) {
    out.quiet.utc_offset_min = static_cast<int>(offset);
  }
}

void read_notify(Reader& root, const std::string& file, std::vector<model::ConfigError>& errors,
                 NotifySettings& settings, const std::vector<std::string>& gateways) {
  auto& routing = settings.routing;
  root.text("base_url", routing.base_url);
  root.text("site_name", routing.site_name);
  const auto seconds = [&](std::string_view key, std::int64_t& out_ms, std::int64_t min_s,
                           std::int64_t max_s) {
    std::int64_t s = 0;
    if (root.integer(key, s, min_s, max_s)) out_ms = s * 1000;
  };
  seconds("group_wait_s", routing.group_wait_ms, 0, 3600);
  seconds("group_interval_s", routing.group_interval_ms, 1, 86'400);
  seconds("repeat_interval_s", routing.repeat_interval_ms, 60, 7 * 86'400);
  seconds("escalate_after_s", routing.escalate_after_ms, 60, 7 * 86'400);
  std::int64_t attempts = settings.delivery.attempts;
  if (root.integer("attempts", attempts, 1, 20))
    settings.delivery.attempts = static_cast<int>(attempts);
  root.integer("first_backoff_ms", settings.delivery.first_backoff_ms, 10, 600'000);
  std::int64_t webhook_timeout = settings.delivery.webhook_timeout_ms;
  if (root.integer("webhook_timeout_ms", webhook_timeout, 100, 600'000)) {
    settings.delivery.webhook_timeout_ms = static_cast<long>(webhook_timeout);
  }

  bool has_mail = false;
  if (const auto* mail = root.node("mail")) {
    if (!mail->is_table()) {
      root.error(mail, "mail", "expected a table ([notify.mail])");
    } else {
      has_mail = true;
      Reader r(errors, file, *mail->as_table(), "notify.mail");
      read_mail(r, settings.mail);
      r.finish();
    }
  }

  if (const auto* agent = root.node("snmp_agent")) {
    if (!agent->is_table()) {
      root.error(agent, "snmp_agent", "expected a table ([notify.snmp_agent])");
    } else {
      Reader r(errors, file, *agent->as_table(), "notify.snmp_agent");
      auto& settings_agent = settings.snmp_agent;
      settings_agent.enabled = true;
      if (const auto* enabled = r.node("enabled")) {
        if (!enabled->is_boolean()) {
          r.error(enabled, "enabled", "expected true or false");
        } else {
          settings_agent.enabled = enabled->as_boolean()->get();
        }
      }
      if (r.text("agentx_socket", settings_agent.agentx_socket) &&
          settings_agent.agentx_socket.empty()) {
        r.error(r.last("agentx_socket"), "agentx_socket",
                "expected snmpd's AgentX socket, e.g. \"/var/agentx/master\"");
      }
      r.finish();
    }
  }

  bool wants_mail = false;
  const toml::node* first_mail_recipient = nullptr;
  if (const auto* list = root.node("recipient")) {
    if (!list->is_array()) {
      root.error(list, "recipient", "expected an array of tables ([[notify.recipient]])");
    } else {
      std::set<std::string> names;
      int position = 0;
      for (const auto& element : *list->as_array()) {
        ++position;
        const auto path = fmt::format("notify.recipient[{}]", position);
        if (!element.is_table()) {
          errors.push_back({file, line_of(element.source()), path, "expected a table"});
          continue;
        }
        Reader r(errors, file, *element.as_table(), path);
        Recipient recipient;
        bool mail = false;
        read_recipient(r, recipient, mail, gateways);
        if (mail && !first_mail_recipient) first_mail_recipient = &element;
        wants_mail |= mail;
        if (!recipient.name.empty() && !names.insert(recipient.name).second) {
          r.error(r.last("name"), "name", fmt::format("\"{}\" is used twice", recipient.name));
        }
        r.finish();
        settings.recipients.push_back(std::move(recipient));
      }
    }
  }
  // Every message links to the alarm in the web UI; a link without the address recipients
  // reach the gateway at would be useless in a mail read on a phone at night.
  if (!settings.recipients.empty() && routing.base_url.empty()) {
    root.error(nullptr, "base_url",
               "required with recipients: the web UI's address as recipients reach it, e.g. "
               "\"https://btms.example.net:8443\"");
  } else if (!routing.base_url.empty() && !routing.base_url.starts_with("http://") &&
             !routing.base_url.starts_with("https://")) {
    root.error(root.last("base_url"), "base_url", "expected an http:// or https:// URL");
  }
  if (wants_mail && !has_mail) {
    errors.push_back({file, first_mail_recipient ? line_of(first_mail_recipient->source()) : 0,
                      "notify.mail", "mail recipients need a [notify.mail] server"});
  }
}

}  // namespace

Recipient read_recipient_table(const toml::table& table, const std::string& file,
                               const std::string& path, std::vector<model::ConfigError>& errors) {
  Reader r(errors, file, table, path);
  Recipient recipient;
  bool mail = false;
  read_recipient(r, recipient, mail);
  r.finish();
  return recipient;
}

bool parse_quiet_hours(std::string_view text, int& start_min, int& end_min) {
  const auto minute_of = [](std::string_view hhmm) -> std::optional<int> {
    if (hhmm.size() != 5 || hhmm[2] != ':') return std::nullopt;
    int h = 0, m = 0;
    const auto digits = [](std::string_view s, int& v) {
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      return ec == std::errc() && p == s.data() + s.size();
    };
    if (!digits(hhmm.substr(0, 2), h) || !digits(hhmm.substr(3, 2), m)) return std::nullopt;
    if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
    return (h * 60 + m) % (24 * 60);
  };
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return false;
  const auto start = minute_of(text.substr(0, dash));
  const auto end = minute_of(text.substr(dash + 1));
  if (!start || !end) return false;
  start_min = *start;
  end_min = *end;
  return true;
}

NotifyConfigResult parse_notify_config_string(std::string_view toml_text, std::string file_name,
                                              const std::vector<std::string>& gateways) {
  NotifyConfigResult result;
  try {
    const toml::table root = toml::parse(toml_text, file_name);
    if (const auto* notify = root.get("notify")) {
      if (!notify->is_table()) {
        result.errors.push_back(
            {file_name, line_of(notify->source()), "notify", "expected a table"});
      } else {
        result.settings.enabled = true;
        Reader r(result.errors, file_name, *notify->as_table(), "notify");
        read_notify(r, file_name, result.errors, result.settings, gateways);
        r.finish();
      }
    }
  } catch (const toml::parse_error& e) {
    result.errors.push_back({file_name, line_of(e.source()), "", std::string(e.description())});
  }
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const auto& a, const auto& b) { return a.line < b.line; });
  return result;
}

NotifyConfigResult parse_notify_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    NotifyConfigResult result;
    result.errors.push_back({path, 0, "", "cannot read the file"});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_notify_config_string(text.str(), path);
}

std::optional<NotifySettings> load_notify_settings(const std::string& site_file,
                                                   std::ostream& errors) {
  if (site_file.empty()) return NotifySettings{};
  auto result = parse_notify_config_file(site_file);
  for (const auto& e : result.errors) errors << model::format_error(e) << "\n";
  if (!result.errors.empty()) return std::nullopt;
  return std::move(result.settings);
}

}  // namespace btms::notify
