// btms aggregator (src/app/cmd_aggregator.cpp).
#pragma once

#include "app/commands.hpp"

namespace btms::app {

void register_aggregator(CLI::App& app, Registry& registry);

}  // namespace btms::app
