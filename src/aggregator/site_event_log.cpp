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
  parsed->source = site_source(gateway, parsed->source);
  std::lock_guard lock(mutex_);
  append(std::move(*parsed));
  return true;
}

void SiteEventLog::add_events_missed(std::string_view gateway, std::uint64_t count) {
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

void SiteEventLog::gateway_offline(std::string_view gateway, std::int64_t now_ms,
                                   std::string_view detail) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = offline_.try_emplace(std::string(gateway), false);
  if (it->second) return;
  it->second = true;
  model::Event event;
  event.time_ms = now_ms;
  event.kind = model::EventKind::alarm_raised;
  event.severity = model::Severity::alarm;
  event.source = std::string(gateway);
  event.rule = std::string(kGatewayOfflineRule);
  event.text = detail.empty() ? fmt::format("Gateway {} offline", gateway)
                              : fmt::format("Gateway {} offline: {}", gateway, detail);
  append(std::move(event));
}

void SiteEventLog::gateway_online(std::string_view gateway, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  const auto it = offline_.find(gateway);
  if (it == offline_.end() || !it->second) return;
  it->second = false;
  model::Event event;
  event.time_ms = now_ms;
  event.kind = model::EventKind::alarm_cleared;
  // As the gateway's engine writes a clear (engine/alarm_board.cpp): info.
  event.severity = model::Severity::info;
  event.source = std::string(gateway);
  event.rule = std::string(kGatewayOfflineRule);
  event.text = fmt::format("Gateway {} back online", gateway);
  append(std::move(event));
}

std::uint64_t SiteEventLog::events_missed(std::string_view gateway) const {
  std::lock_guard lock(mutex_);
  const auto it = missed_.find(gateway);
  return it == missed_.end() ? 0 : it->second;
}

}  // namespace btms::aggregator
