// What the broker tests of the cloud link share: a link configured for a test broker on loopback
// (fast reconnects, a backlog sent quickly), the engine's side of the publication bus driven by
// the test, and a bounded wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cloud/cloud_link.hpp"
#include "engine/append_log.hpp"
#include "engine/step_publication.hpp"
#include "model/events.hpp"

namespace btms::cloud::test {

inline CloudConfig broker_test_config(int port, std::string client_id = "btms-test-gateway") {
  CloudConfig config;
  config.enabled = true;
  config.broker = {"127.0.0.1", port, false};
  config.site_id = "dc1";
  config.gateway_id = "gw1";
  config.client_id = std::move(client_id);
  config.reconnect_min_ms = 50;
  config.reconnect_max_ms = 200;
  config.backlog_messages_per_s = 2000;
  return config;
}

// The engine's side of the bus: the test publishes step bundles and appends events.
struct Bus {
  explicit Bus(std::size_t event_capacity = 1000)
      : events(std::make_shared<engine::AppendLog<model::Event>>(event_capacity)) {}
  std::shared_ptr<engine::StepPublication> publication =
      std::make_shared<engine::StepPublication>();
  std::shared_ptr<engine::AppendLog<model::Event>> events;
  std::uint64_t next_event_id = 1;
  CloudSources sources() const { return {publication, events, nullptr}; }
  // n notes stamped time_ms, with ids counting on from the last.
  void append_events(int n, std::int64_t time_ms) {
    std::vector<model::Event> batch;
    for (int i = 0; i < n; ++i) {
      model::Event e;
      e.id = next_event_id++;
      e.time_ms = time_ms;
      e.kind = model::EventKind::note;
      e.text = "event " + std::to_string(e.id);
      batch.push_back(e);
    }
    events->append(std::move(batch));
  }
};

inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace btms::cloud::test
