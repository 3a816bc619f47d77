#include "cloud/telemetry_tree.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <set>

#include "model/channel_resolution.hpp"
#include "model/derived_channels.hpp"

namespace btms::cloud {

namespace {

constexpr const char* kBatteryFields[5] = {"voltage", "temperature", "resistance", "soc", "soh"};
constexpr bool kBatteryFieldIsPlant[5] = {true, true, true, false, false};

std::int64_t find_id(const model::ChannelDirectory& dir, const std::string& name) {
  const auto id = dir.find(name);
  return id ? static_cast<std::int64_t>(*id) : -1;
}

const model::Sample* sample_of(const model::Snapshot& snap, std::int64_t id) {
  if (id < 0 || static_cast<std::size_t>(id) >= snap.samples.size()) return nullptr;
  return &snap.samples[static_cast<std::size_t>(id)];
}

double resolution_of(const model::Snapshot& snap, std::int64_t id) {
  return snap.channels->info(static_cast<model::ChannelId>(id)).resolution;
}

// "value","quality","ts" of one channel; a value that is not fresh carries its quality.
void append_field(std::string& out, std::string_view name, const model::Snapshot& snap,
                  std::int64_t id) {
  const auto* s = sample_of(snap, id);
  if (!s) return;
  if (out.back() != '{') out += ',';
  append_json_string(out, name);
  out += ":{\"value\":";
  append_json_number(out, s->value, resolution_of(snap, id));
  fmt::format_to(std::back_inserter(out), ",\"quality\":\"{}\",\"ts\":{}}}",
                 model::to_string(s->quality), s->time_ms);
}

// Alarm keys are "<source>:<rule>" (battery/3/17:battery_voltage_high); as a topic the colon
// becomes a level.
std::string alarm_topic_tail(const std::string& key) {
  std::string out = key;
  for (auto& c : out) {
    if (c == ':') c = '/';
    if (c == '+' || c == '#') c = '_';
  }
  return out;
}

}  // namespace

void append_json_number(std::string& out, double value, double resolution) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  if (!(resolution > 0.0)) {
    fmt::format_to(std::back_inserter(out), "{}", value);
    return;
  }
  const int decimals = model::resolution_decimals(resolution);
  char text[64];
  const auto rounded = model::round_to_resolution(value, resolution);
  auto* end = fmt::format_to_n(text, sizeof text - 1, "{:.{}f}", rounded, decimals).out;
  if (decimals > 0) {
    while (end[-1] == '0') --end;
    if (end[-1] == '.') --end;
  }
  if (end - text == 2 && text[0] == '-' && text[1] == '0') {
    out += '0';
    return;
  }
  out.append(text, end);
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

TelemetryTree::TelemetryTree(const CloudConfig& config, const model::Site& site)
    : config_(config),
      site_(std::make_shared<const model::Site>(site)),
      prefix_("btms/" + config.site_id + "/" + config.gateway_id) {}

void TelemetryTree::resolve(const model::Snapshot& plant, const model::Snapshot& derived) {
  if (plant_dir_ == plant.channels.get() && derived_dir_ == derived.channels.get()) return;
  plant_dir_ = plant.channels.get();
  derived_dir_ = derived.channels.get();
  battery_ids_.clear();
  string_ids_.clear();
  for (const auto& s : site_->strings) {
    StringIds ids;
    ids.string_id = s.id;
    ids.ups_id = s.ups_id;
    const auto base = fmt::format("string/{}/", s.id);
    // The string's own quantities (string/3/current, string/3/soc), not its batteries'.
    for (const auto* snap : {&plant, &derived}) {
      for (const auto id : snap->channels->with_prefix(base)) {
        const auto& name = snap->channels->info(id).name;
        const auto quantity = name.substr(base.size());
        if (quantity.find('/') != std::string::npos) continue;
        (snap == &plant ? ids.plant : ids.derived).emplace_back(quantity, id);
      }
    }
    ids.state = find_id(*derived.channels, base + "state");
    ids.status = find_id(*derived.channels, base + "status");
    ids.alarm_bits = find_id(*derived.channels, base + "alarm_bits");
    ids.protection = find_id(*derived.channels, base + "protection");
    ids.current = find_id(*plant.channels, base + "current");
    string_ids_.push_back(std::move(ids));
    for (int p = 1; p <= s.batteries; ++p) {
      BatteryIds b;
      b.string_id = s.id;
      b.position = p;
      for (int f = 0; f < 5; ++f) {
        const auto name = fmt::format("battery/{}/{}/{}", s.id, p, kBatteryFields[f]);
        b.ids[f] = find_id(kBatteryFieldIsPlant[f] ? *plant.channels : *derived.channels, name);
      }
      battery_ids_.push_back(b);
    }
  }
  batteries_.assign(battery_ids_.size(), BatteryState{});
  strings_.assign(string_ids_.size(), StringState{});
}

std::vector<OutgoingMessage> TelemetryTree::on_step(const engine::StepBundle& bundle) {
  std::vector<OutgoingMessage> out;
  if (bundle.plant && bundle.derived && bundle.plant->channels && bundle.derived->channels) {
    resolve(*bundle.plant, *bundle.derived);
    add_strings(bundle, out);
    add_batteries(bundle, out);
  }
  add_alarms(bundle, out);
  return out;
}

void TelemetryTree::add_strings(const engine::StepBundle& b, std::vector<OutgoingMessage>& out) {
  const auto& plant = *b.plant;
  const auto& derived = *b.derived;
  const auto interval_ms = static_cast<std::int64_t>(config_.summary_interval_s) * 1000;
  std::vector<std::size_t> sent;
  for (std::size_t i = 0; i < string_ids_.size(); ++i) {
    const auto& ids = string_ids_[i];
    auto& state = strings_[i];
    std::string key;
    for (const auto id : {ids.state, ids.status, ids.alarm_bits, ids.protection}) {
      if (const auto* s = sample_of(derived, id))
        key += fmt::format("{}:{};", s->value, static_cast<int>(s->quality));
    }
    const bool due = !state.sent || key != state.key || b.time_ms - state.sent_ms >= interval_ms;
    if (!due) continue;
    std::string payload = "{";
    fmt::format_to(std::back_inserter(payload), "\"string\":{},\"ts\":{}", ids.string_id,
                   b.derived->time_ms);
    for (const auto& [quantity, id] : ids.plant) append_field(payload, quantity, plant, id);
    for (const auto& [quantity, id] : ids.derived) append_field(payload, quantity, derived, id);
    payload += '}';
    out.push_back({fmt::format("{}/string/{}/summary", prefix_, ids.string_id), std::move(payload),
                   false, MessageKind::telemetry});
    state.sent = true;
    state.sent_ms = b.time_ms;
    state.key = std::move(key);
    sent.push_back(i);
  }
  add_upses(b, sent, out);
}

void TelemetryTree::add_upses(const engine::StepBundle& b,
                              const std::vector<std::size_t>& strings_sent,
                              std::vector<OutgoingMessage>& out) {
  std::set<int> due;
  for (const auto i : strings_sent) due.insert(string_ids_[i].ups_id);
  // A UPS figure built from several strings is only as good as its worst part: its quality is
  // the worst of theirs (ok < stale < comm_lost < invalid) and its ts the oldest sample's, so a
  // string that went silent never lets the UPS look fresh.
  struct Aggregate {
    double value = 0;
    model::Quality quality = model::Quality::ok;
    std::int64_t time_ms = std::numeric_limits<std::int64_t>::max();
    bool any = false;
    void add(const model::Sample& s, double value_part) {
      value += value_part;
      quality = std::max(quality, s.quality);
      time_ms = std::min(time_ms, s.time_ms);
      any = true;
    }
  };
  const auto append = [](std::string& payload, const char* name, const Aggregate& a,
                         double resolution) {
    if (!a.any) return;
    fmt::format_to(std::back_inserter(payload), ",\"{}\":{{\"value\":", name);
    append_json_number(payload, a.value, resolution);
    fmt::format_to(std::back_inserter(payload), ",\"quality\":\"{}\",\"ts\":{}}}",
                   model::to_string(a.quality), a.time_ms);
  };
  for (const int ups_id : due) {
    Aggregate status, in_error, current;
    double current_resolution = 0;
    int strings = 0;
    for (const auto& ids : string_ids_) {
      if (ids.ups_id != ups_id) continue;
      ++strings;
      if (const auto* s = sample_of(*b.derived, ids.status)) {
        const bool error = s->value == static_cast<double>(model::DeviceStatus::error);
        // The status codes are not ordered by severity: error wins, then whatever came first.
        if (!status.any || error) status.value = s->value;
        status.add(*s, 0);
        in_error.add(*s, error ? 1 : 0);
      }
      if (const auto* s = sample_of(*b.plant, ids.current)) {
        current.add(*s, s->value);
        current_resolution = resolution_of(*b.plant, ids.current);
      }
    }
    std::string payload = "{";
    fmt::format_to(std::back_inserter(payload), "\"ups\":{},\"ts\":{},\"strings\":{}", ups_id,
                   b.derived->time_ms, strings);
    append(payload, "status", status, 1);
    append(payload, "strings_in_error", in_error, 1);
    append(payload, "current", current, current_resolution);
    payload += '}';
    out.push_back({fmt::format("{}/ups/{}", prefix_, ups_id), std::move(payload), false,
                   MessageKind::telemetry});
  }
}

void TelemetryTree::add_batteries(const engine::StepBundle& b, std::vector<OutgoingMessage>& out) {
  const auto& plant = *b.plant;
  const auto& derived = *b.derived;
  const auto interval_ms = static_cast<std::int64_t>(config_.battery_interval_s) * 1000;
  const double deadbands[5] = {config_.deadband_voltage_V, config_.deadband_temperature_C,
                               config_.deadband_resistance_mOhm, config_.deadband_percent,
                               config_.deadband_percent};
  for (std::size_t i = 0; i < battery_ids_.size(); ++i) {
    const auto& ids = battery_ids_[i];
    auto& state = batteries_[i];
    Field now[5];
    bool changed = !state.sent || b.time_ms - state.sent_ms >= interval_ms;
    for (int f = 0; f < 5; ++f) {
      const auto& snap = kBatteryFieldIsPlant[f] ? plant : derived;
      if (const auto* s = sample_of(snap, ids.ids[f])) now[f] = {s->value, s->quality, s->time_ms};
      // A change of quality is always news: a value going stale must not wait for the interval.
      if (now[f].quality != state.fields[f].quality ||
          std::fabs(now[f].value - state.fields[f].value) > deadbands[f])
        changed = true;
    }
    if (!changed) continue;
    std::string payload = "{";
    std::int64_t newest_ms = 0;
    for (int f = 0; f < 5; ++f) newest_ms = std::max(newest_ms, now[f].time_ms);
    fmt::format_to(std::back_inserter(payload), "\"battery\":\"{}/{}\",\"ts\":{}", ids.string_id,
                   ids.position, newest_ms);
    for (int f = 0; f < 5; ++f) {
      append_field(payload, kBatteryFields[f], kBatteryFieldIsPlant[f] ? plant : derived,
                   ids.ids[f]);
    }
    payload += '}';
    out.push_back({fmt::format("{}/string/{}/battery/{}", prefix_, ids.string_id, ids.position),
                   std::move(payload), false, MessageKind::telemetry});
    state.sent = true;
    state.sent_ms = b.time_ms;
    std::copy(std::begin(now), std::end(now), std::begin(state.fields));
  }
}

void TelemetryTree::add_alarms(const engine::StepBundle& b, std::vector<OutgoingMessage>& out) {
  if (!b.alarms) return;
  std::map<std::string, AlarmState> current;
  for (const auto& a : b.alarms->alarms) {
    std::string payload = "{";
    payload += "\"key\":";
    append_json_string(payload, a.key);
    payload += ",\"source\":";
    append_json_string(payload, a.source);
    payload += ",\"rule\":";
    append_json_string(payload, a.rule);
    payload += ",\"text\":";
    append_json_string(payload, a.text);
    fmt::format_to(std::back_inserter(payload),
                   ",\"severity\":\"{}\",\"active\":true,\"since\":{},\"acknowledged\":{},"
                   "\"waiting_for_ack\":{},\"value\":",
                   model::to_string(a.severity), a.since_ms, a.acknowledged, a.waiting_for_ack);
    append_json_number(payload, a.value, 0.0);
    payload += ",\"acknowledged_by\":";
    append_json_string(payload, a.acknowledged_by);
    fmt::format_to(std::back_inserter(payload), ",\"ts\":{}}}", b.alarms->time_ms);
    const auto it = alarms_.find(a.key);
    // Resent only when it changed (acknowledged, latched); the payload's ts is of the step, so
    // it is compared without it.
    const auto body = payload.substr(0, payload.rfind(",\"ts\":"));
    if (it == alarms_.end() || it->second.payload != body) {
      out.push_back(
          {prefix_ + "/alarm/" + alarm_topic_tail(a.key), payload, true, MessageKind::alarm});
    }
    current[a.key] = AlarmState{body};
  }
  for (const auto& [key, state] : alarms_) {
    if (current.contains(key)) continue;
    std::string payload = "{\"key\":";
    append_json_string(payload, key);
    fmt::format_to(std::back_inserter(payload), ",\"active\":false,\"ts\":{}}}", b.alarms->time_ms);
    const auto topic = prefix_ + "/alarm/" + alarm_topic_tail(key);
    out.push_back({topic, std::move(payload), false, MessageKind::alarm});
    out.push_back({topic, std::string(), true, MessageKind::alarm});  // deletes the retained copy
  }
  alarms_ = std::move(current);
}

std::vector<OutgoingMessage> TelemetryTree::on_events(
    const std::vector<model::Event>& events) const {
  std::vector<OutgoingMessage> out;
  out.reserve(events.size());
  for (const auto& e : events) {
    std::string payload = "{";
    fmt::format_to(std::back_inserter(payload),
                   "\"id\":{},\"ts\":{},\"kind\":\"{}\",\"severity\":\"{}\",\"source\":", e.id,
                   e.time_ms, model::to_string(e.kind), model::to_string(e.severity));
    append_json_string(payload, e.source);
    payload += ",\"rule\":";
    append_json_string(payload, e.rule);
    payload += ",\"text\":";
    append_json_string(payload, e.text);
    payload += ",\"user\":";
    append_json_string(payload, e.user);
    payload += ",\"value\":";
    append_json_number(payload, e.value, 0.0);
    payload += '}';
    out.push_back({prefix_ + "/event", std::move(payload), false, MessageKind::event});
  }
  return out;
}

}  // namespace btms::cloud
