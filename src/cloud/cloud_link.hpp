// The cloud link: a consumer of the publication bus that sends the gateway's data, alarms and
// events to an MQTT broker, with nothing lost while the broker is out of reach.
//
// On its own thread it waits (eventfd woken by each published step and appended event, the
// broker's socket, and its own timed duties: keep-alive, reconnect, backlog pacing), turns what
// was published into messages (TelemetryTree), writes them to the outbox first, publishes them
// at QoS 1 and deletes each from the outbox on its PUBACK. It never calls the engine and the
// engine never waits for it.
//
// After an outage the backlog (what was in the outbox at the moment of connecting) goes out in
// order at backlog_messages_per_s while new messages go out at once, so live data is not
// starved behind an hour of history.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cloud/cloud_config.hpp"
#include "cloud/outbox.hpp"
#include "cloud/site_feed.hpp"
#include "engine/append_log.hpp"
#include "engine/step_publication.hpp"
#include "model/clock.hpp"
#include "model/events.hpp"
#include "model/topology.hpp"

namespace btms::cloud {

struct CloudSources {
  // The gateway's steps; null for a site's link (a SiteFeed gives the values instead).
  std::shared_ptr<const engine::StepPublication> publication;
  std::shared_ptr<const engine::AppendLog<model::Event>> events;
  // Where "broker unreachable" goes as a warning alarm (a SetSystemCondition, never waited
  // for); null = not raised.
  std::shared_ptr<engine::EngineService> engine;
};

struct CloudHealth {
  bool connected = false;
  std::int64_t connects = 0;          // CONNACKs accepted
  std::int64_t connect_failures = 0;  // attempts that failed or were refused
  std::int64_t published = 0;         // QoS 1 publishes handed to the socket (resends included)
  std::int64_t acknowledged = 0;      // PUBACKs
  std::int64_t last_ack_ms = 0;       // gateway clock; 0 = none yet
  std::int64_t disconnected_since_ms = 0;  // gateway clock; 0 while connected
  std::int64_t events_missed = 0;          // events lost from the engine's ring before we read them
  std::int64_t home_assistant_republished = 0;  // config sets sent again on "homeassistant/status"
  OutboxStats outbox;
  std::string last_error;
};

class CloudLink {
 public:
  // outbox_path: the SQLite file (created when absent), normally <data_dir>/cloud-outbox.db.
  CloudLink(CloudConfig config, const model::Site& site, CloudSources sources,
            std::string outbox_path, std::shared_ptr<const model::Clock> clock);
  // A site's link (the aggregator): the feed's messages take the place of TelemetryTree::on_step,
  // events come from `events`. JSON only: start() refuses Sparkplug and Home Assistant, which
  // describe one gateway's strings and batteries.
  CloudLink(CloudConfig config, std::shared_ptr<SiteFeed> site_feed,
            std::shared_ptr<const engine::AppendLog<model::Event>> events, std::string outbox_path,
            std::shared_ptr<const model::Clock> clock);
  ~CloudLink();
  CloudLink(const CloudLink&) = delete;
  CloudLink& operator=(const CloudLink&) = delete;

  void start();  // throws std::runtime_error when the outbox cannot be opened
  // Publishes the retained "offline", disconnects cleanly and joins the thread. What was not yet
  // acknowledged stays in the outbox for the next start.
  void stop();
  // stop() for a link that is replaced or turned off while the gateway runs: its warning
  // cloud_broker_unreachable, when raised, is cleared (no link of these settings is left to
  // clear it on a connect). A gateway that stops leaves it as it is.
  void retire();

  CloudHealth health() const;
  // Prometheus text of health() (btms_cloud_*), for /metrics.
  std::string metrics_text() const;
  const std::string& topic_prefix() const { return prefix_; }

 private:
  void run_with(Outbox& outbox, std::uint64_t first_event);
  void wake();

  CloudConfig config_;
  std::shared_ptr<const model::Site> site_;
  CloudSources sources_;
  std::shared_ptr<SiteFeed> site_feed_;  // null: a gateway's link
  std::string outbox_path_;
  std::shared_ptr<const model::Clock> clock_;
  std::string prefix_;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> retiring_{false};
  std::thread thread_;
  mutable std::mutex health_mutex_;
  CloudHealth health_;
};

}  // namespace btms::cloud
