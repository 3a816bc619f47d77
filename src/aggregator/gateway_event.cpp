#include "aggregator/gateway_event.hpp"

#include <algorithm>
#include <limits>

namespace btms::aggregator {

namespace {

// Compared with model::to_string, so a kind or severity added to the model is read without a
// second spelling here.
std::optional<model::EventKind> kind_named(std::string_view name) {
  for (int k = 0; k <= static_cast<int>(model::EventKind::config_changed); ++k) {
    const auto kind = static_cast<model::EventKind>(k);
    if (model::to_string(kind) == name) return kind;
  }
  return std::nullopt;
}

std::optional<model::Severity> severity_named(std::string_view name) {
  for (int s = 0; s <= static_cast<int>(model::Severity::trip); ++s) {
    const auto severity = static_cast<model::Severity>(s);
    if (model::to_string(severity) == name) return severity;
  }
  return std::nullopt;
}

std::string text_field(const nlohmann::json& event, const char* key) {
  const auto it = event.find(key);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::optional<model::Event> parse_gateway_event(const nlohmann::json& event) {
  if (!event.is_object()) return std::nullopt;
  const auto id = event.find("id");
  const auto time = event.find("time_ms");
  const auto kind = event.find("kind");
  const auto severity = event.find("severity");
  const auto source = event.find("source");
  if (id == event.end() || !id->is_number_unsigned() || time == event.end() ||
      !time->is_number_integer() || kind == event.end() || !kind->is_string() ||
      severity == event.end() || !severity->is_string() || source == event.end() ||
      !source->is_string()) {
    return std::nullopt;
  }
  const auto k = kind_named(kind->get<std::string>());
  const auto s = severity_named(severity->get<std::string>());
  if (!k || !s) return std::nullopt;
  model::Event out;
  out.id = id->get<std::uint64_t>();
  out.time_ms = time->get<std::int64_t>();
  out.kind = *k;
  out.severity = *s;
  out.source = source->get<std::string>();
  out.rule = text_field(event, "rule");
  out.text = text_field(event, "text");
  out.user = text_field(event, "user");
  const auto value = event.find("value");
  out.value = value != event.end() && value->is_number() ? value->get<double>()
                                                         : std::numeric_limits<double>::quiet_NaN();
  return out;
}

std::string site_source(std::string_view gateway, std::string_view source) {
  std::string out(gateway);
  if (!source.empty()) {
    out += '/';
    out += source;
  }
  return out;
}

void GatewayEventCursor::advance(std::int64_t time_ms) {
  if (horizon_ms_ && time_ms <= *horizon_ms_) return;
  horizon_ms_ = time_ms;
  // Ordered by time first: what fell behind the overlap is at the front.
  const auto keep_from = *horizon_ms_ - kOverlap_ms;
  while (!relayed_.empty() && std::get<0>(*relayed_.begin()) < keep_from) {
    relayed_.erase(relayed_.begin());
  }
}

void GatewayEventCursor::saw_gateway_time(std::int64_t gateway_time_ms) {
  advance(gateway_time_ms);
}

std::optional<std::int64_t> GatewayEventCursor::reopen() const {
  if (!horizon_ms_) return std::nullopt;
  return std::max<std::int64_t>(0, *horizon_ms_ - kOverlap_ms);
}

nlohmann::json GatewayEventCursor::to_json() const {
  nlohmann::json relayed = nlohmann::json::array();
  for (const auto& [time_ms, id, kind, source, rule] : relayed_) {
    relayed.push_back(nlohmann::json::array({time_ms, id, kind, source, rule}));
  }
  return nlohmann::json{{"horizon_ms", horizon_ms_ ? nlohmann::json(*horizon_ms_) : nullptr},
                        {"relayed", std::move(relayed)}};
}

std::optional<GatewayEventCursor> GatewayEventCursor::from_json(const nlohmann::json& j,
                                                                std::string& error) {
  GatewayEventCursor cursor;
  if (!j.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  const auto horizon = j.find("horizon_ms");
  if (horizon == j.end() || !(horizon->is_null() || horizon->is_number_integer())) {
    error = "horizon_ms must be a time in Unix ms or null";
    return std::nullopt;
  }
  if (horizon->is_number_integer()) cursor.horizon_ms_ = horizon->get<std::int64_t>();
  const auto relayed = j.find("relayed");
  if (relayed == j.end() || !relayed->is_array()) {
    error = "relayed must be a list";
    return std::nullopt;
  }
  for (const auto& r : *relayed) {
    if (!r.is_array() || r.size() != 5 || !r[0].is_number_integer() || !r[1].is_number_unsigned() ||
        !r[2].is_number_integer() || !r[3].is_string() || !r[4].is_string()) {
      error = "relayed holds [time_ms, id, kind, source, rule] entries";
      return std::nullopt;
    }
    cursor.relayed_.emplace(r[0].get<std::int64_t>(), r[1].get<std::uint64_t>(), r[2].get<int>(),
                            r[3].get<std::string>(), r[4].get<std::string>());
  }
  return cursor;
}

bool GatewayEventCursor::admit(const model::Event& event) {
  Key key{event.time_ms, event.id, static_cast<int>(event.kind), event.source, event.rule};
  if (horizon_ms_ && event.time_ms < *horizon_ms_ - kOverlap_ms) return true;  // never asked again
  if (!relayed_.insert(std::move(key)).second) return false;
  advance(event.time_ms);
  return true;
}

}  // namespace btms::aggregator
