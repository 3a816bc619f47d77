// Stable IDs and channel names (DESIGN.md "Topology and names"): ups/1, string/3,
// battery/3/17 (string 3, position 17 from the negative end), battery/3/17/voltage.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace btms::model {

std::string ups_id(int ups);
std::string string_id(int string);
std::string battery_id(int string, int position);
std::string ambient_id(int th_index);
// "<id>/<quantity>", e.g. channel_name(battery_id(3, 17), "voltage").
std::string channel_name(std::string_view id, std::string_view quantity);

// How people read a source: battery/3/17 -> "Battery 3/17", string/3 -> "String 3", ups/1 ->
// "UPS 1", mc/input/2 -> "MC input 2", lc/1/input/3 -> "LC 1 input 3", mc -> "Master
// controller"; anything else as is.
std::string source_label(std::string_view source);

struct ParsedBatteryId {
  int string = 0;
  int position = 0;
};
// Parses "battery/3/17" (no trailing quantity); nullopt when malformed or out of range.
std::optional<ParsedBatteryId> parse_battery_id(std::string_view id);

}  // namespace btms::model
