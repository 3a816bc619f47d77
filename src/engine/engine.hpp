// The monitoring engine: reads a plant snapshot, evaluates every alarm rule, runs string
// protection, equalization and estimation, and returns the derived snapshot plus the commands
// and events of this step.
// Derived values: battery SOC is its string's SOC (coulomb counting is per string); battery SOH
// is 100 − 40 × (R / R_ref − 1) %, R_ref = the type's new resistance or the learned baseline
// (+50 % resistance = 80 % SOH, the replacement point); channels not computable this step carry
// Quality::invalid. Not thread-safe: one thread (the engine loop) calls step(),
// acknowledge() and reset_string(); other threads read the published derived snapshots.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine_config.hpp"
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
};

struct ActiveAlarm {
  std::string key;     // "<source>:<rule>", e.g. battery/3/17:battery_temperature_alarm
  std::string source;  // battery/3/17, string/3, mc/input/2, mc
  std::string rule;
  model::Severity severity = model::Severity::alarm;
  std::int64_t since_ms = 0;
  bool acknowledged = false;
  bool waiting_for_ack = false;  // latched, condition gone, needs an acknowledgement
  double value = 0.0;            // last good value the rule saw
};

struct ActionResult {
  bool ok = false;
  std::string message;  // why it was refused, or what was done
};

class Engine {
 public:
  // Keeps its own copies of site and plant. Throws std::invalid_argument when a string names an
  // unknown battery type or has no channels.
  Engine(const model::Site& site, const model::PlantChannels& plant, EngineConfig config = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Events and commands of acknowledge()/reset_string() calls made since the last step come out
  // first in the next step's output.
  EngineOutput step(const model::Snapshot& plant, std::int64_t now_ms);

  std::shared_ptr<const model::ChannelDirectory> derived_channels() const;

  ActionResult acknowledge(std::string_view alarm_key, const std::string& user,
                           std::int64_t now_ms);
  // Refused with a reason while the cause persists, without a reason, or when not tripped.
  ActionResult reset_string(int string_id, const std::string& user, const std::string& reason,
                            std::int64_t now_ms);
  std::vector<ActiveAlarm> active_alarms() const;

  // Forget the learned resistance baseline (after a battery replacement); position 0 = all.
  void reset_resistance_baseline(int string_id, int position);
  model::ProtectionState protection_state(int string_id) const;
  std::optional<DischargeRecord> last_discharge(int string_id) const;
  void set_equalization_strategy(std::unique_ptr<EqualizationStrategy> strategy);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace btms::engine
