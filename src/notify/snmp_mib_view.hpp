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

#include "model/snapshot.hpp"
#include "model/topology.hpp"
#include "notify/snmp_oids.hpp"

namespace btms::notify {

struct MibValue {
  enum class Type : std::uint8_t { integer, gauge, text };
  Type type = Type::integer;
  std::int64_t number = 0;
  std::string text;
};

// Ordered as SNMP orders OIDs (lexicographic on the sub-identifiers).
using MibView = std::map<snmp_oids::Oid, MibValue>;

MibView build_mib_view(const model::Site& site, const model::Snapshot* plant,
                       const model::Snapshot* derived);

namespace snmp_oids {
// BTMS-MIB btmsObjects and its parts.
inline const Oid kBtmsObjects = {1, 3, 6, 1, 4, 1, kBtmsEnterprise, 1};
inline const Oid kStringEntry = {1, 3, 6, 1, 4, 1, kBtmsEnterprise, 1, 2, 1};
inline const Oid kBatteryEntry = {1, 3, 6, 1, 4, 1, kBtmsEnterprise, 1, 3, 1};
// UPS-MIB upsBattery group.
inline const Oid kUpsBattery = {1, 3, 6, 1, 2, 1, 33, 1, 2};
}  // namespace snmp_oids

}  // namespace btms::notify
