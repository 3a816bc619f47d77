#include "aggregator/site_notify.hpp"

namespace btms::aggregator {

std::optional<notify::SiteNames::StringInfo> string_in_topology(const nlohmann::json& topology,
                                                                int string_id) {
  if (!topology.is_object()) return std::nullopt;
  const auto strings = topology.find("strings");
  if (strings == topology.end() || !strings->is_array()) return std::nullopt;
  for (const auto& s : *strings) {
    if (!s.is_object() || s.value("id", 0) != string_id) continue;
    notify::SiteNames::StringInfo info;
    info.name = s.value("name", "");
    info.ups_id = s.value("ups_id", 0);
    if (const auto upses = topology.find("upses"); upses != topology.end() && upses->is_array()) {
      for (const auto& u : *upses) {
        if (u.is_object() && u.value("id", 0) == info.ups_id) info.ups_name = u.value("name", "");
      }
    }
    return info;
  }
  return std::nullopt;
}

notify::SiteNames site_notify_names(const std::string& site_name,
                                    const std::vector<std::unique_ptr<GatewayLink>>& links) {
  notify::SiteNames names;
  names.site = site_name;
  std::vector<const GatewayLink*> by_order;
  for (const auto& link : links) {
    names.gateways.insert(link->entry().name);
    by_order.push_back(link.get());
  }
  names.gateway_string = [by_order](std::string_view gateway, int string_id) {
    for (const auto* link : by_order) {
      if (link->entry().name != gateway) continue;
      return link->read(
          [string_id](const GatewayData& g) { return string_in_topology(g.topology, string_id); });
    }
    return std::optional<notify::SiteNames::StringInfo>{};
  };
  return names;
}

std::unique_ptr<notify::Notifier> make_site_notifier(
    const notify::NotifySettings& settings, const std::string& site_name,
    const std::vector<std::unique_ptr<GatewayLink>>& links, const SiteEventLog& events,
    std::filesystem::path delivery_file, std::shared_ptr<const model::Clock> clock,
    notify::SenderFactory make_sender) {
  notify::NotifierSources sources;
  sources.events = events.log();
  // No engine and no published steps at the site: the notifier starts from the log's end and
  // follows it; a cursor that falls a whole log behind is logged (there is no list to re-read).
  sources.delivery_file = std::move(delivery_file);
  return std::make_unique<notify::Notifier>(settings, site_notify_names(site_name, links),
                                            std::move(sources), std::move(clock),
                                            std::move(make_sender));
}

}  // namespace btms::aggregator
