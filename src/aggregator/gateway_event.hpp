// A gateway's event as its stream and /api/v1/events write it (web/history_handlers.cpp
// events_json: id, time_ms, kind, severity, source, rule, text, user, value) read back into a
// model::Event, and the same event as the site's: its source under the gateway's name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/events.hpp"

namespace btms::aggregator {

// nullopt when the object lacks id, time_ms, kind, severity or source, or names a kind or
// severity this build does not know. A null value (the gateway's NaN) becomes NaN.
std::optional<model::Event> parse_gateway_event(const nlohmann::json& event);

// "hall-a" + "battery/3/17" -> "hall-a/battery/3/17"; an empty source is the gateway itself.
std::string site_source(std::string_view gateway, std::string_view source);

}  // namespace btms::aggregator
