// Every try to deliver a notification: sent, retrying (with the reason of the failed try) or
// failed (after the last try, with the reason). The newest entries stay in memory for the web
// API; each is also written to the gateway's log. Thread-safe: channel workers add, the web
// server reads.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "notify/notify_settings.hpp"

namespace btms::notify {

enum class DeliveryResult : std::uint8_t { sent, retrying, failed };
const char* result_name(DeliveryResult result);
const char* channel_name(ChannelKind channel);

struct Delivery {
  std::uint64_t id = 0;      // 1, 2, 3, ... in the order written
  std::int64_t time_ms = 0;  // gateway clock
  std::string recipient;
  ChannelKind channel = ChannelKind::mail;
  std::string group;   // the incident (string/3), "test" for a test message
  std::string reason;  // first / update / repeat / escalation / recovery / test
  std::string subject;
  DeliveryResult result = DeliveryResult::sent;
  std::string detail;  // SMTP / HTTP status or error text
  int attempt = 1;
};

class DeliveryLog {
 public:
  explicit DeliveryLog(std::size_t capacity = 1000) : capacity_(capacity) {}
  void add(Delivery delivery);
  // Newest first, at most limit.
  std::vector<Delivery> newest(std::size_t limit) const;
  std::uint64_t count(DeliveryResult result) const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<Delivery> entries_;
  std::uint64_t next_id_ = 1;
  std::uint64_t counts_[3] = {0, 0, 0};
};

}  // namespace btms::notify
