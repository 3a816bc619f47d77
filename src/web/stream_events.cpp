#include "web/stream_events.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine_service.hpp"
#include "web/history_handlers.hpp"

namespace btms::web {

StreamEventFeed::StreamEventFeed(std::shared_ptr<engine::EngineService> engine,
                                 std::shared_ptr<const engine::AppendLog<model::Event>> event_log)
    : engine_(std::move(engine)), log_(std::move(event_log)) {
  if (log_) {
    first_live_ = log_->end();
    events_.emplace(log_, first_live_);
  }
}

void StreamEventFeed::catch_up(std::int64_t since_ms, const StoredEvents& stored) {
  if (caught_up_ || !log_) return;
  caught_up_ = true;
  since_ms_ = since_ms;
  // The ring's oldest event: what is older than it can only be in the store.
  const auto oldest = log_->read(0, 1);
  std::int64_t ring_from_ms = std::numeric_limits<std::int64_t>::max();
  if (!oldest.items.empty()) {
    ring_from_ms = oldest.items.front().time_ms;
    replay_ = oldest.next - 1;
  }
  if (stored && since_ms < ring_from_ms) {
    auto events = stored(since_ms, ring_from_ms, kCatchUpStoredMax);
    if (events.size() >= kCatchUpStoredMax) {
      // The store gave its newest: older ones since since_ms are left out, and the client
      // knows from when (they are in /api/v1/events).
      pending_.push_back(nlohmann::json{
          {"type", "events_missed"}, {"count", 0}, {"older_than_ms", events.front().time_ms}}
                             .dump());
    }
    stored_.assign(std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
  }
}

void StreamEventFeed::queue_events(const std::vector<model::Event>& events) {
  if (events.empty()) return;
  // events_json is what /api/v1/events answers: the stream's events carry the same fields.
  const auto listed = nlohmann::json::parse(events_json(events, EventsQuery{}));
  for (const auto& event : listed.at("events")) {
    pending_.push_back(nlohmann::json{{"type", "event"}, {"event", event}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

bool StreamEventFeed::take_catch_up() {
  if (!stored_.empty()) {
    const auto n = std::min(kBatch, stored_.size());
    std::vector<model::Event> batch(std::make_move_iterator(stored_.begin()),
                                    std::make_move_iterator(stored_.begin() + n));
    stored_.erase(stored_.begin(), stored_.begin() + n);
    queue_events(batch);
    return true;
  }
  // The ring's events made before this client connected (those after are the live cursor's).
  while (replay_ && *replay_ < first_live_) {
    const auto max =
        static_cast<std::size_t>(std::min<std::uint64_t>(kBatch, first_live_ - *replay_));
    auto batch = log_->read(*replay_, max);
    if (batch.items.empty()) {
      replay_.reset();  // gone from the ring meanwhile
      break;
    }
    replay_ = batch.next;
    std::erase_if(batch.items, [&](const model::Event& e) { return e.time_ms < since_ms_; });
    if (!batch.items.empty()) {
      queue_events(batch.items);
      return true;
    }
  }
  replay_.reset();
  return false;
}

std::optional<std::string> StreamEventFeed::next_message() {
  if (pending_.empty()) take_catch_up();
  if (pending_.empty() && events_ && events_->has_more()) {
    const auto batch = events_->next(kBatch);
    if (batch.missed > 0) {
      pending_.push_back(nlohmann::json{{"type", "events_missed"}, {"count", batch.missed}}.dump());
    }
    queue_events(batch.items);
  }
  if (!pending_.empty()) {
    auto message = std::move(pending_.front());
    pending_.pop_front();
    return message;
  }
  if (!engine_) return std::nullopt;
  const auto alarms = engine_->alarms();
  const std::size_t count = alarms ? alarms->alarms.size() : 0;
  std::size_t unacknowledged = 0;
  if (alarms) {
    for (const auto& alarm : alarms->alarms) {
      if (!alarm.acknowledged) ++unacknowledged;
    }
  }
  if (counts_sent_ && count == sent_count_ && unacknowledged == sent_unacknowledged_) {
    return std::nullopt;
  }
  counts_sent_ = true;
  sent_count_ = count;
  sent_unacknowledged_ = unacknowledged;
  return nlohmann::json{{"type", "alarms"}, {"count", count}, {"unacknowledged", unacknowledged}}
      .dump();
}

}  // namespace btms::web
