#include "hmi/site_view.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace btms::hmi {

namespace {

using nlohmann::json;

// "battery/3/17/voltage" -> {"battery", "3", "17", "voltage"}
std::vector<std::string_view> split(std::string_view name) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto slash = name.find('/');
    parts.push_back(name.substr(0, slash));
    if (slash == std::string_view::npos) break;
    name.remove_prefix(slash + 1);
  }
  return parts;
}

int to_int(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size() ? value : -1;
}

int severity_rank(std::string_view severity) {
  if (severity == "trip") return 3;
  if (severity == "alarm") return 2;
  if (severity == "warning") return 1;
  return 0;
}

// The string a source such as "battery/3/17" or "string/3" belongs to; 0 for other sources.
int string_of_source(std::string_view source) {
  const auto parts = split(source);
  if (parts.size() >= 2 && (parts[0] == "battery" || parts[0] == "string")) return to_int(parts[1]);
  return 0;
}

}  // namespace

std::string_view to_string(LinkState state) {
  switch (state) {
    case LinkState::connecting:
      return "connecting";
    case LinkState::connected:
      return "connected";
    case LinkState::lost:
      return "LINK LOST";
  }
  return "?";
}

std::string_view string_state_name(double code) {
  if (!std::isfinite(code)) return "--";
  switch (static_cast<int>(code)) {
    case 0:
      return "float";
    case 1:
      return "equalize";
    case 2:
      return "discharge";
    case 3:
      return "idle";
    case 5:
      return "abnormal";
    case 6:
      return "disconnected";
    default:
      return "?";
  }
}

void SiteView::apply_topology(const json& topology) {
  if (!topology.is_object() || !topology.contains("upses") || !topology.contains("strings")) {
    throw std::invalid_argument("not a topology document (no upses/strings)");
  }
  std::vector<UpsView> upses;
  for (const auto& u : topology.at("upses")) {
    UpsView ups;
    ups.id = u.at("id").get<int>();
    ups.name = u.value("name", "");
    for (const auto& s : u.at("strings")) ups.string_ids.push_back(s.get<int>());
    if (const auto* old = find_ups(ups.id)) {
      ups.status = old->status;
      ups.voltage = old->voltage;
      ups.current = old->current;
      ups.soc = old->soc;
      ups.runtime = old->runtime;
    }
    upses.push_back(std::move(ups));
  }
  std::vector<StringView> strings;
  for (const auto& s : topology.at("strings")) {
    StringView str;
    str.id = s.at("id").get<int>();
    str.ups_id = s.value("ups_id", 0);
    str.name = s.value("name", "");
    const int count = std::clamp(s.value("batteries", 0), 0, 1000);
    const auto* old = find_string(str.id);
    for (int p = 1; p <= count; ++p) {
      if (old && p <= static_cast<int>(old->batteries.size())) {
        str.batteries.push_back(old->batteries[p - 1]);
      } else {
        BatteryView b;
        b.position = p;
        str.batteries.push_back(std::move(b));
      }
    }
    if (old) {
      str.voltage = old->voltage;
      str.current = old->current;
      str.soc = old->soc;
      str.state = old->state;
      str.balance = old->balance;
      str.relay_closed = old->relay_closed;
    }
    strings.push_back(std::move(str));
  }
  site_name_ = topology.value("site", "");
  upses_ = std::move(upses);
  strings_ = std::move(strings);
}

Reading* SiteView::find_reading(std::string_view channel) {
  const auto parts = split(channel);
  if (parts.size() == 4 && parts[0] == "battery") {
    const int sid = to_int(parts[1]);
    const int pos = to_int(parts[2]);
    auto* str = const_cast<StringView*>(find_string(sid));
    if (!str || pos < 1 || pos > static_cast<int>(str->batteries.size())) return nullptr;
    auto& b = str->batteries[pos - 1];
    const auto field = parts[3];
    if (field == "voltage") return &b.voltage;
    if (field == "temperature") return &b.temperature;
    if (field == "resistance") return &b.resistance;
    if (field == "soc") return &b.soc;
    if (field == "soh") return &b.soh;
    if (field == "resistance_baseline") return &b.resistance_baseline;
    if (field == "status") return &b.status;
    return nullptr;
  }
  if (parts.size() == 3 && parts[0] == "string") {
    auto* str = const_cast<StringView*>(find_string(to_int(parts[1])));
    if (!str) return nullptr;
    const auto field = parts[2];
    if (field == "voltage") return &str->voltage;
    if (field == "current") return &str->current;
    if (field == "soc") return &str->soc;
    if (field == "state") return &str->state;
    if (field == "balance") return &str->balance;
    if (field == "relay_closed") return &str->relay_closed;
    return nullptr;
  }
  if (parts.size() == 3 && parts[0] == "ups") {
    auto* ups = const_cast<UpsView*>(find_ups(to_int(parts[1])));
    if (!ups) return nullptr;
    const auto field = parts[2];
    if (field == "status") return &ups->status;
    if (field == "voltage") return &ups->voltage;
    if (field == "current") return &ups->current;
    if (field == "soc") return &ups->soc;
    if (field == "runtime") return &ups->runtime;
  }
  return nullptr;
}

void SiteView::apply_channels(const json& channels) {
  if (!channels.is_object()) return;
  for (const auto& [name, sample] : channels.items()) {
    if (!sample.is_object()) continue;
    auto* reading = find_reading(name);
    if (!reading) continue;
    const auto& v = sample.value("value", json(nullptr));
    reading->value = v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
    reading->quality = sample.value("quality", "invalid");
    reading->time_ms = sample.value("time_ms", std::int64_t{0});
    if (name.ends_with("/voltage") && name.starts_with("battery/") && reading->fresh()) {
      const auto parts = split(name);
      auto* str = const_cast<StringView*>(find_string(to_int(parts[1])));
      auto& trend = str->batteries[to_int(parts[2]) - 1].voltage_trend;
      trend.push_back(reading->value);
      while (trend.size() > kTrendLength) trend.pop_front();
    }
  }
}

void SiteView::apply_alarms(const json& answer) {
  std::vector<AlarmView> alarms;
  if (answer.is_object() && answer.contains("alarms") && answer.at("alarms").is_array()) {
    for (const auto& a : answer.at("alarms")) {
      if (!a.is_object()) continue;
      AlarmView view;
      view.key = a.value("key", "");
      view.source = a.value("source", "");
      view.severity = a.value("severity", "");
      view.text = a.value("text", "");
      const auto& v = a.value("value", json(nullptr));
      if (v.is_number()) view.value = v.get<double>();
      view.since_ms = a.value("since_ms", std::int64_t{0});
      view.acknowledged = a.value("acknowledged", false);
      alarms.push_back(std::move(view));
    }
  }
  alarms_ = std::move(alarms);
}

const UpsView* SiteView::find_ups(int id) const {
  for (const auto& u : upses_) {
    if (u.id == id) return &u;
  }
  return nullptr;
}

const StringView* SiteView::find_string(int id) const {
  for (const auto& s : strings_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const BatteryView* SiteView::find_battery(int string_id, int position) const {
  const auto* str = find_string(string_id);
  if (!str || position < 1 || position > static_cast<int>(str->batteries.size())) return nullptr;
  return &str->batteries[position - 1];
}

int SiteView::alarms_of_string(int string_id) const {
  return static_cast<int>(std::count_if(alarms_.begin(), alarms_.end(), [&](const AlarmView& a) {
    return string_of_source(a.source) == string_id;
  }));
}

int SiteView::alarms_of_ups(int ups_id) const {
  const auto* ups = find_ups(ups_id);
  if (!ups) return 0;
  int n = 0;
  for (const int sid : ups->string_ids) n += alarms_of_string(sid);
  const std::string own = "ups/" + std::to_string(ups_id);
  for (const auto& a : alarms_) n += a.source == own ? 1 : 0;
  return n;
}

const AlarmView* SiteView::top_unacknowledged() const {
  const AlarmView* top = nullptr;
  for (const auto& a : alarms_) {
    if (a.acknowledged) continue;
    if (!top || severity_rank(a.severity) > severity_rank(top->severity)) top = &a;
  }
  return top;
}

int SiteView::unacknowledged() const {
  return static_cast<int>(std::count_if(alarms_.begin(), alarms_.end(),
                                        [](const AlarmView& a) { return !a.acknowledged; }));
}

}  // namespace btms::hmi
