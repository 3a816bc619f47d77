// Engine events and alarm counts for one WebSocket stream client (docs/api.md "Live stream
// events"): {"type":"event","event":{...}} per event, same fields as /api/v1/events, and
// {"type":"alarms","count":N,"unacknowledged":M} whenever the counts differ from what this
// client was last sent. Pumped when the engine publishes a step (and after each write), one
// message at a time, so a slow client holds at most one small batch here. Each client reads the
// engine's event log with a cursor of its own; one that fell behind the log's ring is told how
// many it missed, {"type":"events_missed","count":N}, and finds them in /api/v1/events.
//
// A client that comes back (the aggregator after its link dropped) asks in its subscription for
// the events made since the newest it has (catch_up): the ones the ring no longer holds come
// from the history store, then the ring's, then the live ones, each event once.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
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

  // The history store's events with from_ms <= time_ms < to_ms, the newest `limit`, oldest
  // first (HistoryStore::events).
  using StoredEvents = std::function<std::vector<model::Event>(
      std::int64_t from_ms, std::int64_t to_ms, std::size_t limit)>;
  // At most this many events come from the store in a catch-up; when there are more, the
  // oldest are left out and the client is told so (events_missed, count 0, older_than_ms).
  static constexpr std::size_t kCatchUpStoredMax = 10'000;

  // Also sends the events made since `since_ms` before this client connected: those the ring
  // lost from `stored` (may be empty: then only the ring's), the ring's from since_ms on. Events
  // at since_ms itself are sent (the client drops the ones it has). Once per client; events
  // already sent to it are not repeated.
  void catch_up(std::int64_t since_ms, const StoredEvents& stored);

  // The next message to send, or nullopt when the client is up to date.
  std::optional<std::string> next_message();

 private:
  static constexpr std::size_t kBatch = 16;  // events taken from the log at a time

  // Queues the events' messages (pending_).
  void queue_events(const std::vector<model::Event>& events);
  // Takes the next batch of catch-up events (store first, then the ring); false when none left.
  bool take_catch_up();

  std::shared_ptr<engine::EngineService> engine_;
  std::shared_ptr<const engine::AppendLog<model::Event>> log_;
  std::optional<engine::LogCursor<model::Event>> events_;  // this client's place in the log
  std::uint64_t first_live_ = 0;  // log position of the first event made after it connected
  // A catch-up's events: from the store, then the ring's [replay_, first_live_) at or after
  // since_ms.
  std::deque<model::Event> stored_;
  std::optional<std::uint64_t> replay_;
  std::int64_t since_ms_ = 0;
  bool caught_up_ = false;           // catch_up was called
  std::deque<std::string> pending_;  // at most kBatch event messages not yet sent
  bool counts_sent_ = false;
  std::size_t sent_count_ = 0;
  std::size_t sent_unacknowledged_ = 0;
};

}  // namespace btms::web
