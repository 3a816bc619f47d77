// Writes the engine's events (alarm raised / cleared / acknowledged, trips, resets, discharges,
// configuration changes) as log lines with their fields, so that the journal can be searched
// by them: `journalctl -u btms-gateway BTMS_STRING=3 BTMS_RULE=battery_voltage_high`.
//
// A consumer of the event log like the others, on a thread of its own: the engine appends and
// never waits for it, and this thread hands each line to the asynchronous logger, whose own
// thread talks to the journal (ops/journal_sink.hpp).
//
// Fields: BTMS_EVENT (alarm_raised, alarm_cleared, string_tripped, ... as the API spells them),
// BTMS_SEVERITY, BTMS_SOURCE (battery/3/17), BTMS_STRING and BTMS_BATTERY (the position in the
// string) when the source names them, BTMS_RULE for alarms, BTMS_VALUE with its unit ("14.620
// V") for an alarm rule that measures, BTMS_USER for an operator's action, BTMS_EVENT_ID.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <spdlog/logger.h>

#include "engine/append_log.hpp"
#include "model/events.hpp"
#include "ops/log_fields.hpp"

namespace btms::engine {

// The journal fields of one event (see above).
ops::LogFields event_fields(const model::Event& event);
// The line's text, "event 41: battery/3/17 Battery 3/17 voltage ...": the form events have
// always been logged in, so that the journal and a terminal read the same.
std::string event_line(const model::Event& event);
// How loud: a raised alarm, a trip or a relay mismatch at its severity (trip critical, alarm
// error, warning warning); everything else, clears and acknowledgements included, info.
spdlog::level::level_enum event_level(const model::Event& event);

class EventLogger {
 public:
  // Logs the events appended to `log` from now on, through `logger` (the default logger when
  // null).
  explicit EventLogger(const std::shared_ptr<const AppendLog<model::Event>>& log,
                       std::shared_ptr<spdlog::logger> logger = nullptr);
  ~EventLogger();  // stops the thread
  EventLogger(const EventLogger&) = delete;
  EventLogger& operator=(const EventLogger&) = delete;

  void start();
  void stop();  // logs what the log holds by then, then returns

 private:
  void loop();
  void drain();

  LogCursor<model::Event> cursor_;
  std::shared_ptr<spdlog::logger> logger_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace btms::engine
