// Events the engine emits (alarm raised / cleared / acknowledged, trips, resets, discharges,
// configuration changes)
// for the event log, the web stream, history, SCADA and cloud. Consumers receive copies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace btms::model {

enum class Severity : std::uint8_t { info = 0, warning = 1, alarm = 2, trip = 3 };

enum class EventKind : std::uint8_t {
  alarm_raised,
  alarm_cleared,
  alarm_acknowledged,
  string_tripped,  // protection opened a string
  string_reset,    // operator reset a latched trip (reason in text)
  string_reconnected,
  relay_mismatch,
  discharge_started,
  discharge_ended,
  note,            // anything else worth logging (start-up, protection notes)
  config_changed,  // an operator replaced limits and timings (user, address and version in text)
};

// As the API, the stream, the cloud and the history spell them: "info", "warning", "alarm",
// "trip"; "alarm_raised", "string_tripped", ...
std::string_view to_string(Severity severity);
std::string_view to_string(EventKind kind);

struct Event {
  std::uint64_t id = 0;      // unique, increasing
  std::int64_t time_ms = 0;  // Unix epoch ms
  EventKind kind = EventKind::note;
  Severity severity = Severity::info;
  std::string source;  // ID of what it is about: battery/3/17, string/3, mc/input/2, ...
  std::string rule;    // alarm rule name, e.g. battery_voltage_high ("" when not an alarm)
  std::string text;    // human-readable, e.g. "Battery 3/17 voltage high: 14.62 V > 14.40 V"
  std::string user;    // who acknowledged / reset ("" for the system)
  double value = 0.0;  // the measured value that caused it, when there is one
};

}  // namespace btms::model
