// The alarm board: every alarm slot of the site (the rule table's rows per battery and string,
// digital inputs, the MC watchdog, system conditions), keyed "<source>:<rule>". Feeds the rules,
// turns transitions into numbered events with plain texts, acknowledges, restores the board
// from the event log after a restart, and sums up the board for status and alarm outputs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/alarm_rule.hpp"
#include "engine/engine_service.hpp"
#include "engine/rule_table.hpp"
#include "model/events.hpp"

namespace btms::engine {

struct AlarmSlot {
  AlarmRule rule;
  std::string source;
  std::string key;
  std::string text;              // inputs, system conditions, mismatch: the condition's text
  const RuleRow* row = nullptr;  // nullptr for inputs and system conditions
  bool system = false;           // set_system_condition()
  std::string raised_text;       // text of the raising event
  double raised_value = 0.0;     // the value that raised it (the text's number)
  std::string acknowledged_by;
  std::int64_t acknowledged_ms = 0;

  bool fatal() const { return row != nullptr && row->fatal; }
  bool ventilation() const { return row != nullptr && row->ventilation; }
};

struct BoardSummary {
  int active = 0;
  int unacknowledged = 0;
  bool any_alarm = false;  // severity alarm or trip
  bool any_warning = false;
  bool any_trip = false;
  bool ventilation = false;
};

class AlarmBoard {
 public:
  explicit AlarmBoard(std::uint64_t first_event_id) : next_event_id_(first_event_id) {}

  void reserve(std::size_t slots);
  std::size_t add(std::shared_ptr<const AlarmRuleConfig> config, std::string source,
                  const RuleRow* row, std::string text = {});
  AlarmSlot& slot(std::size_t index) { return slots_[index]; }
  const AlarmSlot& slot(std::size_t index) const { return slots_[index]; }
  const std::vector<AlarmSlot>& slots() const { return slots_; }
  std::optional<std::size_t> find(const std::string& key) const;

  void feed(std::size_t index, std::optional<double> value, model::Quality quality,
            std::int64_t now_ms, std::vector<model::Event>& out);
  void feed_flag(std::size_t index, bool condition, std::int64_t now_ms,
                 std::vector<model::Event>& out) {
    feed(index, condition ? 1.0 : 0.0, model::Quality::ok, now_ms, out);
  }

  model::Event make_event(model::EventKind kind, model::Severity severity, std::int64_t now_ms,
                          std::string source, std::string rule, std::string text,
                          double value = 0.0, std::string user = {});
  // Gives events made elsewhere (protection) their ids.
  void number(model::Event& event) { event.id = next_event_id_++; }
  std::uint64_t next_event_id() const { return next_event_id_; }
  void continue_ids_after(std::uint64_t id) { next_event_id_ = std::max(next_event_id_, id + 1); }

  // false when not active or already acknowledged.
  bool acknowledge(std::size_t index, const std::string& user, const std::string& comment,
                   std::int64_t now_ms, std::vector<model::Event>& out);
  ActionResult acknowledge_key(std::string_view key, const std::string& user,
                               const std::string& comment, std::int64_t now_ms,
                               std::vector<model::Event>& out);
  // Every unacknowledged alarm whose source passes `under`; returns how many.
  int acknowledge_where(const std::function<bool(const std::string&)>& under,
                        const std::string& user, const std::string& comment, std::int64_t now_ms,
                        std::vector<model::Event>& out);
  void system_condition(const std::string& source, const std::string& rule, bool active,
                        model::Severity severity, const std::string& text, std::int64_t now_ms,
                        std::vector<model::Event>& out);
  // Alarms the log shows raised and not cleared come back, acknowledgement included; system
  // conditions are left to their owners. Event ids continue after the log's largest.
  void restore(const std::vector<model::Event>& log);

  std::vector<ActiveAlarm> active_alarms() const;
  BoardSummary summary() const;
  // Alarm bits of a block of rule-table slots; alarm_level = one of them of severity >= alarm.
  std::uint16_t bits(std::size_t first, std::span<const RuleRow> rows, bool& alarm_level) const;

 private:
  void emit(AlarmSlot& slot, Transition transition, std::int64_t now_ms,
            std::vector<model::Event>& out);

  std::vector<AlarmSlot> slots_;
  std::unordered_map<std::string, std::size_t> by_key_;
  std::uint64_t next_event_id_;
};

}  // namespace btms::engine
