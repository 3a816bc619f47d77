// Operator and admin endpoints of /api/v1 that act on the engine: alarms (list, acknowledge),
// strings (reset/reconnect, open), resistance baselines, discharges, engine configuration
// (read, update with validation). Actions go through engine::EngineService (queued for the
// engine thread; the handlers wait at most action_timeout for the engine, so they are marked
// blocking and run on the worker pool, never on an io thread). Every action is audited.
// No Beast here.
#pragma once

#include <chrono>
#include <memory>

#include "engine/engine_service.hpp"
#include "engine/event_durability.hpp"
#include "history/history_store.hpp"
#include "history/maintenance_log.hpp"
#include "model/clock.hpp"
#include "model/topology.hpp"
#include "web/auth_handlers.hpp"
#include "web/router.hpp"

namespace btms::web {

inline constexpr std::size_t kMaxActionBody_bytes = 4096;
inline constexpr std::size_t kMaxTextChars = 500;  // comment, reason

struct OperatorContext {
  std::shared_ptr<engine::EngineService> engine;   // null = no engine (503)
  std::shared_ptr<history::HistoryStore> history;  // discharge records; null = 503
  // Battery replacements and notes (maintenance.db); null = 503 on /api/v1/maintenance.
  std::shared_ptr<history::MaintenanceLog> maintenance;
  AuthContext* auth = nullptr;  // who is acting, and the audit log
  // Strings and their battery counts (404 for unknown strings and positions, the battery
  // channels of a discharge export). Null: the engine's own "unknown string" answer decides.
  std::shared_ptr<const model::Site> site;
  // Longest wait for the engine to carry out an action (it takes at most one engine cycle);
  // after that the answer is 503 "engine busy" (the action stays queued).
  std::chrono::milliseconds action_timeout{2000};
  // Where the history recorder reports committed events. Set: an action that was carried out
  // is answered only once its events are committed to the history store (at most
  // durable_timeout more), so an acknowledgement answered "done" survives a crash; the answer
  // carries "durable": true/false. Null: answered without waiting ("durable" absent).
  std::shared_ptr<engine::EventDurability> durability;
  std::chrono::milliseconds durable_timeout{2000};
  // Discharges' default ranges and running durations follow the gateway's clock.
  std::shared_ptr<const model::Clock> clock = model::system_clock();
};

// ctx must outlive the router; its pointers may be set (before serving starts) after the routes
// are added.
void add_operator_routes(Router& router, const OperatorContext& ctx);

}  // namespace btms::web
