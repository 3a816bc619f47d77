#include "web/stream_events.hpp"

#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine_service.hpp"
#include "web/history_handlers.hpp"

namespace btms::web {

StreamEventFeed::StreamEventFeed(std::shared_ptr<engine::EngineService> engine,
                                 std::shared_ptr<const engine::AppendLog<model::Event>> event_log)
    : engine_(std::move(engine)) {
  if (event_log) {
    const auto end = event_log->end();
    events_.emplace(std::move(event_log), end);
  }
}

std::optional<std::string> StreamEventFeed::next_message() {
  if (pending_.empty() && events_ && events_->has_more()) {
    const auto batch = events_->next(kBatch);
    if (batch.missed > 0) {
      pending_.push_back(nlohmann::json{{"type", "events_missed"}, {"count", batch.missed}}.dump());
    }
    const auto& events = batch.items;
    if (!events.empty()) {
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
