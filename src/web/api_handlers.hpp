// REST handlers of /api/v1 and /metrics. They only read published snapshots and the site
// configuration; nothing here can delay acquisition.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "history/history_store.hpp"
#include "history/maintenance_log.hpp"
#include "model/clock.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"
#include "web/display_names.hpp"
#include "web/http_counters.hpp"
#include "web/router.hpp"

namespace btms::web {

struct ApiContext {
  std::shared_ptr<const model::SnapshotPublisher> plant;
  std::shared_ptr<const model::SnapshotPublisher> derived;  // may be null
  std::shared_ptr<const model::Site> site;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  const HttpCounters* counters = nullptr;
  std::shared_ptr<history::HistoryStore> history;  // null = none; its write failures show
  // The gateway's clock (values' ages are measured on the clock they were stamped with).
  std::shared_ptr<const model::Clock> clock = model::system_clock();
  // More Prometheus text from other parts (the cloud link's health), appended to /metrics.
  std::vector<std::function<std::string()>> extra_metrics;
  // Operators' display names of UPSs and strings over the site file's (null = none).
  std::shared_ptr<DisplayNames> names;
  // Battery replacements (the attention page judges a replaced battery from its replacement on;
  // null = none kept).
  std::shared_ptr<history::MaintenanceLog> maintenance;
};

// System time in Unix ms: for logins, sessions and the audit log, which are about real people
// and stay on real time. Data (ages, default ranges) takes the gateway's clock from its context.
std::int64_t unix_now_ms();

// A channel prefix a client may ask for: only [a-z0-9_/] (empty = everything).
bool is_valid_channel_prefix(std::string_view prefix);

// value as a JSON number at resolution (548.43, not 548.4300000000001; 2.25 V, not 2.250);
// the shortest exact form when resolution is 0; null when not finite.
void append_number(std::string& out, double value, double resolution);

std::string health_json(const ApiContext& ctx);
// names (may be null) override the site file's names of UPSs and strings.
std::string topology_json(const model::Site& site, const DisplayNames* names = nullptr);
// Channels of plant and derived whose names start with prefix; quality is always reported.
std::string live_json(const ApiContext& ctx, std::string_view prefix);
std::string metrics_text(const ApiContext& ctx);

// Adds /api/v1/health, /api/v1/topology, /api/v1/live and /metrics to router. ctx must outlive
// the router.
void add_api_routes(Router& router, const ApiContext& ctx);

}  // namespace btms::web
