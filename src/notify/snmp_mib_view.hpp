// What the AgentX subagent serves, computed from one published step: BTMS-MIB's site scalars,
// string table and battery table (docs/BTMS-MIB.txt) and, on a site with one UPS, UPS-MIB's
// battery group (RFC 1628, 1.3.6.1.2.1.33.1.2). A value whose sample is not fresh (stale, comm
// lost, invalid) is left out -- a manager gets noSuchInstance for it, never an old value as if
// fresh -- and the row's data-quality column says why. Pure: OIDs in order, for GET and
// GETNEXT alike.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/snapshot.hpp"
#include "model/topology.hpp"
#include "notify/snmp_oids.hpp"
#include "notify/ups_alarm_board.hpp"

namespace btms::notify {

struct MibValue {
  enum class Type : std::uint8_t { integer, gauge, text, object_id, timeticks };
  MibValue() = default;
  MibValue(Type t, std::int64_t n, std::string s = {}, snmp_oids::Oid o = {})
      : type(t), number(n), text(std::move(s)), object_id(std::move(o)) {}
  Type type = Type::integer;
  std::int64_t number = 0;
  std::string text;
  snmp_oids::Oid object_id;  // Type::object_id
};

// Ordered as SNMP orders OIDs (lexicographic on the sub-identifiers).
using MibView = std::map<snmp_oids::Oid, MibValue>;

MibView build_mib_view(const model::Site& site, const model::Snapshot* plant,
                       const model::Snapshot* derived);

// UPS-MIB's alarm group: upsAlarmsPresent and one upsAlarmTable row per present well-known
// alarm (upsAlarmId, upsAlarmDescr, upsAlarmTime). upsAlarmTime is a TimeStamp: the agent's
// uptime (centiseconds) `now_ms - since_ms` ago, 0 when the alarm is older than the agent.
void add_ups_alarm_group(MibView& view, const std::vector<UpsAlarmRow>& rows, std::int64_t now_ms,
                         std::uint32_t uptime_cs);

namespace snmp_oids {
// BTMS-MIB btmsObjects and its parts.
inline const Oid kBtmsObjects = {1, 3, 6, 1, 4, 1, kBtmsEnterprise, 1};
inline const Oid kStringEntry = {1, 3, 6, 1, 4, 1, kBtmsEnterprise, 1, 2, 1};
inline const Oid kBatteryEntry = {1, 3, 6, 1, 4, 1, kBtmsEnterprise, 1, 3, 1};
// UPS-MIB upsBattery and upsAlarm groups.
inline const Oid kUpsBattery = {1, 3, 6, 1, 2, 1, 33, 1, 2};
inline const Oid kUpsAlarm = {1, 3, 6, 1, 2, 1, 33, 1, 6};
}  // namespace snmp_oids

}  // namespace btms::notify
