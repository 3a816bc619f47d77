// What the site file's [notify] tables say: how alarms are routed (grouping, repeat, escalation)
// and who receives them over which channel. Plain data; notify_config.cpp reads it from TOML.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/events.hpp"

namespace btms::notify {

// Hours of the day in which a recipient gets no message unless it carries a trip (fatal alarms
// are trips). Minutes of the day in the recipient's local time = UTC + utc_offset_min. start
// == end means no quiet hours; start > end spans midnight (22:00-06:00).
struct QuietHours {
  int start_min = 0;
  int end_min = 0;
  int utc_offset_min = 0;

  bool operator==(const QuietHours&) const = default;
  bool enabled() const { return start_min != end_min; }
  bool contains(std::int64_t time_ms) const;
  // The first instant at or after time_ms that is outside the quiet hours.
  std::int64_t end_after(std::int64_t time_ms) const;
};

enum class ChannelKind : std::uint8_t { mail, webhook, snmp };

enum class SnmpVersion : std::uint8_t { v2c, v3 };
enum class SnmpAuthProtocol : std::uint8_t { sha1, sha256 };
enum class SnmpPrivProtocol : std::uint8_t { aes128 };

// An SNMP manager (NMS, DCIM) that receives notifications. v3 is always authPriv: alarms cross
// the data center's management network and a spoofed "cleared" must not close a real alarm.
struct SnmpTarget {
  SnmpVersion version = SnmpVersion::v2c;
  bool inform = false;    // acknowledged (retried by net-snmp) instead of fire-and-forget traps
  std::string community;  // v2c; never shown by the API
  std::string user;       // v3 USM user
  SnmpAuthProtocol auth_protocol = SnmpAuthProtocol::sha1;
  std::string auth_password;  // never shown by the API
  SnmpPrivProtocol priv_protocol = SnmpPrivProtocol::aes128;
  std::string priv_password;  // never shown by the API
  // v3 traps: this gateway's engine ID as the receiver knows it (snmptrapd: createUser -e),
  // hex without 0x. Informs discover the receiver's engine ID and need none.
  std::string engine_id_hex;
  // Which notifications: BTMS-MIB's per-alarm ones (routed like mail) and/or UPS-MIB's
  // upsTrapAlarmEntryAdded / Removed (the UPS alarm table's changes; one-UPS sites only).
  bool btms_mib = true;
  bool ups_mib = false;
  long timeout_ms = 3'000;  // per try; an inform is tried `retries` + 1 times
  int retries = 1;

  bool operator==(const SnmpTarget&) const = default;
};

struct Recipient {
  std::string name;  // unique; the delivery log and the test button name it
  ChannelKind channel = ChannelKind::mail;
  std::string address;  // mail: the To address; webhook: the URL; snmp: udp:host:port
  std::string secret;   // webhook: HMAC-SHA256 key ("" = unsigned); never shown by the API
  // Lowest severity this recipient is told about: warning = "warnings and alarms", alarm =
  // "alarms only" (alarms and trips), trip = trips only.
  model::Severity min_severity = model::Severity::alarm;
  // Where the alarm is: "site" (everything), "ups/1", "string/3", "battery/3/17", "mc".
  // Empty = the whole site.
  std::vector<std::string> sources;
  // Kinds of alarm as rule-name prefixes ("battery_temperature", "string_insulation_alarm").
  // Empty = every kind.
  std::vector<std::string> rules;
  // Escalation tier: tier 1 is told at once (after the grouping wait); tier N only when an alarm
  // stays unacknowledged for (N-1) x escalate_after.
  int tier = 1;
  QuietHours quiet;
  SnmpTarget snmp;  // channel snmp only

  // Unchanged recipients keep their worker (and its queue) when the list is edited.
  bool operator==(const Recipient&) const = default;
};

struct RoutingSettings {
  // Alertmanager's defaults: wait this long after an incident's first alarm to collect the rest
  // into one message; then at most one update per group_interval; repeat while unacknowledged.
  std::int64_t group_wait_ms = 30'000;
  std::int64_t group_interval_ms = 300'000;
  std::int64_t repeat_interval_ms = 4 * 3'600'000;
  std::int64_t escalate_after_ms = 900'000;
  std::string site_name;
  std::string base_url;  // the web UI as recipients reach it, e.g. https://btms.example.net:8443
};

enum class MailSecurity : std::uint8_t { starttls, implicit_tls, none };

struct MailServer {
  std::string url;  // smtp://host:587 or smtps://host:465
  std::string from;
  MailSecurity security = MailSecurity::starttls;
  std::string username;
  std::string password;  // never shown by the API
  std::string ca_file;   // extra CA for the server's certificate ("" = system CAs)
  long timeout_ms = 15'000;
};

struct DeliverySettings {
  int attempts = 4;                       // tries per message before it is logged as failed
  std::int64_t first_backoff_ms = 1'000;  // doubled after every failed try
  long webhook_timeout_ms = 5'000;
};

// The AgentX subagent that serves BTMS-MIB and UPS-MIB's battery group through the system's
// snmpd ([notify.snmp_agent]).
struct SnmpAgentSettings {
  bool enabled = false;
  // snmpd's AgentX socket (snmpd.conf: master agentx, agentXSocket); net-snmp's form:
  // /var/agentx/master (default), unix:/path, tcp:localhost:705.
  std::string agentx_socket = "/var/agentx/master";
};

struct NotifySettings {
  bool enabled = false;  // true when the site file has a [notify] table
  RoutingSettings routing;
  MailServer mail;
  DeliverySettings delivery;
  std::vector<Recipient> recipients;
  SnmpAgentSettings snmp_agent;
};

}  // namespace btms::notify
