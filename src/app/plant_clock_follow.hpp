// btms gateway --plant-clock URL: the gateway follows the clock of a virtual plant running in
// another process (btms sim announces it at http://127.0.0.1:PORT/clock), so sample stamps,
// delays, rates, SOC integration and discharge records are in the plant's simulated time.
#pragma once

#include <memory>
#include <string>

#include "model/clock.hpp"

namespace btms::app {

// Reads the plant's clock once (now_unix_ms, speed) and returns a clock that runs on from it at
// the plant's speed. Throws std::runtime_error with the reason (bad URL, no answer, bad JSON).
std::shared_ptr<const model::Clock> follow_plant_clock(const std::string& url);

// The --speed check shared by btms sim and btms demo: a clear error outside 0.1..36000.
std::string check_speed(const std::string& text);

}  // namespace btms::app
