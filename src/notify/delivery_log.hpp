// Every try to deliver a notification: sent, retrying (with the reason of the failed try) or
// failed (after the last try, with the reason). The newest entries stay in memory for the web
// API; each is also written to the gateway's log and, given a file, to SQLite (notify.db in the
// data directory), so the log and its counts survive a restart. Thread-safe: channel workers
// add, the web server reads.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
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

class DeliveryFile;

class DeliveryLog {
 public:
  // In memory only.
  explicit DeliveryLog(std::size_t capacity = 1000);
  // Kept in `file` too (created when missing, its schema brought forward): the newest
  // `capacity` entries and the counts are read back from it; it keeps at most `file_rows`
  // rows (the oldest go). Throws std::runtime_error naming the file when it cannot be used.
  DeliveryLog(std::size_t capacity, const std::filesystem::path& file,
              std::size_t file_rows = 100'000);
  ~DeliveryLog();
  DeliveryLog(const DeliveryLog&) = delete;
  DeliveryLog& operator=(const DeliveryLog&) = delete;

  // A delivery the file cannot take is still kept in memory and logged (the failure with it):
  // a full disk must not stop notifications.
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
  std::unique_ptr<DeliveryFile> file_;  // null: memory only
};

}  // namespace btms::notify
