// The site's alarm notifications ([notify] in the site file): the notifications part's own
// Notifier, reading the merged site event log (site_event_log.hpp) with its cursor, on its own
// thread. Sources are the gateways' under their names ("hall-a/battery/3/17", the group
// "hall-a/string/3", the gateway's own "hall-a:gateway_offline"); names come from each
// gateway's topology as its link last read it ("hall-a / String 3 "Row 3" of UPS 1").
//
// Alarms already active at the gateways when the aggregator starts are not told again (each
// gateway tells its own recipients); the site tells what happens from then on.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "aggregator/gateway_link.hpp"
#include "aggregator/site_event_log.hpp"
#include "notify/notifier.hpp"

namespace btms::aggregator {

// The links must outlive the names (their lookups read the links' data under their locks).
notify::SiteNames site_notify_names(const std::string& site_name,
                                    const std::vector<std::unique_ptr<GatewayLink>>& links);

// Looks a gateway's string up in its /api/v1/topology answer (strings[].id/name/ups_id,
// upses[].id/name); nullopt when the topology is not read yet or has no such string.
std::optional<notify::SiteNames::StringInfo> string_in_topology(const nlohmann::json& topology,
                                                                int string_id);

// delivery_file: where the delivery log and the outbox are kept ("" = in memory only).
std::unique_ptr<notify::Notifier> make_site_notifier(
    const notify::NotifySettings& settings, const std::string& site_name,
    const std::vector<std::unique_ptr<GatewayLink>>& links, const SiteEventLog& events,
    std::filesystem::path delivery_file, std::shared_ptr<const model::Clock> clock,
    notify::SenderFactory make_sender = nullptr);

}  // namespace btms::aggregator
