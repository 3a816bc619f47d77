// A gateway's event as its stream and /api/v1/events write it (web/history_handlers.cpp
// events_json: id, time_ms, kind, severity, source, rule, text, user, value) read back into a
// model::Event, and the same event as the site's: its source under the gateway's name.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include <nlohmann/json.hpp>

#include "model/events.hpp"

namespace btms::aggregator {

// nullopt when the object lacks id, time_ms, kind, severity or source, or names a kind or
// severity this build does not know. A null value (the gateway's NaN) becomes NaN.
std::optional<model::Event> parse_gateway_event(const nlohmann::json& event);

// "hall-a" + "battery/3/17" -> "hall-a/battery/3/17"; an empty source is the gateway itself.
std::string site_source(std::string_view gateway, std::string_view source);

// Where a link is in its gateway's events, so a reconnect loses none and repeats none. The
// link's horizon is the newest gateway time it heard of (an event's, or a values message's
// time_ms); on reopening it asks the gateway for the events made since the horizon less an
// overlap (the stream's "events_since_ms", web/stream_events.hpp) and drops the ones in that
// overlap it relayed already. An event older than the overlap is relayed (a gateway whose clock
// stepped back): only exact repeats are dropped. One per link, on the link's thread.
class GatewayEventCursor {
 public:
  // Events come to the stream before the values of the same step; an overlap of seconds covers
  // a stream that lagged that much.
  static constexpr std::int64_t kOverlap_ms = 10'000;

  // A values message's gateway time: the link was up and following until then.
  void saw_gateway_time(std::int64_t gateway_time_ms);
  // What to ask for when a stream opens; nullopt when the link never heard from the gateway (a
  // new link asks for no past: it is in the gateway's /api/v1/events).
  std::optional<std::int64_t> reopen() const;
  // True (and remembered) when the event is new to this link; false for a repeat.
  bool admit(const model::Event& event);

  std::size_t remembered() const { return relayed_.size(); }  // bounded by the overlap

  // Kept across restarts of the aggregator (GatewayLink's cursor file), so what a gateway made
  // while the aggregator was down is caught up too: {"horizon_ms":..,"relayed":[[time_ms, id,
  // kind, source, rule], ...]}. from_json: nullopt and the reason for anything else.
  nlohmann::json to_json() const;
  static std::optional<GatewayEventCursor> from_json(const nlohmann::json& j, std::string& error);

 private:
  using Key = std::tuple<std::int64_t, std::uint64_t, int, std::string, std::string>;
  void advance(std::int64_t time_ms);  // moves the horizon, forgets what fell behind the overlap

  std::optional<std::int64_t> horizon_ms_;
  std::set<Key> relayed_;  // (time, id, kind, source, rule) of the events within the overlap
};

}  // namespace btms::aggregator
