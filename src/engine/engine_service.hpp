// The engine's face towards its consumers (web API, SCADA writes, HMI): thread-safe reads of
// what the engine published after its latest step, and operator actions queued for the engine
// thread. Nothing here ever makes the engine wait: reads take a published copy, actions are
// queued and carried out between two steps. Served by EngineRunner (engine_runner.hpp).
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/engine_config.hpp"
#include "model/discharge_record.hpp"
#include "model/events.hpp"

namespace btms::engine {

struct ActiveAlarm {
  std::string key;     // "<source>:<rule>", e.g. battery/3/17:battery_temperature_alarm
  std::string source;  // battery/3/17, string/3, mc/input/2, mc
  std::string rule;
  std::string text;  // as in the raising event: "Battery 3/17 temperature high: 47.1 °C > 45 °C"
  model::Severity severity = model::Severity::alarm;
  std::int64_t since_ms = 0;
  bool acknowledged = false;
  std::string acknowledged_by;  // "" until acknowledged
  std::int64_t acknowledged_ms = 0;
  bool waiting_for_ack = false;  // latched, condition gone, needs an acknowledgement
  double value = 0.0;            // last good value the rule saw (the current value)
  double raised_value = 0.0;     // the value that raised it
  std::string unit;              // of value, raised_value and limit; "" for flags and inputs
  std::optional<double> limit;   // the limit it is judged against; none for flags and inputs
};

// What became of an action, for callers to branch on (HTTP status, Modbus exception) without
// matching the text.
enum class ActionStatus : std::uint8_t {
  done,            // carried out (ok = true)
  refused,         // the engine refused it (cause persists, reason missing, bad value, ...)
  not_found,       // unknown alarm key, string or battery
  engine_stopped,  // no engine running to carry it out
};

struct ActionResult {
  bool ok = false;
  std::string message;  // why it was refused, or what was done (for people, not for matching)
  ActionStatus status = ActionStatus::refused;  // set by the engine runner for every answer
  // Newest event id once the action's events were published (0 = no event yet); a caller
  // that must answer only once they are durable waits for it in EventDurability.
  std::uint64_t event_id = 0;
};

// Who asks, for the event log and the audit: a user name and where the request came from.
struct Actor {
  std::string user;
  std::string address;  // "192.0.2.7", "scada 10.0.0.5", "console"
};

// Operator actions. Each is checked by the engine against the state of its latest step.
struct AcknowledgeAlarm {
  std::string alarm_key;  // ActiveAlarm::key; "*" = every unacknowledged alarm
  std::string comment;
};
struct AcknowledgeAlarmsOf {  // every unacknowledged alarm whose source is or is under `source`
  std::string source;         // "string/3" takes string/3 and battery/3/*; "" = the whole site
  std::string comment;
};
struct ResetString {  // reset a latched trip (or a manual open) and reconnect the string
  int string_id = 0;
  std::string reason;  // required
};
struct OpenString {  // operator opens a string's disconnect relay (maintenance)
  int string_id = 0;
  std::string reason;  // required
};
struct ResetResistanceBaseline {  // after a battery replacement: learn its baseline anew
  int string_id = 0;
  int position = 0;  // 0 = every battery of the string
};
struct ReplaceConfig {  // new limits and timings, already validated (engine/config_fields.hpp)
  EngineConfig config;
};
// A condition outside the engine's own inputs that must be alarmed like any other, e.g. the
// history store falling behind or its disk filling up. Raised while active, cleared when not.
struct SetSystemCondition {
  std::string source;  // "history", "cloud", ...
  std::string rule;    // "history_disk_low", "history_falling_behind"
  bool active = false;
  model::Severity severity = model::Severity::warning;
  std::string text;
};

// The history store has committed a finished discharge: the engine stops listing it among the
// discharges awaiting storage, so a reader never sees a discharge vanish between its end and its
// storage.
struct DischargeStored {
  int string_id = 0;
  std::int64_t start_ms = 0;
};

using Action =
    std::variant<AcknowledgeAlarm, AcknowledgeAlarmsOf, ResetString, OpenString,
                 ResetResistanceBaseline, ReplaceConfig, SetSystemCondition, DischargeStored>;

struct AlarmList {
  std::int64_t time_ms = 0;  // the step that produced it
  std::vector<ActiveAlarm> alarms;
};

class EngineService {
 public:
  virtual ~EngineService() = default;

  // Active alarms (and latched ones waiting for acknowledgement) as of the latest step. Never
  // null: an empty list before the first step.
  virtual std::shared_ptr<const AlarmList> alarms() const = 0;
  // Events with id > after_id that are still in the recent-event ring (the newest 1024), oldest
  // first, at most `limit`. The full log is in the history store.
  virtual std::vector<model::Event> events_after(std::uint64_t after_id,
                                                 std::size_t limit) const = 0;
  // Discharges running now (end_ms = 0), one per discharging string, followed by those that
  // ended and are not yet committed to the history store (end_ms set).
  virtual std::vector<model::DischargeRecord> running_discharges() const = 0;
  virtual EngineConfig config() const = 0;

  // Queues the action for the engine thread and returns at once. The future becomes ready
  // after the engine has carried it out (within one engine cycle), with ok=false, a status and
  // the reason when refused; status engine_stopped when the engine is not running. The engine
  // never waits for the disk: durability of the action's events is EventDurability's business.
  virtual std::future<ActionResult> submit(Action action, Actor who) = 0;
};

}  // namespace btms::engine
