// UPS-MIB (RFC 1628) alarm group of the one UPS a gateway watches: which well-known alarms
// (upsWellKnownAlarms) are present, each a row of upsAlarmTable with an id that stays constant
// while it is present and is never reused, and the list of rows added and removed that the
// upsTrapAlarmEntryAdded / Removed notifications are sent from. One board per gateway, shared
// by the AgentX subagent (polls) and the notifier (traps), so a trap's upsAlarmId is the row a
// manager finds in the table. Fed from published steps: the UPS's alarm bits and the active
// alarm list (mapping in docs/notifications.md). Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/engine_service.hpp"
#include "engine/step_publication.hpp"
#include "model/topology.hpp"
#include "notify/snmp_oids.hpp"

namespace btms::notify {

// upsWellKnownAlarms sub-identifiers used by BTMS (the others have no source here).
enum class UpsWellKnownAlarm : std::uint32_t {
  battery_bad = 1,
  on_battery = 2,
  low_battery = 3,
  temp_bad = 5,
  general_fault = 18,
  communications_lost = 20,
};
const char* ups_alarm_name(UpsWellKnownAlarm alarm);  // "upsAlarmBatteryBad"
snmp_oids::Oid ups_alarm_descr(UpsWellKnownAlarm alarm);

// The well-known alarm an engine alarm rule stands for; none for rules without one.
std::optional<UpsWellKnownAlarm> ups_alarm_for_rule(std::string_view rule);
// The well-known alarms the UPS's derived alarm bits (model::UpsAlarmBit) stand for.
std::vector<UpsWellKnownAlarm> ups_alarms_for_bits(std::uint32_t bits);

// Present well-known alarms with the time each began (the oldest alarm standing for it; the
// step time for one from the UPS bits). Bits: nullopt when not fresh (then only the alarms).
std::map<UpsWellKnownAlarm, std::int64_t> present_ups_alarms(
    std::optional<std::uint32_t> ups_bits, const std::vector<engine::ActiveAlarm>& alarms,
    std::int64_t step_time_ms);

struct UpsAlarmRow {
  std::uint32_t id = 0;  // upsAlarmId: 1, 2, 3, ... never reused while the gateway runs
  UpsWellKnownAlarm alarm = UpsWellKnownAlarm::general_fault;
  std::int64_t since_ms = 0;  // gateway clock
};

struct UpsAlarmChange {
  std::uint64_t seq = 0;  // 1, 2, 3, ...
  bool added = true;      // false: removed
  UpsAlarmRow row;
};

class UpsAlarmBoard {
 public:
  // Serves (and keeps) nothing unless the site has exactly one UPS: the MIB describes one UPS
  // per agent.
  explicit UpsAlarmBoard(const model::Site& site);

  bool serves() const { return ups_id_ > 0; }
  // Brings the table to this step; a step not newer than the last one applied is ignored (the
  // subagent and the notifier both feed it).
  void update(const engine::StepBundle& bundle);
  // The same from a present set (tests, and update() itself).
  void apply(std::uint64_t step, const std::map<UpsWellKnownAlarm, std::int64_t>& present);

  std::vector<UpsAlarmRow> rows() const;  // by id
  // Changes after `seq`, oldest first (the newest 1,024 are kept).
  std::vector<UpsAlarmChange> changes_after(std::uint64_t seq) const;
  std::uint64_t last_seq() const;

 private:
  int ups_id_ = 0;
  mutable std::mutex mutex_;
  std::uint64_t last_step_ = 0;
  bool applied_ = false;
  std::uint32_t next_id_ = 1;
  std::vector<UpsAlarmRow> rows_;
  std::deque<UpsAlarmChange> changes_;
  std::uint64_t next_seq_ = 1;
};

}  // namespace btms::notify
