#include "aggregator/site_cloud_feed.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "aggregator/aggregator.hpp"
#include "aggregator/site_view.hpp"

namespace btms::aggregator {

namespace {

using nlohmann::json;

// "string/3/voltage" -> {"3", "voltage"}; false for anything else (UPS channels, deeper names).
bool split_string_channel(const std::string& name, std::string& string_id, std::string& quantity) {
  constexpr std::string_view kPrefix = "string/";
  if (!name.starts_with(kPrefix)) return false;
  const auto slash = name.find('/', kPrefix.size());
  if (slash == std::string::npos || slash == kPrefix.size()) return false;
  if (name.find('/', slash + 1) != std::string::npos || slash + 1 == name.size()) return false;
  string_id = name.substr(kPrefix.size(), slash - kPrefix.size());
  quantity = name.substr(slash + 1);
  return true;
}

}  // namespace

SiteCloudFeed::SiteCloudFeed(std::string site_name, int summary_interval_s, GatewaysFn gateways,
                             SubscribeFn subscribe)
    : site_name_(std::move(site_name)),
      interval_ms_(static_cast<std::int64_t>(summary_interval_s) * 1000),
      gateways_(std::move(gateways)),
      subscribe_(std::move(subscribe)) {}

model::PublishListeners::Subscription SiteCloudFeed::subscribe(std::function<void()> wake) {
  return subscribe_(std::move(wake));
}

std::vector<cloud::OutgoingMessage> SiteCloudFeed::messages_due(std::int64_t now_ms,
                                                                const std::string& prefix) {
  std::vector<cloud::OutgoingMessage> out;
  if (scanned_ms_ != 0 && now_ms - scanned_ms_ < kSiteFeedScan_ms) return out;
  scanned_ms_ = now_ms;
  gateways_([&](const GatewayData& g) {
    // What decides whether anything is due, first: cheap, and most wake-ups end here.
    const std::string state(to_string(g.state));
    const auto worst = worst_state(g, now_ms);
    auto& sent = sent_[g.name];
    const bool changed = sent.sent_ms == 0 || sent.state != state || sent.worst_state != worst;
    if (!changed && now_ms - sent.sent_ms < interval_ms_) return;
    sent = Sent{state, worst, now_ms};
    auto entry = gateway_summary_json(g, now_ms);

    const auto base = fmt::format("{}/gateway/{}", prefix, g.name);
    entry["time_ms"] = now_ms;
    out.push_back({base + "/status", entry.dump(), true, cloud::MessageKind::telemetry});

    const bool fresh = entry["fresh"].get<bool>();
    std::map<std::string, json> strings;  // string id -> its channels
    std::string string_id, quantity;
    for (const auto& [name, reading] : g.channels.items()) {
      if (!reading.is_object() || !split_string_channel(name, string_id, quantity)) continue;
      strings[string_id][quantity] =
          json{{"value", reading.value("value", json(nullptr))},
               {"quality", fresh ? reading.value("quality", std::string("stale")) : "stale"},
               {"time_ms", reading.value("time_ms", std::int64_t{0})}};
    }
    for (auto& [id, channels] : strings) {
      json payload{{"gateway", g.name},
                   {"string", id},
                   {"fresh", fresh},
                   {"time_ms", now_ms},
                   {"channels", std::move(channels)}};
      out.push_back({fmt::format("{}/string/{}/summary", base, id), payload.dump(), false,
                     cloud::MessageKind::telemetry});
    }
  });
  return out;
}

std::shared_ptr<SiteCloudFeed> make_site_cloud_feed(const Aggregator& aggregator,
                                                    int summary_interval_s) {
  return std::make_shared<SiteCloudFeed>(
      aggregator.site().site_name, summary_interval_s,
      [&aggregator](const SiteCloudFeed::GatewayVisitor& visit) {
        for (const auto& link : aggregator.links()) link->read(visit);
      },
      [&aggregator](std::function<void()> wake) {
        return aggregator.subscribe_changes(std::move(wake));
      });
}

}  // namespace btms::aggregator
