// What the aggregator holds of one gateway: the state of its link, when its data last arrived
// and the summaries it streams (UPS and string channels, the alarm list, the topology). Plain
// data, copied out of the link for the site view; per-battery values stay at the gateway and are
// fetched on demand.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace btms::aggregator {

enum class LinkState { connecting, online, offline };
std::string_view to_string(LinkState state);

struct GatewayData {
  std::string name;
  std::string url;
  LinkState state = LinkState::connecting;
  std::string detail;             // why the link is not up
  std::int64_t last_data_ms = 0;  // aggregator's clock, newest message (0 = never)
  // aggregator's clock, newest sign of life (a message or a pong to the link's ping): a gateway
  // with nothing new to say is still alive.
  std::int64_t last_seen_ms = 0;
  std::int64_t gateway_time_ms = 0;  // the gateway's clock in its newest values message
  nlohmann::json topology;           // its /api/v1/topology answer (null until read)
  nlohmann::json channels = nlohmann::json::object();  // "string/3/voltage" -> {value,...}
  // channel -> when it last arrived and how the site stream writes it
  // (aggregator/channel_changes.hpp)
  struct HeldChannel {
    std::uint64_t changed = 0;  // the value of `changes` when it last arrived
    // "\"<gateway>/<channel>\":{...}": the stream's JSON member, written once on arrival and
    // copied into every client's message as text.
    std::string member;
  };
  std::unordered_map<std::string, HeldChannel> channel_changed;
  nlohmann::json alarms;      // its /api/v1/alarms answer (null until read)
  std::uint64_t changes = 0;  // bumped on every change
};

}  // namespace btms::aggregator
