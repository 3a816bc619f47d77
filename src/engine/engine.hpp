// The monitoring engine: reads a plant snapshot, evaluates every alarm rule, runs string
// protection, equalization and estimation, and returns the derived snapshot plus the commands
// and events of this step.
// A step runs named stages in order (engine.cpp): facts (battery_facts.hpp, string_facts.hpp,
// the string's state and charge) -> alarms (rule_table.hpp rows on the alarm_board.hpp) ->
// protection -> equalization -> estimation and publication (engine_publish.cpp).
// Derived values: battery SOC is its string's SOC (coulomb counting is per string); battery SOH
// is the lower of 100 − 40 × (R / R_ref − 1) %, R_ref = the type's new resistance or the
// learned baseline (+50 % resistance = 80 % SOH, the replacement point), and the capacity the
// string's latest qualifying discharge measured (engine_config.hpp StringLimits: started full,
// at most 0.25 C10, down to 1.80 V/cell, scaled to C10 by model/battery_rating.hpp); channels
// not computable this step carry Quality::invalid, and a derived value carries the worst
// quality of its inputs (a battery whose sensor is comm_lost publishes SOC, status and alarm
// bits as comm_lost). Alarm outputs (EngineConfig::alarm_outputs) come out as SetRelay
// commands when their state changes. Float alarms are suppressed for one window after a
// resistance test, seen as a changed resistance reading. Not thread-safe: one thread (the
// engine loop) calls every method; other threads read the published derived snapshots.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine_config.hpp"
#include "engine/engine_service.hpp"
#include "engine/equalization.hpp"
#include "engine/estimation.hpp"
#include "model/commands.hpp"
#include "model/derived_channels.hpp"
#include "model/events.hpp"
#include "model/plant_channels.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::engine {

struct EngineOutput {
  std::shared_ptr<const model::Snapshot> derived;  // channels of derived_channels()
  std::vector<model::Command> commands;
  std::vector<model::Event> events;
  std::vector<model::DischargeRecord> finished_discharges;  // discharges that ended this step
};

class Engine {
 public:
  // Keeps its own copies of site and plant. Throws std::invalid_argument when a string names an
  // unknown battery type or has no channels.
  Engine(const model::Site& site, const model::PlantChannels& plant, EngineConfig config = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Events and commands of the actions (acknowledge, reset_string, open_string,
  // set_system_condition, restore) made since the last step come out first in the next step's
  // output.
  EngineOutput step(const model::Snapshot& plant, std::int64_t now_ms);
  // The events and commands of the actions carried out since the last step, now, without a step
  // (derived stays null): an acknowledgement is logged and a reconnect commanded even while no
  // new snapshot arrives, e.g. right before a shutdown.
  EngineOutput take_action_output();

  std::shared_ptr<const model::ChannelDirectory> derived_channels() const;

  // alarm_key "*" = every unacknowledged alarm. The comment goes into the event text.
  ActionResult acknowledge(std::string_view alarm_key, const std::string& user, std::int64_t now_ms,
                           const std::string& comment = "");
  // Every unacknowledged alarm whose source is `source` or lies under it ("string/3" takes
  // string/3 and battery/3/*; "" = all).
  ActionResult acknowledge_all_of(std::string_view source, const std::string& user,
                                  const std::string& comment, std::int64_t now_ms);
  // Refused with a reason while the cause persists, without a reason, or when not tripped.
  ActionResult reset_string(int string_id, const std::string& user, const std::string& reason,
                            std::int64_t now_ms);
  // Operator opens a string (ProtectionState::manual_open); needs a reason; refused for the last
  // closed string of its UPS.
  ActionResult open_string(int string_id, const std::string& user, const std::string& reason,
                           std::int64_t now_ms);
  // Replaces limits and timings from the next step on. Every rule is keyed by source and name
  // and the set of rules follows the topology, so every alarm keeps its state (active,
  // acknowledged, latched) and is judged against the new limits from the next step. Alarm
  // outputs dropped from the list are released (SetRelay off) at the next step.
  // first_event_id is ignored (ids never go back). Throws std::invalid_argument when an alarm
  // output does not fit the site (validate with config_fields.hpp first).
  void set_config(const EngineConfig& config);
  const EngineConfig& config() const;
  // An outside condition (history disk low, ...) alarmed like any rule, key "<source>:<rule>":
  // raised at once while active (event in the next step), cleared when reported inactive.
  // Ignored for the engine's own rule keys.
  void set_system_condition(const std::string& source, const std::string& rule, bool active,
                            model::Severity severity, const std::string& text, std::int64_t now_ms);
  // An event that is no alarm transition (a configuration change carried out by the runner):
  // given the next id and sent with the next step's (or action's) output.
  void record_event(model::Event event);
  // After a restart: alarms that the stored event log shows raised and not cleared (or latched
  // and not acknowledged) come back as they were, acknowledgement included, without new
  // events. Call before the first step; `log` in ascending time (the app passes the last days).
  // A string whose trip (string_tripped) was not reset stays tripped (its relay is commanded
  // open again, silently). System conditions are not restored: their owners report them again.
  // Event ids continue after the log's largest.
  void restore(const std::vector<model::Event>& log);
  std::vector<model::DischargeRecord> running_discharges() const;
  // Finished discharges (also in EngineOutput::finished_discharges of the step they ended in)
  // kept until the consumer that stores them says so with discharge_stored(): a reader that
  // lists running + awaiting never sees a discharge vanish between its end and its storage.
  // At most 8 per string are kept (the oldest go first).
  std::vector<model::DischargeRecord> discharges_awaiting_storage() const;
  void discharge_stored(int string_id, std::int64_t start_ms);
  std::vector<ActiveAlarm> active_alarms() const;

  // Forget the learned resistance baseline (after a battery replacement); position 0 = all.
  ActionResult reset_resistance_baseline(int string_id, int position);
  model::ProtectionState protection_state(int string_id) const;
  std::optional<DischargeRecord> last_discharge(int string_id) const;
  void set_equalization_strategy(std::unique_ptr<EqualizationStrategy> strategy);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace btms::engine
