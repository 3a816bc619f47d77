#include "notify/delivery_log.hpp"

#include <spdlog/spdlog.h>

namespace btms::notify {

const char* result_name(DeliveryResult result) {
  switch (result) {
    case DeliveryResult::sent:
      return "sent";
    case DeliveryResult::retrying:
      return "retrying";
    case DeliveryResult::failed:
      return "failed";
  }
  return "?";
}

const char* channel_name(ChannelKind channel) {
  switch (channel) {
    case ChannelKind::mail:
      return "mail";
    case ChannelKind::webhook:
      return "webhook";
    case ChannelKind::snmp:
      return "snmp";
  }
  return "?";
}

void DeliveryLog::add(Delivery delivery) {
  const auto level =
      delivery.result == DeliveryResult::sent ? spdlog::level::info : spdlog::level::warn;
  spdlog::log(level, "notify: {} {} to {} (try {}): {}{}{}", channel_name(delivery.channel),
              result_name(delivery.result), delivery.recipient, delivery.attempt, delivery.subject,
              delivery.detail.empty() ? "" : " - ", delivery.detail);
  std::lock_guard lock(mutex_);
  delivery.id = next_id_++;
  ++counts_[static_cast<int>(delivery.result)];
  entries_.push_back(std::move(delivery));
  while (entries_.size() > capacity_) entries_.pop_front();
}

std::vector<Delivery> DeliveryLog::newest(std::size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<Delivery> out;
  for (auto it = entries_.rbegin(); it != entries_.rend() && out.size() < limit; ++it) {
    out.push_back(*it);
  }
  return out;
}

std::uint64_t DeliveryLog::count(DeliveryResult result) const {
  std::lock_guard lock(mutex_);
  return counts_[static_cast<int>(result)];
}

}  // namespace btms::notify
