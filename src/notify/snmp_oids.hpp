// Object identifiers of the notifications this gateway sends, as docs/BTMS-MIB.txt defines them.
// kBtmsEnterprise (99999) is a placeholder for the vendor's IANA Private Enterprise Number; the
// MIB file says the same. Change both together.
#pragma once

#include <cstdint>
#include <vector>

namespace btms::notify::snmp_oids {

using Oid = std::vector<std::uint32_t>;

inline constexpr std::uint32_t kBtmsEnterprise = 99999;

// SNMPv2-MIB: every SNMPv2 notification starts with sysUpTime.0 and snmpTrapOID.0.
inline const Oid kSysUpTime0 = {1, 3, 6, 1, 2, 1, 1, 3, 0};
inline const Oid kSnmpTrapOid0 = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

// UPS-MIB (RFC 1628): the alarm group and its notifications.
inline const Oid kUpsAlarmsPresent0 = {1, 3, 6, 1, 2, 1, 33, 1, 6, 1, 0};
inline const Oid kUpsAlarmEntry = {1, 3, 6, 1, 2, 1, 33, 1, 6, 2, 1};  // .1 id .2 descr .3 time
inline const Oid kUpsWellKnownAlarms = {1, 3, 6, 1, 2, 1, 33, 1, 6, 3};
inline const Oid kUpsTrapAlarmEntryAdded = {1, 3, 6, 1, 2, 1, 33, 2, 3};
inline const Oid kUpsTrapAlarmEntryRemoved = {1, 3, 6, 1, 2, 1, 33, 2, 4};

// BTMS-MIB
inline const Oid kBtmsMib = {1, 3, 6, 1, 4, 1, kBtmsEnterprise};
inline const Oid kAlarmRaised = {1, 3, 6, 1, 4, 1, kBtmsEnterprise, 0, 1};
inline const Oid kAlarmCleared = {1, 3, 6, 1, 4, 1, kBtmsEnterprise, 0, 2};
inline const Oid kTestNotification = {1, 3, 6, 1, 4, 1, kBtmsEnterprise, 0, 3};

// btmsAlarmObjects (btmsObjects 4) columns, as carried by the notifications (scalar .0 not
// used: accessible-for-notify objects are sent by their object identifier itself).
enum AlarmObject : std::uint32_t {
  kAlarmSource = 1,
  kAlarmRule = 2,
  kAlarmSeverity = 3,
  kAlarmUps = 4,
  kAlarmString = 5,
  kAlarmBattery = 6,
  kAlarmValue = 7,
  kAlarmLimit = 8,
  kAlarmText = 9,
  kAlarmTime = 10,
  kAlarmLink = 11,
};
inline Oid alarm_object(AlarmObject column) {
  return {1, 3, 6, 1, 4, 1, kBtmsEnterprise, 1, 4, column};
}

}  // namespace btms::notify::snmp_oids
