#include "aggregator/site_event_log.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "aggregator/gateway_event.hpp"

namespace btms::aggregator {

SiteEventLog::SiteEventLog(std::size_t capacity)
    : log_(std::make_shared<engine::AppendLog<model::Event>>(capacity)) {}

void SiteEventLog::append(model::Event event) {
  event.id = next_id_++;
  std::vector<model::Event> items;
  items.push_back(std::move(event));
  // The log's readers are only woken here (AppendLog::on_append): nothing of theirs runs on
  // the calling link's thread.
  log_->append(std::move(items));
}

bool SiteEventLog::add_gateway_event(std::string_view gateway, const nlohmann::json& event) {
  auto parsed = parse_gateway_event(event);
  if (!parsed) {
    spdlog::warn("aggregator: gateway {} sent an event that cannot be read: {}", gateway,
                 event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return false;
  }
  add_gateway_event(gateway, std::move(*parsed));
  return true;
}

void SiteEventLog::add_gateway_event(std::string_view gateway, model::Event event) {
  event.source = site_source(gateway, event.source);
  std::lock_guard lock(mutex_);
  append(std::move(event));
}

void SiteEventLog::add_events_missed(std::string_view gateway, std::uint64_t count,
                                     std::optional<std::int64_t> older_than_ms) {
  if (count == 0 && older_than_ms) {
    spdlog::warn(
        "aggregator: gateway {} had more events to catch up than one catch-up takes; those made "
        "before {} ms (Unix time) are in its /api/v1/events only",
        gateway, *older_than_ms);
    return;
  }
  std::uint64_t total = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = missed_.find(gateway);
    if (it == missed_.end()) it = missed_.emplace(std::string(gateway), 0).first;
    it->second += count;
    total = it->second;
  }
  spdlog::warn(
      "aggregator: gateway {} dropped {} events before its stream sent them ({} in all); its "
      "/api/v1/events has them",
      gateway, count, total);
}

void SiteEventLog::append_offline_alarm(std::string_view gateway, std::int64_t now_ms, bool offline,
                                        std::string text) {
  model::Event event;
  event.time_ms = now_ms;
  event.kind = offline ? model::EventKind::alarm_raised : model::EventKind::alarm_cleared;
  // A clear is info, as the gateway's engine writes one (engine/alarm_board.cpp).
  event.severity = offline ? model::Severity::alarm : model::Severity::info;
  event.source = std::string(gateway);
  event.rule = std::string(kGatewayOfflineRule);
  event.text = std::move(text);
  append(std::move(event));
}

void SiteEventLog::gateway_offline(std::string_view gateway, std::int64_t now_ms,
                                   std::string_view detail) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = offline_.try_emplace(std::string(gateway), false);
  if (it->second) return;
  it->second = true;
  append_offline_alarm(gateway, now_ms, true,
                       detail.empty() ? fmt::format("Gateway {} offline", gateway)
                                      : fmt::format("Gateway {} offline: {}", gateway, detail));
}

void SiteEventLog::gateway_online(std::string_view gateway, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  const auto it = offline_.find(gateway);
  if (it == offline_.end() || !it->second) return;
  it->second = false;
  append_offline_alarm(gateway, now_ms, false, fmt::format("Gateway {} back online", gateway));
}

std::uint64_t SiteEventLog::events_missed(std::string_view gateway) const {
  std::lock_guard lock(mutex_);
  const auto it = missed_.find(gateway);
  return it == missed_.end() ? 0 : it->second;
}

}  // namespace btms::aggregator
