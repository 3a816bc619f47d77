#include "notify/ups_alarm_board.hpp"

#include <algorithm>
#include <string>

#include "model/derived_channels.hpp"

namespace btms::notify {

namespace {

constexpr std::size_t kChangesKept = 1024;

struct RuleMapping {
  std::string_view rule;
  UpsWellKnownAlarm alarm;
};

// Chosen so that a manager's well-known alarm means what RFC 1628 says of it. Warnings stay
// out (a warning is not yet "out of tolerance" in the MIB's sense); value alarms of single
// batteries reach upsAlarmBatteryBad through the UPS's string-error bit.
constexpr RuleMapping kRuleMap[] = {
    // "One or more batteries have been determined to require replacement."
    {"battery_resistance_alarm", UpsWellKnownAlarm::battery_bad},
    {"battery_soh_low", UpsWellKnownAlarm::battery_bad},
    // "A temperature is out of tolerance."
    {"battery_temperature_alarm", UpsWellKnownAlarm::temp_bad},
    {"battery_temperature_trip", UpsWellKnownAlarm::temp_bad},
    {"battery_temperature_fatal", UpsWellKnownAlarm::temp_bad},
    {"battery_temperature_rising_past_trip", UpsWellKnownAlarm::temp_bad},
    {"battery_delta_t_ambient", UpsWellKnownAlarm::temp_bad},
    {"string_thermal_runaway", UpsWellKnownAlarm::temp_bad},
    // "A problem has been encountered in the communications between the agent and the UPS."
    {"battery_comm_lost", UpsWellKnownAlarm::communications_lost},
    {"string_comm_lost", UpsWellKnownAlarm::communications_lost},
    {"mc_watchdog_tripped", UpsWellKnownAlarm::communications_lost},
    // "A general fault in the UPS has been detected."
    {"string_insulation_alarm", UpsWellKnownAlarm::general_fault},
    {"string_relay_mismatch", UpsWellKnownAlarm::general_fault},
    {"string_current_sensor_invalid", UpsWellKnownAlarm::general_fault},
};

}  // namespace

const char* ups_alarm_name(UpsWellKnownAlarm alarm) {
  switch (alarm) {
    case UpsWellKnownAlarm::battery_bad:
      return "upsAlarmBatteryBad";
    case UpsWellKnownAlarm::on_battery:
      return "upsAlarmOnBattery";
    case UpsWellKnownAlarm::low_battery:
      return "upsAlarmLowBattery";
    case UpsWellKnownAlarm::temp_bad:
      return "upsAlarmTempBad";
    case UpsWellKnownAlarm::general_fault:
      return "upsAlarmGeneralFault";
    case UpsWellKnownAlarm::communications_lost:
      return "upsAlarmCommunicationsLost";
  }
  return "?";
}

snmp_oids::Oid ups_alarm_descr(UpsWellKnownAlarm alarm) {
  auto oid = snmp_oids::kUpsWellKnownAlarms;
  oid.push_back(static_cast<std::uint32_t>(alarm));
  return oid;
}

std::optional<UpsWellKnownAlarm> ups_alarm_for_rule(std::string_view rule) {
  for (const auto& m : kRuleMap) {
    if (m.rule == rule) return m.alarm;
  }
  return std::nullopt;
}

std::vector<UpsWellKnownAlarm> ups_alarms_for_bits(std::uint32_t bits) {
  std::vector<UpsWellKnownAlarm> out;
  // A string of the UPS in error (a battery in error) or opened (tripped or by hand).
  if (bits & (model::kUpsStringError | model::kUpsStringDisconnected))
    out.push_back(UpsWellKnownAlarm::battery_bad);
  // Discharging: the mains (or the rectifier) is out and the load runs on the batteries.
  if (bits & model::kUpsOnBattery) out.push_back(UpsWellKnownAlarm::on_battery);
  // The estimated runtime is below runtime_low_min.
  if (bits & model::kUpsRuntimeLow) out.push_back(UpsWellKnownAlarm::low_battery);
  return out;
}

std::map<UpsWellKnownAlarm, std::int64_t> present_ups_alarms(
    std::optional<std::uint32_t> ups_bits, const std::vector<engine::ActiveAlarm>& alarms,
    std::int64_t step_time_ms) {
  std::map<UpsWellKnownAlarm, std::int64_t> present;
  for (const auto& a : alarms) {
    if (a.waiting_for_ack) continue;  // latched but gone: not present any more
    const auto alarm = ups_alarm_for_rule(a.rule);
    if (!alarm) continue;
    auto [it, fresh] = present.emplace(*alarm, a.since_ms);
    if (!fresh) it->second = std::min(it->second, a.since_ms);
  }
  if (ups_bits) {
    for (auto alarm : ups_alarms_for_bits(*ups_bits)) present.emplace(alarm, step_time_ms);
  }
  return present;
}

UpsAlarmBoard::UpsAlarmBoard(const model::Site& site)
    : ups_id_(site.upses.size() == 1 ? site.upses.front().id : 0) {}

void UpsAlarmBoard::update(const engine::StepBundle& bundle) {
  if (!serves()) return;
  std::optional<std::uint32_t> bits;
  if (bundle.derived && bundle.derived->channels) {
    const auto name = "ups/" + std::to_string(ups_id_) + "/alarm_bits";
    if (const auto id = bundle.derived->channels->find(name);
        id && *id < bundle.derived->samples.size()) {
      const auto& s = bundle.derived->samples[*id];
      if (s.quality == model::Quality::ok) bits = static_cast<std::uint32_t>(s.value);
    }
  }
  static const std::vector<engine::ActiveAlarm> kNone;
  apply(bundle.step,
        present_ups_alarms(bits, bundle.alarms ? bundle.alarms->alarms : kNone, bundle.time_ms));
}

void UpsAlarmBoard::apply(std::uint64_t step,
                          const std::map<UpsWellKnownAlarm, std::int64_t>& present) {
  std::lock_guard lock(mutex_);
  if (applied_ && step <= last_step_) return;
  applied_ = true;
  last_step_ = step;
  const auto record = [&](bool added, const UpsAlarmRow& row) {
    changes_.push_back({next_seq_++, added, row});
    while (changes_.size() > kChangesKept) changes_.pop_front();
  };
  for (auto it = rows_.begin(); it != rows_.end();) {
    if (present.contains(it->alarm)) {
      ++it;
      continue;
    }
    record(false, *it);
    it = rows_.erase(it);
  }
  for (const auto& entry : present) {
    // Not a structured binding: clang before 16 cannot capture one in a lambda (fuzz build).
    const UpsWellKnownAlarm alarm = entry.first;
    const bool known = std::any_of(rows_.begin(), rows_.end(),
                                   [&](const UpsAlarmRow& r) { return r.alarm == alarm; });
    if (known) continue;
    rows_.push_back({next_id_++, alarm, entry.second});
    record(true, rows_.back());
  }
}

std::vector<UpsAlarmRow> UpsAlarmBoard::rows() const {
  std::lock_guard lock(mutex_);
  return rows_;
}

std::vector<UpsAlarmChange> UpsAlarmBoard::changes_after(std::uint64_t seq) const {
  std::lock_guard lock(mutex_);
  std::vector<UpsAlarmChange> out;
  for (const auto& c : changes_) {
    if (c.seq > seq) out.push_back(c);
  }
  return out;
}

std::uint64_t UpsAlarmBoard::last_seq() const {
  std::lock_guard lock(mutex_);
  return next_seq_ - 1;
}

}  // namespace btms::notify
