// A source of messages for a cloud link that has no engine of its own: the aggregator's site
// (aggregator/site_cloud_feed.hpp). It stands in for the step publication and TelemetryTree's
// on_step; events still come from the link's event log.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cloud/telemetry_tree.hpp"
#include "model/publish_listeners.hpp"

namespace btms::cloud {

class SiteFeed {
 public:
  virtual ~SiteFeed() = default;
  // wake is called (from any thread; it must only signal) whenever messages may have become
  // due; the calls end when the subscription is reset or destroyed.
  [[nodiscard]] virtual model::PublishListeners::Subscription subscribe(
      std::function<void()> wake) = 0;
  // The messages due now under the link's topic prefix (btms/<site_id>/<gateway_id>). Called on
  // the link's thread only, at least once a second.
  virtual std::vector<OutgoingMessage> messages_due(std::int64_t now_ms,
                                                    const std::string& prefix) = 0;
};

}  // namespace btms::cloud
