// How the engine comes back after a restart: event ids continue after the newest stored one,
// and alarms raised (or latched) before the restart are active again with their
// acknowledgement, without being raised twice (Engine::restore). The stored log is read through
// a function so the engine does not depend on the history store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "engine/engine.hpp"
#include "model/events.hpp"

namespace btms::engine {

struct RestorePolicy {
  std::int64_t span_ms = 90LL * 86'400'000;  // alarm state is rebuilt from this much of the log
  std::size_t max_events = 10'000;
};

// The newest `limit` stored events with from_ms <= time_ms < to_ms, ascending time
// (HistoryStore::events).
using StoredEvents = std::function<std::vector<model::Event>(
    std::int64_t from_ms, std::int64_t to_ms, std::size_t limit)>;

// An engine for the site, restored from the stored events when there are any (stored may be
// empty: a fresh engine).
std::unique_ptr<Engine> make_restored_engine(const model::Site& site,
                                             const model::PlantChannels& channels,
                                             EngineConfig config, const StoredEvents& stored,
                                             std::int64_t now_ms, RestorePolicy policy = {});

}  // namespace btms::engine
