// The site's values for the cloud link (cloud/site_feed.hpp): what the aggregator holds of each
// gateway, as MQTT messages under the link's prefix (btms/<site_id>/<gateway_id>):
//
//   <prefix>/gateway/<gw>/status            retained: the gateway's entry of the site summary
//                                           (state, fresh, worst_state, data age, counts)
//   <prefix>/gateway/<gw>/string/<s>/summary  the gateway's string/<s>/ channels, each with
//                                           value, quality and time; quality "stale" while the
//                                           gateway is not fresh
//
// A gateway's messages go out when its link state or worst state changes (within
// kSiteFeedScan_ms), else every summary interval. Events are not here: the link reads the site
// event log itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aggregator/gateway_data.hpp"
#include "cloud/site_feed.hpp"

namespace btms::aggregator {

class Aggregator;

// The gateways are looked at no more often than this: the feed is woken with every gateway
// message (16 full gateways: about 530 a second), and a state change a fifth of a second late
// costs nothing at the cloud. The link's own service turn (1 s) brings a later look.
inline constexpr std::int64_t kSiteFeedScan_ms = 200;

class SiteCloudFeed : public cloud::SiteFeed {
 public:
  // visit_gateways: calls its argument with each gateway's data in turn (under the link's lock:
  // no copy; the feed is woken with every gateway message, so it reads only what is due);
  // subscribe: registers a wake-up called after any gateway's data changed.
  using GatewayVisitor = std::function<void(const GatewayData&)>;
  using GatewaysFn = std::function<void(const GatewayVisitor&)>;
  using SubscribeFn = std::function<model::PublishListeners::Subscription(std::function<void()>)>;
  SiteCloudFeed(std::string site_name, int summary_interval_s, GatewaysFn gateways,
                SubscribeFn subscribe);

  model::PublishListeners::Subscription subscribe(std::function<void()> wake) override;
  std::vector<cloud::OutgoingMessage> messages_due(std::int64_t now_ms,
                                                   const std::string& prefix) override;

 private:
  struct Sent {
    std::string state, worst_state;
    std::int64_t sent_ms = 0;
  };
  std::string site_name_;
  std::int64_t interval_ms_;
  GatewaysFn gateways_;
  SubscribeFn subscribe_;
  std::map<std::string, Sent> sent_;  // by gateway name
  std::int64_t scanned_ms_ = 0;       // when the gateways were last looked at
};

// The feed over a running aggregator's links, woken by its changes.
std::shared_ptr<SiteCloudFeed> make_site_cloud_feed(const Aggregator& aggregator,
                                                    int summary_interval_s);

}  // namespace btms::aggregator
