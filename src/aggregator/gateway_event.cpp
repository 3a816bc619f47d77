#include "aggregator/gateway_event.hpp"

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

}  // namespace btms::aggregator
