// Store and forward: every message the cloud link sends is first written here (SQLite, WAL, on
// the gateway's own disk) and deleted only when the broker acknowledged it (QoS 1 PUBACK), so a
// broker outage or a gateway crash loses nothing the outbox had room for.
//
// Bounded by rows, bytes and age. When a bound is passed the oldest telemetry goes first; alarms
// and events only when no telemetry is left. Every dropped message is counted.
//
// Message ids ("mid") increase and are never reused, even after the outbox was emptied: a
// consumer de-duplicates QoS 1's at-least-once delivery by (gateway, mid).
// One thread uses an Outbox (the cloud link's).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cloud/cloud_config.hpp"
#include "cloud/telemetry_tree.hpp"

struct sqlite3;

namespace btms::cloud {

struct StoredMessage {
  std::int64_t mid = 0;
  std::string topic;
  std::string payload;  // with "mid" inserted
  bool retain = false;
  MessageKind kind = MessageKind::telemetry;
  std::int64_t created_ms = 0;  // gateway clock
};

struct OutboxStats {
  std::int64_t rows = 0;
  std::int64_t bytes = 0;              // topics + payloads
  std::int64_t oldest_created_ms = 0;  // 0 when empty
  std::int64_t dropped_telemetry = 0;  // since this outbox was created (kept in the file)
  std::int64_t dropped_priority = 0;   // alarms and events
  std::int64_t newest_mid = 0;
};

// `{"a":1}` with mid 7 -> `{"mid":7,"a":1}`; an empty payload stays empty (a retained delete).
std::string with_message_id(const std::string& payload, std::int64_t mid);

class Outbox {
 public:
  Outbox(const std::string& path, OutboxLimits limits);  // throws std::runtime_error
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Stores the messages in one transaction (ids assigned in order), then enforces the bounds
  // (age measured against now_ms). Returns the ids given.
  std::vector<std::int64_t> add(const std::vector<OutgoingMessage>& messages, std::int64_t now_ms);
  // Messages with after_mid < mid <= up_to_mid, oldest first, at most max.
  std::vector<StoredMessage> read(std::int64_t after_mid, std::int64_t up_to_mid,
                                  std::size_t max) const;
  // Acknowledged by the broker: gone for good.
  void remove(const std::vector<std::int64_t>& mids);
  // Drops telemetry older than the age bound (also done by add()).
  void enforce_limits(std::int64_t now_ms);
  OutboxStats stats() const;
  std::int64_t newest_mid() const { return next_mid_ - 1; }  // 0 before the first message

 private:
  void exec(const char* sql) const;
  void drop_oldest(bool telemetry_only, std::int64_t count);
  void load_counters();
  void save_counters();

  sqlite3* db_ = nullptr;
  OutboxLimits limits_;
  std::int64_t next_mid_ = 1;
  std::int64_t rows_ = 0;
  std::int64_t bytes_ = 0;
  std::int64_t dropped_telemetry_ = 0;
  std::int64_t dropped_priority_ = 0;
};

}  // namespace btms::cloud
