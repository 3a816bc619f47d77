#include "engine/alarm_restore.hpp"

#include <spdlog/spdlog.h>

namespace btms::engine {

std::unique_ptr<Engine> make_restored_engine(const model::Site& site,
                                             const model::PlantChannels& channels,
                                             EngineConfig config, const StoredEvents& stored,
                                             std::int64_t now_ms, RestorePolicy policy) {
  std::vector<model::Event> log;
  if (stored) {
    log = stored(now_ms - policy.span_ms, now_ms + 1, policy.max_events);
    // The id to continue from is the newest of all (an old log may hold only events outside
    // the span); 20 years is the whole life of a gateway.
    const auto newest = stored(now_ms - 20LL * 366 * 86'400'000, now_ms + 1, 1);
    if (!newest.empty()) config.first_event_id = newest.back().id + 1;
  }
  auto engine = std::make_unique<Engine>(site, channels, config);
  if (!log.empty()) {
    engine->restore(log);
    spdlog::info("engine: alarm state restored from {} stored events", log.size());
  }
  return engine;
}

}  // namespace btms::engine
