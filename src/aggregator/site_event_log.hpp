// The site's merged event log: every gateway's events (from its link's stream) and the
// aggregator's own gateway-offline alarm, in one engine::AppendLog<model::Event> that the
// site's consumers (notifications, cloud link) read with cursors of their own, as a gateway's
// consumers read its engine's log.
//
// A gateway event keeps its time, kind, severity, rule, text, user and value; its source gets
// the gateway's name in front ("hall-a/battery/3/17") and its id is the site's (increasing over
// the whole site). A link that comes back asks its gateway for the events made since the newest
// it relayed (GatewayEventCursor), so what a gateway made while its link was down is appended
// then, once; what it made before the aggregator's first link to it is not (its own
// /api/v1/events keeps that). Appending only signals the log's readers: it is called from the
// links' threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/append_log.hpp"
#include "model/events.hpp"

namespace btms::aggregator {

// The rule of the aggregator's own alarm on a gateway whose link went down (site_view.hpp
// lists it as "<gateway>:gateway_offline").
inline constexpr std::string_view kGatewayOfflineRule = "gateway_offline";

class SiteEventLog {
 public:
  explicit SiteEventLog(std::size_t capacity = 4096);

  std::shared_ptr<const engine::AppendLog<model::Event>> log() const { return log_; }

  // One {"type":"event","event":{...}} message's event from the named gateway; false (and
  // logged) when it cannot be read.
  bool add_gateway_event(std::string_view gateway, const nlohmann::json& event);
  // The same event already read (parse_gateway_event), as the gateway wrote it.
  void add_gateway_event(std::string_view gateway, model::Event event);
  // The gateway told its stream client that it lost `count` events before sending them: they
  // are counted and logged, never made up (its /api/v1/events has them). A catch-up that left
  // out an unknown number of events older than older_than_ms (count 0) is logged as such.
  void add_events_missed(std::string_view gateway, std::uint64_t count,
                         std::optional<std::int64_t> older_than_ms = std::nullopt);
  // The link to the gateway went down after having been up / came back: the site alarm
  // "<gateway>:gateway_offline" is raised / cleared as an event. Repeats change nothing.
  void gateway_offline(std::string_view gateway, std::int64_t now_ms, std::string_view detail);
  void gateway_online(std::string_view gateway, std::int64_t now_ms);

  std::uint64_t events_missed(std::string_view gateway) const;

 private:
  void append(model::Event event);  // under mutex_: ids in log order
  // Raises (offline) or clears the gateway's offline alarm, under mutex_.
  void append_offline_alarm(std::string_view gateway, std::int64_t now_ms, bool offline,
                            std::string text);

  std::shared_ptr<engine::AppendLog<model::Event>> log_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::string, std::uint64_t, std::less<>> missed_;  // per gateway
  std::map<std::string, bool, std::less<>> offline_;          // alarm raised, per gateway
};

}  // namespace btms::aggregator
