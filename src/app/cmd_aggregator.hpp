// btms aggregator (src/app/cmd_aggregator.cpp).
#pragma once

#include "app/commands.hpp"

namespace btms::aggregator {
class Aggregator;
}

namespace btms::app {

void register_aggregator(CLI::App& app, Registry& registry);
// Prints where the site SCADA endpoint serves the site and each gateway (nothing when it is
// off); `btms demo --gateways N` prints the same lines.
void print_site_scada(const aggregator::Aggregator& agg);

}  // namespace btms::app
