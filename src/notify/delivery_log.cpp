#include "notify/delivery_log.hpp"

#include "notify/delivery_file.hpp"

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

DeliveryLog::DeliveryLog(std::size_t capacity) : capacity_(capacity) {}

DeliveryLog::DeliveryLog(std::size_t capacity, const std::filesystem::path& file,
                         std::size_t file_rows)
    : capacity_(capacity), file_(std::make_unique<DeliveryFile>(file, file_rows)) {
  for (auto& d : file_->newest(capacity_)) entries_.push_back(std::move(d));
  next_id_ = file_->last_id() + 1;
  for (auto result : {DeliveryResult::sent, DeliveryResult::retrying, DeliveryResult::failed}) {
    counts_[static_cast<int>(result)] = file_->count(result);
  }
}

DeliveryLog::~DeliveryLog() = default;

void DeliveryLog::add(Delivery delivery) {
  const auto level =
      delivery.result == DeliveryResult::sent ? spdlog::level::info : spdlog::level::warn;
  spdlog::log(level, "notify: {} {} to {} (try {}): {}{}{}", channel_name(delivery.channel),
              result_name(delivery.result), delivery.recipient, delivery.attempt, delivery.subject,
              delivery.detail.empty() ? "" : " - ", delivery.detail);
  std::lock_guard lock(mutex_);
  delivery.id = next_id_++;
  ++counts_[static_cast<int>(delivery.result)];
  if (file_) {
    try {
      file_->append(delivery);
    } catch (const std::exception& e) {
      spdlog::error("notify: delivery {} not kept on disk: {}", delivery.id, e.what());
    }
  }
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
