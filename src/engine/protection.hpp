// String protection: opens a string's disconnect relay on a trip, latches until an operator
// resets it with a reason, never opens the last closed string of a UPS unless the fault is fatal
// (thermal runaway), and watches the contactor feedback. Pure state machine per string: the
// engine feeds it the facts each step and forwards the commands and events it returns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/commands.hpp"
#include "model/derived_channels.hpp"
#include "model/events.hpp"

namespace btms::engine {

struct ProtectionConfig {
  int string_id = 0;
  std::optional<model::IoPoint> disconnect_relay;  // energized = closed; released = open
  std::int64_t mismatch_delay_ms = 2000;           // feedback may lag the command this long
};

struct ProtectionInputs {
  bool trip_cause = false;   // a trip-severity alarm is active on the string (or a battery of it)
  bool fatal = false;        // the cause is fatal (thermal runaway): open even the last string
  bool last_closed = false;  // no other string of the same UPS is closed
  std::string cause_text;    // what the cause is, for the event text
  std::optional<bool> feedback_closed;  // contactor feedback, nullopt when none or not readable
  // Every trip alarm behind trip_cause is latched with its condition gone and only waits for an
  // acknowledgement: a reset is still refused, but the refusal must say "acknowledge first",
  // not that the cause persists (the operator would look for a fault that is no longer there).
  bool cause_awaits_ack_only = false;
};

struct ProtectionOutput {
  std::vector<model::Command> commands;
  std::vector<model::Event> events;  // id and time are filled; the engine renumbers ids
};

class Protection {
 public:
  explicit Protection(ProtectionConfig config);

  ProtectionOutput step(const ProtectionInputs& in, std::int64_t now_ms);
  // Operator reset of a latched trip. Refused (returns the reason) when no reason is given, when
  // the string is not tripped, or while the cause persists (as of the last step); when the cause
  // is gone but its latched alarm is not acknowledged yet, the reason says to acknowledge first.
  std::optional<std::string> reset(const std::string& user, const std::string& reason,
                                   std::int64_t now_ms, ProtectionOutput& out);

  // Operator opens the string (maintenance): state manual_open until reset(). Refused (returns
  // the reason) without a reason, when already open, or when it is the last closed string of
  // its UPS (last_closed: no other string of the UPS is closed).
  std::optional<std::string> open_manually(const std::string& user, const std::string& reason,
                                           bool last_closed, std::int64_t now_ms,
                                           ProtectionOutput& out);
  // After a restart, when the event log shows the string tripped and not reset: tripped again,
  // relay commanded open, without a new event.
  void restore_tripped(ProtectionOutput& out) {
    state_ = model::ProtectionState::tripped;
    open(out);
  }
  void set_mismatch_delay(std::int64_t delay_ms) { config_.mismatch_delay_ms = delay_ms; }

  model::ProtectionState state() const { return state_; }
  bool commanded_closed() const { return commanded_closed_; }
  bool relay_mismatch() const { return mismatch_; }
  // Closed as far as the UPS is concerned: commanded closed and not fed back open.
  bool closed_for_ups() const { return commanded_closed_ && feedback_closed_.value_or(true); }

 private:
  model::Event event(model::EventKind kind, model::Severity sev, std::string text,
                     std::int64_t now_ms) const;
  void open(ProtectionOutput& out);

  ProtectionConfig config_;
  model::ProtectionState state_ = model::ProtectionState::closed;
  bool commanded_closed_ = true;
  bool cause_now_ = false;
  bool cause_awaits_ack_only_ = false;
  std::string cause_text_;
  bool mismatch_ = false;
  std::optional<bool> feedback_closed_;
  std::optional<std::int64_t> mismatch_since_ms_;
};

}  // namespace btms::engine
