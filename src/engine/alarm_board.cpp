#include "engine/alarm_board.hpp"

#include <algorithm>

#include "engine/alarm_text.hpp"

namespace btms::engine {

using model::Severity;

void AlarmBoard::reserve(std::size_t slots) {
  slots_.reserve(slots);
  by_key_.reserve(slots);
}

std::size_t AlarmBoard::add(std::shared_ptr<const AlarmRuleConfig> config, std::string source,
                            const RuleRow* row, std::string text) {
  auto key = source + ":" + config->name;
  by_key_.emplace(key, slots_.size());
  slots_.push_back(AlarmSlot{AlarmRule(std::move(config)), std::move(source), std::move(key),
                             std::move(text), row,
                             /*system=*/false,
                             /*raised_text=*/{},
                             /*raised_value=*/0.0,
                             /*acknowledged_by=*/{},
                             /*acknowledged_ms=*/0});
  return slots_.size() - 1;
}

std::optional<std::size_t> AlarmBoard::find(const std::string& key) const {
  const auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

model::Event AlarmBoard::make_event(model::EventKind kind, Severity severity, std::int64_t now_ms,
                                    std::string source, std::string rule, std::string text,
                                    double value, std::string user) {
  model::Event e;
  e.id = next_event_id_++;
  e.time_ms = now_ms;
  e.kind = kind;
  e.severity = severity;
  e.source = std::move(source);
  e.rule = std::move(rule);
  e.text = std::move(text);
  e.user = std::move(user);
  e.value = value;
  return e;
}

void AlarmBoard::emit(AlarmSlot& s, Transition tr, std::int64_t now_ms,
                      std::vector<model::Event>& out) {
  if (tr == Transition::none) return;
  const auto& c = s.rule.config();
  const bool raised = tr == Transition::raised;
  auto text = alarm_text(s.source, s.row, c, s.text, s.rule.last_value(), raised);
  if (raised) {
    s.raised_text = text;
    s.raised_value = s.rule.last_value();
    s.acknowledged_by.clear();
    s.acknowledged_ms = 0;
  }
  out.push_back(
      make_event(raised ? model::EventKind::alarm_raised : model::EventKind::alarm_cleared,
                 raised ? c.severity : Severity::info, now_ms, s.source, c.name, std::move(text),
                 s.rule.last_value()));
}

void AlarmBoard::feed(std::size_t index, std::optional<double> value, model::Quality quality,
                      std::int64_t now_ms, std::vector<model::Event>& out) {
  auto& s = slots_[index];
  emit(s, s.rule.update(value, quality, now_ms), now_ms, out);
}

bool AlarmBoard::acknowledge(std::size_t index, const std::string& user, const std::string& comment,
                             std::int64_t now_ms, std::vector<model::Event>& out) {
  auto& s = slots_[index];
  if (!s.rule.is_active() || s.rule.acknowledged()) return false;
  const auto tr = s.rule.acknowledge();
  s.acknowledged_by = user;
  s.acknowledged_ms = now_ms;
  std::string text =
      source_label(s.source) + " " + s.rule.config().name + " acknowledged by " + user;
  if (!comment.empty()) text += ": " + comment;
  out.push_back(make_event(model::EventKind::alarm_acknowledged, s.rule.config().severity, now_ms,
                           s.source, s.rule.config().name, std::move(text), s.rule.last_value(),
                           user));
  if (tr == Transition::cleared) emit(s, tr, now_ms, out);
  return true;
}

ActionResult AlarmBoard::acknowledge_key(std::string_view key, const std::string& user,
                                         const std::string& comment, std::int64_t now_ms,
                                         std::vector<model::Event>& out) {
  if (key == "*") {
    const int n =
        acknowledge_where([](const std::string&) { return true; }, user, comment, now_ms, out);
    return {true, std::to_string(n) + " alarm(s) acknowledged"};
  }
  const auto index = find(std::string(key));
  if (!index) return {false, "unknown alarm " + std::string(key), ActionStatus::not_found};
  auto& s = slots_[*index];
  if (!s.rule.is_active()) return {false, "alarm " + s.key + " is not active"};
  if (s.rule.acknowledged()) return {true, "alarm " + s.key + " was already acknowledged"};
  acknowledge(*index, user, comment, now_ms, out);
  return {true, "alarm " + s.key + " acknowledged"};
}

int AlarmBoard::acknowledge_where(const std::function<bool(const std::string&)>& under,
                                  const std::string& user, const std::string& comment,
                                  std::int64_t now_ms, std::vector<model::Event>& out) {
  int n = 0;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (under(slots_[i].source) && acknowledge(i, user, comment, now_ms, out)) ++n;
  }
  return n;
}

void AlarmBoard::system_condition(const std::string& source, const std::string& rule, bool active,
                                  Severity severity, const std::string& text, std::int64_t now_ms,
                                  std::vector<model::Event>& out) {
  auto index = find(source + ":" + rule);
  if (!index) {
    if (!active) return;  // never raised: nothing to clear
    index = add(flag_config(rule, severity, 0, 0), source, nullptr, text);
    slots_[*index].system = true;
  }
  auto& s = slots_[*index];
  if (!s.system) return;  // an engine rule: not settable from outside
  if (s.rule.config().severity != severity) s.rule.reconfigure(flag_config(rule, severity, 0, 0));
  if (active) s.text = text;
  emit(s, s.rule.update(active ? 1.0 : 0.0, model::Quality::ok, now_ms), now_ms, out);
}

void AlarmBoard::restore(const std::vector<model::Event>& log) {
  struct Seen {
    std::int64_t since_ms = 0;
    double value = 0.0;
    std::string text;
    bool acknowledged = false;
    std::string by;
    std::int64_t ack_ms = 0;
  };
  std::unordered_map<std::string, Seen> open;
  std::uint64_t max_id = 0;
  for (const auto& e : log) {
    max_id = std::max(max_id, e.id);
    const auto key = e.source + ":" + e.rule;
    if (e.kind == model::EventKind::alarm_raised) {
      open[key] = Seen{e.time_ms, e.value, e.text, false, {}, 0};
    } else if (e.kind == model::EventKind::alarm_cleared) {
      open.erase(key);
    } else if (e.kind == model::EventKind::alarm_acknowledged) {
      if (const auto f = open.find(key); f != open.end()) {
        f->second.acknowledged = true;
        f->second.by = e.user;
        f->second.ack_ms = e.time_ms;
      }
    }
  }
  for (const auto& [key, seen] : open) {
    const auto index = find(key);
    if (!index) continue;  // not ours (system conditions are re-reported)
    auto& s = slots_[*index];
    if (s.system) continue;
    s.rule.restore_active(seen.since_ms, seen.value, seen.acknowledged, false);
    s.raised_text = seen.text;
    s.raised_value = seen.value;
    s.acknowledged_by = seen.by;
    s.acknowledged_ms = seen.ack_ms;
  }
  continue_ids_after(max_id);
}

std::vector<ActiveAlarm> AlarmBoard::active_alarms() const {
  std::vector<ActiveAlarm> list;
  for (const auto& s : slots_) {
    if (!s.rule.is_active()) continue;
    ActiveAlarm alarm;
    alarm.key = s.key;
    alarm.source = s.source;
    alarm.rule = s.rule.config().name;
    alarm.severity = s.rule.config().severity;
    alarm.since_ms = s.rule.since_ms();
    alarm.acknowledged = s.rule.acknowledged();
    alarm.text = s.raised_text;
    if (alarm.acknowledged) {
      alarm.acknowledged_by = s.acknowledged_by;
      alarm.acknowledged_ms = s.acknowledged_ms;
    }
    alarm.waiting_for_ack = s.rule.waiting_for_ack();
    alarm.value = s.rule.last_value();
    alarm.raised_value = s.raised_value;
    if (s.row != nullptr) {
      alarm.unit = std::string(s.row->unit);
      if (s.row->limit != nullptr) alarm.limit = s.rule.config().limit;
    }
    list.push_back(std::move(alarm));
  }
  return list;
}

BoardSummary AlarmBoard::summary() const {
  BoardSummary b;
  for (const auto& s : slots_) {
    if (!s.rule.is_active()) continue;
    ++b.active;
    const auto sev = s.rule.config().severity;
    if (sev >= Severity::alarm) b.any_alarm = true;
    if (sev == Severity::warning) b.any_warning = true;
    if (sev == Severity::trip) b.any_trip = true;
    if (!s.rule.acknowledged()) ++b.unacknowledged;
    if (s.ventilation()) b.ventilation = true;
  }
  return b;
}

std::uint16_t AlarmBoard::bits(std::size_t first, std::span<const RuleRow> rows,
                               bool& alarm_level) const {
  std::uint16_t bits = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& rule = slots_[first + r].rule;
    if (!rule.is_active()) continue;
    bits |= rows[r].alarm_bit;
    if (rule.config().severity >= Severity::alarm) alarm_level = true;
  }
  return bits;
}

}  // namespace btms::engine
