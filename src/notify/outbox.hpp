// Messages not yet delivered, kept in notify.db so a restart (clean or not) loses none of them:
// a message is written before its first try, its try count updated after each failed try, and
// it is removed when it was delivered or given up (last try failed, refused, dropped). At the
// next start the notifier hands what is left to the recipients' workers, oldest first, marked
// late. Thread-safe: every channel worker writes, the notifier reads at start.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "notify/notification.hpp"

namespace btms::notify {

struct UnsentMessage {
  std::uint64_t row = 0;  // the outbox row: the send order
  Notification message;
  std::int64_t queued_ms = 0;  // gateway clock when it was queued
  int attempts_done = 0;       // tries made before the stop
};

// The whole notification as JSON and back (texts, alarms, id), as the outbox keeps it.
std::string notification_json(const Notification& n);
Notification notification_from_json(const std::string& text);

// "btms-" and 16 random hex digits.
std::string new_message_id();

class Outbox {
 public:
  // Opens (or creates) the file and brings its schema forward. Throws std::runtime_error naming
  // the file when it cannot be used.
  explicit Outbox(const std::filesystem::path& file);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Writes the message (committed when this returns); returns its row.
  std::uint64_t keep(const Notification& n, std::int64_t queued_ms);
  void tried(std::uint64_t row, int attempts_done);
  void remove(std::uint64_t row);
  // Oldest first.
  std::vector<UnsentMessage> unsent() const;
  std::size_t size() const;

 private:
  struct Impl;
  mutable std::mutex mutex_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace btms::notify
