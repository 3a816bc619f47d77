#include "model/events.hpp"

namespace btms::model {

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::alarm:
      return "alarm";
    case Severity::trip:
      return "trip";
  }
  return "unknown";
}

std::string_view to_string(EventKind kind) {
  using K = EventKind;
  switch (kind) {
    case K::alarm_raised:
      return "alarm_raised";
    case K::alarm_cleared:
      return "alarm_cleared";
    case K::alarm_acknowledged:
      return "alarm_acknowledged";
    case K::string_tripped:
      return "string_tripped";
    case K::string_reset:
      return "string_reset";
    case K::string_reconnected:
      return "string_reconnected";
    case K::relay_mismatch:
      return "relay_mismatch";
    case K::discharge_started:
      return "discharge_started";
    case K::discharge_ended:
      return "discharge_ended";
    case K::note:
      return "note";
    case K::config_changed:
      return "config_changed";
  }
  return "unknown";
}

}  // namespace btms::model
