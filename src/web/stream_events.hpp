// Engine events and alarm counts for one WebSocket stream client (docs/api.md "Live stream
// events"): {"type":"event","event":{...}} per event, same fields as /api/v1/events, and
// {"type":"alarms","count":N,"unacknowledged":M} whenever the counts differ from what this
// client was last sent. Pumped when the engine publishes a step (and after each write), one
// message at a time, so a slow client holds at most one small batch here. Each client reads the
// engine's event log with a cursor of its own; one that fell behind the log's ring is told how
// many it missed, {"type":"events_missed","count":N}, and finds them in /api/v1/events.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "engine/append_log.hpp"
#include "model/events.hpp"

namespace btms::engine {
class EngineService;
}  // namespace btms::engine

namespace btms::web {

class StreamEventFeed {
 public:
  // engine (alarm counts) and event_log may be null: then that part never has anything. Events
  // that exist already are not sent (a new client asks /api/v1/events for the past); the first
  // message is the current alarm counts.
  StreamEventFeed(std::shared_ptr<engine::EngineService> engine,
                  std::shared_ptr<const engine::AppendLog<model::Event>> event_log);

  // The next message to send, or nullopt when the client is up to date.
  std::optional<std::string> next_message();

 private:
  static constexpr std::size_t kBatch = 16;  // events taken from the log at a time

  std::shared_ptr<engine::EngineService> engine_;
  std::optional<engine::LogCursor<model::Event>> events_;  // this client's place in the log
  std::deque<std::string> pending_;  // at most kBatch event messages not yet sent
  bool counts_sent_ = false;
  std::size_t sent_count_ = 0;
  std::size_t sent_unacknowledged_ = 0;
};

}  // namespace btms::web
