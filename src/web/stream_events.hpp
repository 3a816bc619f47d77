// Engine events and alarm counts for one WebSocket stream client (docs/api.md "Live stream
// events"): {"type":"event","event":{...}} per event, same fields as /api/v1/events, and
// {"type":"alarms","count":N,"unacknowledged":M} whenever the counts differ from what this
// client was last sent. Pumped when the engine publishes a step (and after each write), one
// message at a time, so a slow client holds at most one small batch here. A client that fell
// behind the engine's recent-event ring is told how many it missed,
// {"type":"events_missed","count":N}, and finds them in /api/v1/events.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace btms::engine {
class EngineService;
}  // namespace btms::engine

namespace btms::web {

class StreamEventFeed {
 public:
  // engine may be null: then next_message() never has anything. Events that exist already
  // are not sent (a new client asks /api/v1/events for the past); the first message is the
  // current alarm counts.
  explicit StreamEventFeed(std::shared_ptr<engine::EngineService> engine);

  // The next message to send, or nullopt when the client is up to date.
  std::optional<std::string> next_message();

 private:
  static constexpr std::size_t kBatch = 16;  // events fetched per poll of the engine

  std::shared_ptr<engine::EngineService> engine_;
  std::uint64_t last_event_id_ = 0;  // newest event taken from the engine (0 = none yet)
  std::deque<std::string> pending_;  // at most kBatch event messages not yet sent
  bool counts_sent_ = false;
  std::size_t sent_count_ = 0;
  std::size_t sent_unacknowledged_ = 0;
};

}  // namespace btms::web
