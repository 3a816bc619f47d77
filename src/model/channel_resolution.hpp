// The resolution of every channel: the smallest step its source can show (1 mV for a battery
// voltage, 0.1 °C for a temperature, 1 for a state). The history store keeps a sample only when
// it changed at this resolution (or as a heartbeat), the live stream sends only such changes,
// and the API prints numbers at it (548.43, not 548.4300000000001).
//
// Plant channels take the scale of the register they are read from (src/devices/register_map);
// channels the engine derives (src/model/derived_channels.hpp) take the table in
// channel_resolution.cpp, which must grow with them.
#pragma once

#include <string_view>

namespace btms::model {

// The resolution of the channel named `name` (e.g. "battery/3/17/voltage" -> 0.001), or 0 when
// it is not known: then every change counts and numbers are printed in full.
double channel_resolution(std::string_view name);

// value rounded to resolution (unchanged when resolution is 0 or value not finite).
double round_to_resolution(double value, double resolution);

// Whether a and b differ at resolution: they round to different steps (any difference when
// resolution is 0; NaN equals NaN).
bool differs_at_resolution(double a, double b, double resolution);

// Decimal places that show resolution exactly (0.001 -> 3, 0.1 -> 1, 1 -> 0); 0 when unknown.
int resolution_decimals(double resolution);

}  // namespace btms::model
