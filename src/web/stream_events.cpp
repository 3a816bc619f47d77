#include "web/stream_events.hpp"

#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine_service.hpp"
#include "web/history_handlers.hpp"

namespace btms::web {

StreamEventFeed::StreamEventFeed(std::shared_ptr<engine::EngineService> engine)
    : engine_(std::move(engine)) {
  if (!engine_) return;
  const auto existing = engine_->events_after(0, std::numeric_limits<std::size_t>::max());
  if (!existing.empty()) last_event_id_ = existing.back().id;
}

std::optional<std::string> StreamEventFeed::next_message() {
  if (!engine_) return std::nullopt;
  if (pending_.empty()) {
    const auto events = engine_->events_after(last_event_id_, kBatch);
    if (!events.empty()) {
      // The engine numbers its events one by one: a hole before the oldest one still kept is
      // what this client lost. (Without a first event there is nothing to count from.)
      if (last_event_id_ != 0 && events.front().id > last_event_id_ + 1) {
        pending_.push_back(nlohmann::json{
            {"type", "events_missed"},
            {"count", events.front().id - last_event_id_ -
                          1}}.dump());
      }
      last_event_id_ = events.back().id;
      // events_json is what /api/v1/events answers: the stream's events carry the same fields.
      const auto listed = nlohmann::json::parse(events_json(events, EventsQuery{}));
      for (const auto& event : listed.at("events")) {
        pending_.push_back(nlohmann::json{{"type", "event"}, {"event", event}}.dump(
            -1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
    }
  }
  if (!pending_.empty()) {
    auto message = std::move(pending_.front());
    pending_.pop_front();
    return message;
  }
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
