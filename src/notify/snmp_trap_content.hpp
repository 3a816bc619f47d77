// What an SNMP notification of a message carries: one btmsAlarmRaised per active alarm and one
// btmsAlarmCleared per cleared alarm (the removal is always sent: managers close their entry on
// it), each with source, rule, severity, UPS / string / battery numbers, value, limit, text,
// time and link as varbinds (docs/BTMS-MIB.txt). Pure: the sender turns it into PDUs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "notify/alarm_router.hpp"
#include "notify/notification.hpp"
#include "notify/notify_settings.hpp"
#include "notify/snmp_oids.hpp"

namespace btms::notify {

struct SnmpVarbind {
  snmp_oids::Oid oid;
  // INTEGER, OCTET STRING or OBJECT IDENTIFIER
  std::variant<std::int32_t, std::string, snmp_oids::Oid> value;
};

struct SnmpTrap {
  snmp_oids::Oid trap_oid;  // snmpTrapOID.0
  std::vector<SnmpVarbind> varbinds;
};

// The limit named in an engine raise text ("... above trip limit 55 °C" -> "trip limit 55 C");
// "" when the text names none.
std::string limit_of(std::string_view raise_text);
// DisplayString is ASCII (RFC 2579): "°C" -> "C", other non-ASCII bytes -> '?'; at most 255.
std::string display_string(std::string_view text);

// A message with ups_alarm set is one upsTrapAlarmEntryAdded / Removed (RFC 1628) with
// upsAlarmId.<id> and upsAlarmDescr.<id>; any other, the BTMS-MIB notifications above.
std::vector<SnmpTrap> snmp_traps(const Notification& n, const RoutingSettings& settings,
                                 const SiteNames& names);

}  // namespace btms::notify
