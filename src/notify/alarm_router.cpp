#include "notify/alarm_router.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "notify/message_text.hpp"

namespace btms::notify {
namespace {

// The number after "<prefix>" up to the next '/' or the end: string id of battery/3/17 and
// string/3.
std::optional<int> number_after(std::string_view text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return std::nullopt;
  const char* begin = text.data() + prefix.size();
  const char* end = text.data() + text.size();
  int value = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin || (ptr != end && *ptr != '/')) return std::nullopt;
  return value;
}

// The string of a gateway's own battery/S/B or string/S source (no gateway name).
std::optional<int> local_string_of(std::string_view source) {
  if (auto s = number_after(source, "battery/")) return s;
  return number_after(source, "string/");
}

bool names_a_place(std::string_view source) {
  return local_string_of(source) || number_after(source, "ups/");
}

bool ends_with_comm_lost(const std::string& rule) {
  return rule.ends_with("_comm_lost");
}

// Active ones first, most severe first, then by when raised; cleared ones after.
void sort_for_message(std::vector<NotifiedAlarm>& alarms) {
  std::stable_sort(alarms.begin(), alarms.end(), [](const auto& a, const auto& b) {
    if (a.active != b.active) return a.active;
    if (a.severity != b.severity) return a.severity > b.severity;
    if (a.raised_ms != b.raised_ms) return a.raised_ms < b.raised_ms;
    return a.key < b.key;
  });
}

constexpr const char* kTripRule = "string_tripped";

}  // namespace

const char* reason_name(Reason reason) {
  switch (reason) {
    case Reason::first:
      return "first";
    case Reason::update:
      return "update";
    case Reason::repeat:
      return "repeat";
    case Reason::escalation:
      return "escalation";
    case Reason::recovery:
      return "recovery";
  }
  return "?";
}

int Notification::active_count() const {
  return static_cast<int>(
      std::count_if(alarms.begin(), alarms.end(), [](const auto& a) { return a.active; }));
}

model::Severity Notification::worst_active() const {
  auto worst = model::Severity::info;
  for (const auto& a : alarms) {
    if (a.active && a.severity > worst) worst = a.severity;
  }
  return worst;
}

SourceParts split_gateway(std::string_view source) {
  if (names_a_place(source)) return {{}, source};
  const auto slash = source.find('/');
  if (slash == std::string_view::npos || slash == 0) return {{}, source};
  const auto rest = source.substr(slash + 1);
  if (!names_a_place(rest)) return {{}, source};
  return {source.substr(0, slash), rest};
}

SiteNames SiteNames::from(const model::Site& site) {
  SiteNames names;
  names.site = site.name;
  for (const auto& s : site.strings) {
    StringInfo info{s.name, s.ups_id, {}};
    if (const auto* ups = site.find_ups(s.ups_id)) info.ups_name = ups->name;
    names.strings[s.id] = info;
  }
  return names;
}

std::optional<SiteNames::StringInfo> SiteNames::string_info(std::string_view source) const {
  const auto parts = split_gateway(source);
  const auto s = local_string_of(parts.local);
  if (!s) return std::nullopt;
  if (!parts.gateway.empty()) {
    return gateway_string ? gateway_string(parts.gateway, *s) : std::nullopt;
  }
  const auto it = strings.find(*s);
  if (it == strings.end()) return std::nullopt;
  return it->second;
}

SourceParts SiteNames::split(std::string_view source) const {
  if (const auto slash = source.find('/');
      slash != std::string_view::npos && gateways.contains(source.substr(0, slash))) {
    return {source.substr(0, slash), source.substr(slash + 1)};
  }
  return split_gateway(source);
}

int SiteNames::ups_of(const std::string& source) const {
  const auto info = string_info(source);
  return info ? info->ups_id : 0;
}

std::string group_of(const std::string& source) {
  const auto parts = split_gateway(source);
  if (const auto s = local_string_of(parts.local)) {
    std::string group = parts.gateway.empty() ? std::string() : std::string(parts.gateway) + "/";
    return group + "string/" + std::to_string(*s);
  }
  return source;
}

bool recipient_wants(const Recipient& recipient, const SiteNames& names,
                     const NotifiedAlarm& alarm) {
  if (alarm.severity < recipient.min_severity) return false;
  const auto source_ok = [&](const std::string& wanted) {
    // mc -> mc/input/2; at the aggregator also hall-a -> everything of gateway hall-a
    if (wanted == "site" || wanted == alarm.source) return true;
    if (alarm.source.starts_with(wanted + "/")) return true;
    // string/3 and ups/1 of one gateway: hall-a/string/3 is not hall-b's string 3.
    const auto want = split_gateway(wanted);
    const auto have = split_gateway(alarm.source);
    if (want.gateway != have.gateway) return false;
    if (const auto s = number_after(want.local, "string/");
        s && want.local == "string/" + std::to_string(*s)) {
      return local_string_of(have.local) == s;
    }
    if (const auto u = number_after(want.local, "ups/")) return names.ups_of(alarm.source) == *u;
    return false;
  };
  if (!recipient.sources.empty() &&
      std::none_of(recipient.sources.begin(), recipient.sources.end(), source_ok)) {
    return false;
  }
  if (!recipient.rules.empty() &&
      std::none_of(recipient.rules.begin(), recipient.rules.end(),
                   [&](const std::string& prefix) { return alarm.rule.starts_with(prefix); })) {
    return false;
  }
  return true;
}

bool inhibited(const NotifiedAlarm& alarm, const std::set<std::string>& active_keys) {
  // A trip has acted on the plant: people must hear of it whatever else is lost. A lost sensor
  // itself is the news, not noise.
  if (alarm.severity == model::Severity::trip || ends_with_comm_lost(alarm.rule)) return false;
  // Per gateway: hall-a/battery/3/17 by hall-a/battery/3/17:battery_comm_lost only.
  const auto local = split_gateway(alarm.source).local;
  if (local.starts_with("battery/")) {
    return active_keys.contains(alarm.source + ":battery_comm_lost");
  }
  if (local.starts_with("string/")) {
    return active_keys.contains(alarm.source + ":string_comm_lost");
  }
  return false;
}

AlarmRouter::AlarmRouter(RoutingSettings settings, std::vector<Recipient> recipients,
                         SiteNames names, std::shared_ptr<const model::Clock> clock)
    : settings_(std::move(settings)),
      recipients_(std::move(recipients)),
      names_(std::move(names)),
      clock_(clock ? std::move(clock) : model::system_clock()) {}

void AlarmRouter::set_recipients(std::vector<Recipient> recipients) {
  for (auto& [key, group] : groups_) {
    std::vector<Progress> progress(recipients.size());
    for (std::size_t to = 0; to < recipients.size(); ++to) {
      for (std::size_t from = 0; from < recipients_.size() && from < group.progress.size();
           ++from) {
        if (recipients_[from].name == recipients[to].name) progress[to] = group.progress[from];
      }
    }
    group.progress = std::move(progress);
  }
  recipients_ = std::move(recipients);
}

void AlarmRouter::raise(NotifiedAlarm alarm, std::int64_t when_ms) {
  auto& group = groups_[group_of(alarm.source)];
  if (group.progress.size() != recipients_.size()) group.progress.resize(recipients_.size());
  active_keys_.insert(alarm.key);
  auto [it, inserted] = group.alarms.try_emplace(alarm.key, alarm);
  if (!inserted) {
    // Raised again before every recipient heard it clear: the same alarm again, not news for
    // those already told it is active (a flapping alarm does not make messages).
    const bool was_active = it->second.active;
    it->second = std::move(alarm);
    if (was_active) return;
  }
  group.changed_ms[it->first] = when_ms;
}

void AlarmRouter::clear(const std::string& key, std::int64_t when_ms) {
  active_keys_.erase(key);
  const auto colon = key.rfind(':');
  if (colon == std::string::npos) return;
  const auto group_it = groups_.find(group_of(key.substr(0, colon)));
  if (group_it == groups_.end()) return;
  auto& group = group_it->second;
  const auto it = group.alarms.find(key);
  if (it == group.alarms.end() || !it->second.active) return;
  it->second.active = false;
  it->second.cleared_ms = when_ms;
  group.changed_ms[key] = when_ms;
  // Only this alarm can have become forgettable (a storm's clears stay linear).
  const bool told = std::any_of(group.progress.begin(), group.progress.end(),
                                [&](const Progress& p) { return p.told_active.contains(key); });
  if (!told) {
    group.changed_ms.erase(key);
    group.alarms.erase(it);
    const bool anyone_told = std::any_of(group.progress.begin(), group.progress.end(),
                                         [](const Progress& p) { return !p.told_active.empty(); });
    if (group.alarms.empty() && !anyone_told) groups_.erase(group_it);
  }
}

void AlarmRouter::on_event(const model::Event& event) {
  using model::EventKind;
  switch (event.kind) {
    case EventKind::alarm_raised: {
      NotifiedAlarm alarm;
      alarm.key = event.source + ":" + event.rule;
      alarm.source = event.source;
      alarm.rule = event.rule;
      alarm.text = event.text;
      alarm.severity = event.severity;
      alarm.value = event.value;
      alarm.raised_ms = event.time_ms;
      raise(std::move(alarm), event.time_ms);
      break;
    }
    case EventKind::alarm_cleared:
      clear(event.source + ":" + event.rule, event.time_ms);
      break;
    case EventKind::alarm_acknowledged: {
      const auto key = event.source + ":" + event.rule;
      const auto group_it = groups_.find(group_of(event.source));
      if (group_it == groups_.end()) break;
      const auto it = group_it->second.alarms.find(key);
      if (it == group_it->second.alarms.end()) break;
      it->second.acknowledged = true;
      it->second.acknowledged_by = event.user;
      break;
    }
    case EventKind::string_tripped: {
      // Protection opened the string: an alarm of its own until the string is reconnected.
      NotifiedAlarm alarm;
      alarm.source = event.source;
      alarm.rule = kTripRule;
      alarm.key = event.source + ":" + kTripRule;
      alarm.text = event.text;
      alarm.severity = model::Severity::trip;
      alarm.raised_ms = event.time_ms;
      raise(std::move(alarm), event.time_ms);
      break;
    }
    case EventKind::string_reset:
      // The operator's reset is the acknowledgement of the trip.
      if (const auto g = groups_.find(group_of(event.source)); g != groups_.end()) {
        if (const auto it = g->second.alarms.find(event.source + ":" + kTripRule);
            it != g->second.alarms.end()) {
          it->second.acknowledged = true;
          it->second.acknowledged_by = event.user;
        }
      }
      break;
    case EventKind::string_reconnected:
      clear(event.source + ":" + kTripRule, event.time_ms);
      break;
    default:
      break;
  }
}

void AlarmRouter::sync_active(const std::vector<engine::ActiveAlarm>& alarms) {
  const auto now = clock_->now_ms();
  std::set<std::string> listed;
  for (const auto& a : alarms) {
    listed.insert(a.key);
    NotifiedAlarm alarm;
    alarm.key = a.key;
    alarm.source = a.source;
    alarm.rule = a.rule;
    alarm.text = a.text;
    alarm.severity = a.severity;
    alarm.value = a.value;
    alarm.raised_ms = a.since_ms;
    alarm.acknowledged = a.acknowledged;
    alarm.acknowledged_by = a.acknowledged_by;
    if (active_keys_.contains(a.key)) {
      // Known: take the acknowledgement the event may have been lost for.
      auto& known = groups_[group_of(a.source)].alarms[a.key];
      known.acknowledged = a.acknowledged;
      known.acknowledged_by = a.acknowledged_by;
      continue;
    }
    raise(std::move(alarm), a.since_ms);
  }
  std::vector<std::string> gone;
  for (const auto& key : active_keys_) {
    // Trips live in the alarm list only through their cause; keep them until reconnected.
    if (!listed.contains(key) && !key.ends_with(std::string(":") + kTripRule)) gone.push_back(key);
  }
  for (const auto& key : gone) clear(key, now);
}

std::vector<NotifiedAlarm> AlarmRouter::view(const Group& group, const Recipient& recipient) const {
  std::vector<NotifiedAlarm> out;
  for (const auto& [key, alarm] : group.alarms) {
    if (!recipient_wants(recipient, names_, alarm)) continue;
    if (alarm.active && inhibited(alarm, active_keys_)) continue;
    out.push_back(alarm);
  }
  return out;
}

std::optional<AlarmRouter::Decision> AlarmRouter::decide(const Group& group, std::size_t r) const {
  const auto& recipient = recipients_[r];
  const auto& progress = group.progress[r];
  const auto seen = view(group, recipient);
  constexpr auto kNever = std::numeric_limits<std::int64_t>::max();
  std::int64_t first_raise = kNever, first_unacked = kNever, first_change = kNever,
               first_trip_change = kNever;
  bool any_active = false, any_trip_active = false;
  for (const auto& a : seen) {
    if (!a.active) continue;
    any_active = true;
    any_trip_active |= a.severity == model::Severity::trip;
    first_raise = std::min(first_raise, a.raised_ms);
    if (!a.acknowledged) first_unacked = std::min(first_unacked, a.raised_ms);
    if (!progress.told_active.contains(a.key)) {
      const auto changed = group.changed_ms.at(a.key);
      first_change = std::min(first_change, changed);
      if (a.severity == model::Severity::trip) {
        first_trip_change = std::min(first_trip_change, changed);
      }
    }
  }
  for (const auto& key : progress.told_active) {
    const auto it = group.alarms.find(key);
    if (it == group.alarms.end() || !it->second.active) {
      const auto changed = group.changed_ms.find(key);
      first_change =
          std::min(first_change,
                   changed == group.changed_ms.end() ? progress.last_sent_ms : changed->second);
    }
  }

  Decision d;
  if (progress.told_active.empty()) {
    if (!any_active) return std::nullopt;
    if (recipient.tier <= 1) {
      d.due_ms = first_raise + settings_.group_wait_ms;
      d.reason = Reason::first;
    } else {
      if (first_unacked == kNever) return std::nullopt;
      d.due_ms = first_unacked + std::max(settings_.group_wait_ms,
                                          (recipient.tier - 1) * settings_.escalate_after_ms);
      d.reason = Reason::escalation;
    }
  } else if (first_change != kNever) {
    d.due_ms = std::max(progress.last_sent_ms + settings_.group_interval_ms,
                        first_change + settings_.group_wait_ms);
    // A new trip does not wait for the group interval.
    if (first_trip_change != kNever) {
      d.due_ms = std::min(d.due_ms, first_trip_change + settings_.group_wait_ms);
    }
    d.reason = any_active ? Reason::update : Reason::recovery;
  } else if (first_unacked != kNever) {
    d.due_ms = progress.last_sent_ms + settings_.repeat_interval_ms;
    d.reason = Reason::repeat;
  } else {
    return std::nullopt;
  }
  if (recipient.quiet.enabled() && !any_trip_active) {
    const auto at = std::max(d.due_ms, clock_->now_ms());
    if (recipient.quiet.contains(at)) d.due_ms = recipient.quiet.end_after(at);
  }
  return d;
}

Notification AlarmRouter::compose(const std::string& group_key, const Group& group, std::size_t r,
                                  Reason reason, std::int64_t now_ms) const {
  const auto& recipient = recipients_[r];
  const auto& progress = group.progress[r];
  Notification n;
  n.recipient = recipient.name;
  n.tier = recipient.tier;
  n.group = group_key;
  n.reason = reason;
  n.time_ms = now_ms;
  for (auto& a : view(group, recipient)) {
    if (a.active) n.alarms.push_back(std::move(a));
  }
  for (const auto& key : progress.told_active) {
    const auto it = group.alarms.find(key);
    if (it != group.alarms.end() && !it->second.active) n.alarms.push_back(it->second);
  }
  sort_for_message(n.alarms);
  fill_texts(n, settings_, names_);
  return n;
}

std::vector<Notification> AlarmRouter::take_due() {
  const auto now = clock_->now_ms();
  std::vector<Notification> out;
  for (auto& [key, group] : groups_) {
    if (group.progress.size() != recipients_.size()) group.progress.resize(recipients_.size());
    for (std::size_t r = 0; r < recipients_.size(); ++r) {
      const auto d = decide(group, r);
      if (!d || d->due_ms > now) continue;
      auto n = compose(key, group, r, d->reason, now);
      auto& progress = group.progress[r];
      progress.told_active.clear();
      for (const auto& a : n.alarms) {
        if (a.active) progress.told_active.insert(a.key);
      }
      progress.last_sent_ms = now;
      out.push_back(std::move(n));
    }
  }
  forget_told_cleared();
  return out;
}

std::optional<std::int64_t> AlarmRouter::next_due_ms() const {
  std::optional<std::int64_t> next;
  for (const auto& [key, group] : groups_) {
    for (std::size_t r = 0; r < recipients_.size() && r < group.progress.size(); ++r) {
      if (const auto d = decide(group, r); d && (!next || d->due_ms < *next)) next = d->due_ms;
    }
  }
  return next;
}

void AlarmRouter::forget_told_cleared() {
  for (auto g = groups_.begin(); g != groups_.end();) {
    auto& group = g->second;
    for (auto a = group.alarms.begin(); a != group.alarms.end();) {
      const bool told =
          std::any_of(group.progress.begin(), group.progress.end(),
                      [&](const Progress& p) { return p.told_active.contains(a->first); });
      if (!a->second.active && !told) {
        group.changed_ms.erase(a->first);
        a = group.alarms.erase(a);
      } else {
        ++a;
      }
    }
    const bool anyone_told = std::any_of(group.progress.begin(), group.progress.end(),
                                         [](const Progress& p) { return !p.told_active.empty(); });
    if (group.alarms.empty() && !anyone_told) {
      g = groups_.erase(g);
    } else {
      ++g;
    }
  }
}

std::size_t AlarmRouter::tracked_alarms() const {
  std::size_t n = 0;
  for (const auto& [key, group] : groups_) n += group.alarms.size();
  return n;
}

std::optional<Notification> AlarmRouter::test_message(const std::string& recipient) const {
  for (const auto& r : recipients_) {
    if (r.name != recipient) continue;
    Notification n;
    n.recipient = r.name;
    n.tier = r.tier;
    n.group = "test";
    n.test = true;
    n.time_ms = clock_->now_ms();
    fill_texts(n, settings_, names_);
    return n;
  }
  return std::nullopt;
}

}  // namespace btms::notify
