#include "notify/snmp_trap_content.hpp"

#include <fmt/format.h>

#include "model/ids.hpp"
#include "notify/message_text.hpp"
#include "notify/webhook_payload.hpp"

namespace btms::notify {

namespace {

std::int32_t severity_number(model::Severity s) {
  switch (s) {
    case model::Severity::info:
      return 1;
    case model::Severity::warning:
      return 2;
    case model::Severity::alarm:
      return 3;
    case model::Severity::trip:
      return 4;
  }
  return 1;
}

SnmpTrap alarm_trap(const NotifiedAlarm& a, const RoutingSettings& settings,
                    const SiteNames& names) {
  using namespace snmp_oids;
  SnmpTrap trap;
  trap.trap_oid = a.active ? kAlarmRaised : kAlarmCleared;
  std::int32_t string_number = 0;
  std::int32_t battery_number = 0;
  // At the aggregator the numbers are within the gateway the source names.
  const std::string local(split_gateway(a.source).local);
  if (const auto battery = model::parse_battery_id(local)) {
    string_number = battery->string;
    battery_number = battery->position;
  } else if (const auto group = group_of(local); group.starts_with("string/")) {
    string_number = std::stoi(group.substr(7));
  }
  auto& v = trap.varbinds;
  v.push_back({alarm_object(kAlarmSource), display_string(a.source)});
  v.push_back({alarm_object(kAlarmRule), display_string(a.rule)});
  v.push_back({alarm_object(kAlarmSeverity), severity_number(a.severity)});
  v.push_back({alarm_object(kAlarmUps), static_cast<std::int32_t>(names.ups_of(a.source))});
  v.push_back({alarm_object(kAlarmString), string_number});
  v.push_back({alarm_object(kAlarmBattery), battery_number});
  v.push_back({alarm_object(kAlarmValue), fmt::format("{}", a.value)});
  v.push_back({alarm_object(kAlarmLimit), display_string(limit_of(a.text))});
  // The removal says it cleared in its own words; the raise text keeps the value and limit.
  v.push_back({alarm_object(kAlarmText), display_string(a.active ? a.text : a.text + ": cleared")});
  v.push_back({alarm_object(kAlarmTime), rfc3339(a.active ? a.raised_ms : a.cleared_ms)});
  v.push_back({alarm_object(kAlarmLink), display_string(link_for(a.source, settings))});
  return trap;
}

}  // namespace

std::string limit_of(std::string_view raise_text) {
  // The engine's raise texts read "<what> <value> above|below <limit name> <limit>"
  // (engine/alarm_text.cpp).
  for (const std::string_view word : {" above ", " below "}) {
    const auto at = raise_text.rfind(word);
    if (at != std::string_view::npos) return display_string(raise_text.substr(at + word.size()));
  }
  return {};
}

std::string display_string(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size() && out.size() < 255; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xB0) {
      ++i;  // "°" of °C: the unit reads "C"
      continue;
    }
    if (c >= 0x80) {
      // One '?' per UTF-8 character, not per byte.
      if ((c & 0xC0) != 0x80) out += '?';
      continue;
    }
    out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  }
  return out;
}

std::vector<SnmpTrap> snmp_traps(const Notification& n, const RoutingSettings& settings,
                                 const SiteNames& names) {
  std::vector<SnmpTrap> traps;
  if (n.ups_alarm) {
    const auto& u = *n.ups_alarm;
    SnmpTrap trap;
    trap.trap_oid =
        u.added ? snmp_oids::kUpsTrapAlarmEntryAdded : snmp_oids::kUpsTrapAlarmEntryRemoved;
    auto id_oid = snmp_oids::kUpsAlarmEntry;
    id_oid.insert(id_oid.end(), {1, u.id});
    auto descr_oid = snmp_oids::kUpsAlarmEntry;
    descr_oid.insert(descr_oid.end(), {2, u.id});
    auto descr = snmp_oids::kUpsWellKnownAlarms;
    descr.push_back(u.well_known);
    trap.varbinds.push_back({id_oid, static_cast<std::int32_t>(u.id)});
    trap.varbinds.push_back({descr_oid, descr});
    traps.push_back(std::move(trap));
    return traps;
  }
  if (n.test) {
    SnmpTrap trap;
    trap.trap_oid = snmp_oids::kTestNotification;
    trap.varbinds.push_back(
        {snmp_oids::alarm_object(snmp_oids::kAlarmText), display_string(n.subject)});
    trap.varbinds.push_back({snmp_oids::alarm_object(snmp_oids::kAlarmTime), rfc3339(n.time_ms)});
    traps.push_back(std::move(trap));
    return traps;
  }
  for (const auto& a : n.alarms) traps.push_back(alarm_trap(a, settings, names));
  return traps;
}

}  // namespace btms::notify
