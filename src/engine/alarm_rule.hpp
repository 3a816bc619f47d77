// One alarm rule instance: a limit with hysteresis, on/off delays, event-count debounce in both
// directions and optional latching (foxBMS diagnosis table, LibreSolar limit + reset + delay).
// Pure: time comes in as an argument, nothing here reads a clock or allocates per update.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "model/events.hpp"
#include "model/snapshot.hpp"

namespace btms::engine {

enum class Direction : std::uint8_t { high, low };

struct AlarmRuleConfig {
  std::string name;  // e.g. battery_voltage_high
  model::Severity severity = model::Severity::alarm;
  Direction direction = Direction::high;
  // high: out of limit when value > limit, back in limit when value <= reset (reset <= limit).
  // low:  out of limit when value < limit, back in limit when value >= reset (reset >= limit).
  // Values between reset and limit are the hysteresis band: they neither raise nor clear.
  double limit = 0.0;
  double reset = 0.0;
  std::int64_t on_delay_ms = 0;    // out of limit this long (and debounce met) before raising
  std::int64_t off_delay_ms = 0;   // back in limit this long (and debounce met) before clearing
  int debounce_count = 1;          // consecutive good readings needed, in both directions
  bool latching = false;           // stays active until acknowledged AND condition cleared
  bool boolean_condition = false;  // fed 1/0 by the caller: reports say no value or limit
};

enum class AlarmState : std::uint8_t { normal, pending_on, active, pending_off };
enum class Transition : std::uint8_t { none, raised, cleared };

// Bad readings (no value, or quality other than ok) never raise or clear: they reset the
// consecutive-reading counters and abandon a pending transition (pending_on -> normal,
// pending_off -> active), so a raise needs debounce_count consecutive GOOD out-of-limit readings
// and a clear needs debounce_count consecutive GOOD in-limit readings. A sensor that stops
// answering therefore keeps an active alarm active (it is reported by its own comm_lost alarm).
class AlarmRule {
 public:
  // Throws std::invalid_argument when the configuration is inconsistent.
  explicit AlarmRule(std::shared_ptr<const AlarmRuleConfig> config);

  Transition update(std::optional<double> value, model::Quality quality, std::int64_t now_ms);
  // Acknowledges the alarm; returns cleared when that releases a latched alarm whose condition
  // has already gone. Acknowledging a normal rule does nothing.
  Transition acknowledge();
  // Swaps the limits and timings (set_config) and keeps the state: an active alarm stays active
  // and is judged against the new limits from the next update on.
  void reconfigure(std::shared_ptr<const AlarmRuleConfig> config);
  // Puts the rule back into an alarm it had before a restart (from the event log): active since
  // since_ms, with its acknowledgement; waiting_for_ack = latched and its condition already gone.
  void restore_active(std::int64_t since_ms, double value, bool acknowledged, bool waiting_for_ack);

  const AlarmRuleConfig& config() const { return *config_; }
  AlarmState state() const { return state_; }
  // Raised and not yet cleared (active or pending_off).
  bool is_active() const {
    return state_ == AlarmState::active || state_ == AlarmState::pending_off;
  }
  bool acknowledged() const { return acknowledged_; }
  // Latched alarm whose condition has cleared but which waits for an acknowledgement.
  bool waiting_for_ack() const { return condition_cleared_; }
  double last_value() const { return last_value_; }    // last good value seen
  std::int64_t since_ms() const { return since_ms_; }  // when the current state was entered

 private:
  bool out_of_limit(double v) const;
  bool in_limit(double v) const;
  Transition enter_normal(std::int64_t now_ms);

  std::shared_ptr<const AlarmRuleConfig> config_;
  AlarmState state_ = AlarmState::normal;
  bool acknowledged_ = false;
  bool condition_cleared_ = false;
  int count_ = 0;              // consecutive good readings in the direction being confirmed
  std::int64_t first_ms_ = 0;  // time of the first of those readings
  std::int64_t since_ms_ = 0;
  double last_value_ = 0.0;
};

std::string_view to_string(AlarmState state);

}  // namespace btms::engine
