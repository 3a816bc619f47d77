#include "engine/protection.hpp"

#include "model/ids.hpp"

namespace btms::engine {

using model::EventKind;
using model::ProtectionState;
using model::Severity;

Protection::Protection(ProtectionConfig config) : config_(std::move(config)) {}

model::Event Protection::event(EventKind kind, Severity sev, std::string text,
                               std::int64_t now_ms) const {
  model::Event e;
  e.time_ms = now_ms;
  e.kind = kind;
  e.severity = sev;
  e.source = model::string_id(config_.string_id);
  e.text = std::move(text);
  return e;
}

void Protection::open(ProtectionOutput& out) {
  commanded_closed_ = false;
  if (config_.disconnect_relay)
    out.commands.emplace_back(model::SetRelay{*config_.disconnect_relay, false});
}

ProtectionOutput Protection::step(const ProtectionInputs& in, std::int64_t now_ms) {
  ProtectionOutput out;
  cause_now_ = in.trip_cause;
  cause_awaits_ack_only_ = in.trip_cause && in.cause_awaits_ack_only;
  cause_text_ = in.cause_text;
  feedback_closed_ = in.feedback_closed;
  const auto name = "String " + std::to_string(config_.string_id);
  const auto no_relay = config_.disconnect_relay
                            ? std::string()
                            : " (no disconnect relay configured: open it by hand)";

  switch (state_) {
    case ProtectionState::closed:
    case ProtectionState::held_last_string:
      if (!in.trip_cause) {
        if (state_ == ProtectionState::held_last_string) {
          state_ = ProtectionState::closed;
          out.events.push_back(
              event(EventKind::note, Severity::warning,
                    name + ": held trip released, cause gone (" + in.cause_text + ")", now_ms));
        }
        break;
      }
      if (in.last_closed && !in.fatal) {
        if (state_ != ProtectionState::held_last_string) {
          state_ = ProtectionState::held_last_string;
          out.events.push_back(event(
              EventKind::note, Severity::trip,
              name + ": TRIP HELD, last closed string of its UPS stays connected: " + in.cause_text,
              now_ms));
        }
        break;
      }
      state_ = ProtectionState::tripped;
      open(out);
      out.events.push_back(event(
          EventKind::string_tripped, Severity::trip,
          in.last_closed
              ? "!!! " + name + " OPENED ALTHOUGH IT IS THE LAST CLOSED STRING OF ITS UPS: FATAL " +
                    in.cause_text + " - THE UPS HAS NO BATTERY BACKUP !!!" + no_relay
              : name + " tripped (opened): " + in.cause_text + no_relay,
          now_ms));
      break;
    case ProtectionState::tripped:
    case ProtectionState::manual_open:
      break;  // latched: only reset() leaves these
  }

  // Feedback mismatch: the contactor does not follow the command within the delay.
  const bool differs = in.feedback_closed.has_value() && *in.feedback_closed != commanded_closed_;
  if (!differs) {
    mismatch_since_ms_.reset();
    mismatch_ = false;
  } else {
    if (!mismatch_since_ms_) mismatch_since_ms_ = now_ms;
    if (!mismatch_ && now_ms - *mismatch_since_ms_ >= config_.mismatch_delay_ms) {
      mismatch_ = true;
      out.events.push_back(event(EventKind::relay_mismatch, Severity::alarm,
                                 name + " contactor feedback " +
                                     (*in.feedback_closed ? "closed" : "open") + " but commanded " +
                                     (commanded_closed_ ? "closed" : "open"),
                                 now_ms));
    }
  }
  return out;
}

std::optional<std::string> Protection::open_manually(const std::string& user,
                                                     const std::string& reason, bool last_closed,
                                                     std::int64_t now_ms, ProtectionOutput& out) {
  const auto name = "string " + std::to_string(config_.string_id);
  if (reason.empty()) return "a reason is required to open a string";
  if (state_ == ProtectionState::tripped || state_ == ProtectionState::manual_open ||
      !commanded_closed_) {
    return name + " is already open";
  }
  if (last_closed) {
    return name +
           " is the last closed string of its UPS; opening it would leave the UPS "
           "without battery backup";
  }
  state_ = ProtectionState::manual_open;
  open(out);
  mismatch_since_ms_.reset();
  mismatch_ = false;
  auto e =
      event(EventKind::note, Severity::warning,
            "String " + std::to_string(config_.string_id) + " opened by " + user + ": " + reason +
                (config_.disconnect_relay ? std::string()
                                          : " (no disconnect relay configured: open it by hand)"),
            now_ms);
  e.user = user;
  out.events.push_back(std::move(e));
  return std::nullopt;
}

std::optional<std::string> Protection::reset(const std::string& user, const std::string& reason,
                                             std::int64_t now_ms, ProtectionOutput& out) {
  if (reason.empty()) return "a reason is required to reset a string";
  if (state_ != ProtectionState::tripped && state_ != ProtectionState::manual_open) {
    return "string " + std::to_string(config_.string_id) + " is not tripped";
  }
  if (cause_awaits_ack_only_) {
    return "the cause of the trip is gone but its alarm is not acknowledged yet: acknowledge it "
           "first, then reset (" +
           cause_text_ + ")";
  }
  if (cause_now_) {
    return cause_text_.empty()
               ? "the cause of the trip persists; reconnect refused"
               : "the cause of the trip persists (" + cause_text_ + "); reconnect refused";
  }
  state_ = ProtectionState::closed;
  commanded_closed_ = true;
  mismatch_since_ms_.reset();
  mismatch_ = false;
  if (config_.disconnect_relay)
    out.commands.emplace_back(model::SetRelay{*config_.disconnect_relay, true});
  auto e = event(
      EventKind::string_reset, Severity::info,
      "String " + std::to_string(config_.string_id) + " reset by " + user + ": " + reason, now_ms);
  e.user = user;
  out.events.push_back(e);
  auto r = event(EventKind::string_reconnected, Severity::info,
                 "String " + std::to_string(config_.string_id) + " reconnect commanded", now_ms);
  r.user = user;
  out.events.push_back(std::move(r));
  return std::nullopt;
}

}  // namespace btms::engine
