// Home Assistant MQTT discovery (docs/cloud.md): retained config messages that make every
// string and battery of the gateway appear in Home Assistant as sensors, reading the JSON topic
// tree the link already publishes (no second copy of the values).
//
//   <ha_prefix>/sensor/<node>/<object>/config         UPS current, strings in error;
//                                                     string voltage, current, SOC, balance;
//                                                     battery voltage, temperature, resistance,
//                                                     SOC, SOH
//   <ha_prefix>/binary_sensor/<node>/<object>/config  UPS and string alarm (class problem),
//                                                     gateway link (connectivity)
//
// node = btms_<site_id>_<gateway_id>; devices: the gateway, each UPS (via the gateway), each
// string (via its UPS). Every sensor is unavailable when the gateway's retained status says
// "offline", and a value whose quality is not "ok" renders as None (Home Assistant: unknown):
// a stale value never shows as a fresh one. Entities expire after three of their intervals
// without a message.
//
// Pure: the site and the settings in, messages out. Removal: a config topic published before
// and absent now (a string or batteries taken out of the site file) gets an empty retained
// message, which deletes the entity in Home Assistant.
#pragma once

#include <string>
#include <vector>

#include "cloud/cloud_config.hpp"
#include "cloud/telemetry_tree.hpp"
#include "model/topology.hpp"

namespace btms::cloud {

// All config messages of the site (retained, kind alarm so a full outbox drops them last but
// one).
std::vector<OutgoingMessage> home_assistant_configs(const CloudConfig& config,
                                                    const model::Site& site);

// Empty retained messages for each topic in `before` that is not a topic of `now`.
std::vector<OutgoingMessage> home_assistant_removals(const std::vector<std::string>& before,
                                                     const std::vector<OutgoingMessage>& now);

// The list of config topics kept between starts (one per line) next to the outbox; a missing
// file is an empty list. write throws std::runtime_error.
std::vector<std::string> read_topic_list(const std::string& path);
void write_topic_list(const std::string& path, const std::vector<OutgoingMessage>& messages);

}  // namespace btms::cloud
