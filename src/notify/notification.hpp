// One message to one recipient, as the router decides it: which alarms of which incident, and
// why it is sent now. The texts are filled by message_text.cpp; channels turn it into mail or
// webhook JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/events.hpp"

namespace btms::notify {

struct NotifiedAlarm {
  std::string key;     // "<source>:<rule>", the engine's alarm key
  std::string source;  // battery/3/17, string/3, mc/input/2, ...
  std::string rule;
  std::string text;  // the engine's raise text: what, value with unit, limit
  model::Severity severity = model::Severity::alarm;
  double value = 0.0;
  std::int64_t raised_ms = 0;
  std::int64_t cleared_ms = 0;  // 0 while active
  bool active = true;
  bool acknowledged = false;
  std::string acknowledged_by;
};

// A change of UPS-MIB's alarm table (upsAlarmTable), sent as upsTrapAlarmEntryAdded / Removed
// to SNMP recipients with mib = "ups" or "both".
struct UpsAlarmNotice {
  bool added = true;             // false: the row was removed
  std::uint32_t id = 0;          // upsAlarmId
  std::uint32_t well_known = 0;  // upsWellKnownAlarms sub-identifier (upsAlarmDescr)
  std::int64_t since_ms = 0;
};

enum class Reason : std::uint8_t {
  first,       // the incident's first message to this recipient
  update,      // alarms were added to or cleared in an incident already told
  repeat,      // nothing changed, still unacknowledged after the repeat interval
  escalation,  // first message to a tier > 1 recipient: nobody acknowledged in time
  recovery,    // every alarm the recipient was told about has cleared
};
const char* reason_name(Reason reason);

struct Notification {
  std::string recipient;
  int tier = 1;
  std::string group;  // the incident: string/3, or the source itself outside strings
  Reason reason = Reason::first;
  std::vector<NotifiedAlarm> alarms;  // active ones first (most severe first), then cleared
  std::int64_t time_ms = 0;           // when it was decided (router clock)
  std::string subject;
  std::string text;   // plain-text body
  std::string html;   // HTML body
  bool test = false;  // "send test message"
  // Unique per message, kept with it across a restart: a receiver that sees the same id twice
  // (a crash between the server's answer and the outbox row's removal) drops the second copy.
  // "btms-<16 hex digits>"; set when the message is queued.
  std::string message_id;
  // Sent after a restart: decided (time_ms) before the gateway stopped, not delivered then.
  bool late = false;
  std::optional<UpsAlarmNotice> ups_alarm;  // set: this message is that change, nothing else

  int active_count() const;
  model::Severity worst_active() const;  // info when none is active
};

}  // namespace btms::notify
