// The history store: every channel's raw samples (compressed chunks), minute and hour rollups,
// the event log and discharge records. Backend-neutral interface: SQLite (sqlite_store.cpp,
// the default) and PostgreSQL for large installs (postgres_store.cpp); both take the same calls
// and throw the same errors, and share their logic in queued_store.cpp.
//
// append()/append_event() never block the caller (the acquisition -> engine loop must never
// wait on a consumer): they push onto a bounded queue drained by the store's writer thread;
// when the queue is full the item is dropped and counted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/discharge_record.hpp"
#include "model/events.hpp"
#include "model/snapshot.hpp"

namespace btms::history {

struct Bucket {
  std::int64_t time_ms = 0;  // start of the bucket
  double min = 0.0;
  double max = 0.0;
  double mean = 0.0;
  std::uint64_t count =
      0;  // samples of quality ok in the bucket (buckets without any are left out)
};

enum class Tier { raw, minute, hour };

struct ChannelSeries {
  std::string channel;
  Tier tier = Tier::raw;  // which stored tier answered
  std::int64_t bucket_ms = 0;
  std::vector<Bucket> buckets;  // ascending time
};

struct HistoryStats {
  std::uint64_t values_written = 0;  // raw samples taken into the store
  std::uint64_t chunks_written = 0;  // closed (final) chunks
  std::uint64_t events_written = 0;
  std::uint64_t bytes_on_disk = 0;      // database file plus its write-ahead log
  std::uint64_t snapshots_dropped = 0;  // queue full
  std::uint64_t events_dropped = 0;     // queue full
  // Samples not stored because they did not change at the channel's resolution (nor were due
  // as a heartbeat): values_written + values_unchanged = every new sample offered.
  std::uint64_t values_unchanged = 0;
  std::uint64_t values_dropped = 0;  // points given up after writes kept failing
  std::uint64_t write_failures = 0;  // commits that failed (each is retried)
  // Memory the writer holds for data not sealed yet: open chunks' encoders, points awaiting
  // the journal, sealed chunks awaiting a commit. Bounded by the channel count, not by time.
  std::uint64_t buffered_bytes = 0;
};

// Whether the store keeps up; the gateway raises an alarm (through the engine) while not ok.
struct HistoryHealth {
  bool falling_behind = false;  // the queue dropped data since the last call, or is over 3/4 full
  bool disk_low = false;        // free space under HistoryOptions::disk_low_free_bytes
  // The last commit failed (disk full, I/O error, server gone): nothing is lost yet -- events
  // first, then telemetry are kept in memory and retried -- but nothing reaches disk either.
  // falling_behind is set too, so a caller alarming on it alarms on this.
  bool write_failing = false;
  std::uint64_t disk_free_bytes = 0;
  std::string text;  // what is wrong and what the store does about it; "" when ok
};

struct RetentionPolicy {
  std::int64_t raw_ms = 30LL * 86'400'000;
  std::int64_t minute_ms = 2LL * 366 * 86'400'000;
  std::int64_t hour_ms = 10LL * 366 * 86'400'000;
  std::int64_t events_ms = 10LL * 366 * 86'400'000;
};

struct HistoryOptions {
  std::size_t queue_capacity = 256;          // snapshots + events waiting for the writer
  std::int64_t commit_interval_ms = 1000;    // longest time accepted data stays uncommitted
  std::size_t chunk_max_points = 1024;       // a raw chunk closes at this many points ...
  std::int64_t chunk_max_span_ms = 600'000;  // ... or when it spans this long
  // Sealed chunks are written to the tables in batches, this much data time apart (0 = in the
  // next commit). Meanwhile their points stay in the journal (so nothing more is lost on a
  // kill) and in memory (queries see them). Why: the largest gateway seals about 80 chunks a
  // second, one per channel; written a second's worth at a time, every insert dirties its own
  // index page, and the disk sees a 4 KB page per chunk (issue 15). A minute's batch lands
  // in the same few pages of time-ordered indexes.
  std::int64_t sealed_write_interval_ms = 60'000;
  // A sample is stored when it changed at its channel's resolution (model::channel_resolution)
  // or changed quality, else at the latest this long after the last stored one, so a gap in
  // the data stays distinguishable from a value that did not change.
  std::int64_t heartbeat_ms = 30'000;
  // Sealed chunks kept in memory while writes fail; beyond this the oldest are given up
  // (values_dropped). Events and discharges are never given up.
  std::uint64_t max_unwritten_bytes = 32ULL << 20;
  // Hard cap on the database's size (SQLite max_page_count; 0 = none). At the cap, writes fail
  // like on a full disk: the oldest raw chunks are dropped to make room for events first.
  std::uint64_t max_database_bytes = 0;
  RetentionPolicy retention;
  // Under this much free space the store drops its oldest raw chunks first (never rollups,
  // events or discharges) and reports disk_low.
  std::uint64_t disk_low_free_bytes = 1ULL << 30;
};

class HistoryStore {
 public:
  virtual ~HistoryStore() = default;

  // Takes every sample of the snapshot whose time_ms is newer than the last one seen for its
  // channel and that changed at the channel's resolution (or is due as a heartbeat, see
  // HistoryOptions::heartbeat_ms). Never blocks. Rollups (minute, hour) aggregate the stored
  // samples: an unchanged value counts once per heartbeat, not once per sample.
  virtual void append(const model::Snapshot& snapshot) = 0;
  // Same without copying the samples (the published snapshot is shared).
  virtual void append(std::shared_ptr<const model::Snapshot> snapshot) = 0;
  virtual void append_event(const model::Event& event) = 0;

  // Blocks until everything appended before the call is committed to disk. Returns false when
  // the commit failed (the data stays queued for the next attempt; health() says why); never
  // throws, so a caller shutting down on a full disk ends cleanly.
  virtual bool flush() = 0;

  // Per channel (in the order asked) about `points` buckets covering [from_ms, to_ms), taken
  // from the coarsest tier whose bucket still fits: raw when the span/points is under a
  // minute, minute under an hour, else hour. Only samples of quality ok are aggregated.
  // Where raw is chosen but retention or low disk already dropped the raw samples of (part
  // of) the range -- and no discharge kept them -- the minute tier answers instead, at whole
  // minutes: ChannelSeries::tier and bucket_ms always say which tier answered.
  // Sees what is committed (at most commit_interval_ms old; flush() for everything).
  // Throws std::invalid_argument (with the reason) for an unknown channel, from_ms >= to_ms,
  // points outside 1..10000, or a range outside 1970..2200 / over 100 years.
  virtual std::vector<ChannelSeries> query(const std::vector<std::string>& channels,
                                           std::int64_t from_ms, std::int64_t to_ms,
                                           int points) = 0;

  // The newest `limit` events with from_ms <= time_ms < to_ms, in ascending time.
  virtual std::vector<model::Event> events(std::int64_t from_ms, std::int64_t to_ms,
                                           std::size_t limit) = 0;

  // Discharge records: kept for the life of the site, and so are the raw chunks of the
  // string's channels (string/S/... and battery/S/...) over each discharge's time span.
  // append_discharge() never blocks (same queue as append()).
  virtual void append_discharge(const model::DischargeRecord& record) = 0;
  // Discharges that started in [from_ms, to_ms), string_id 0 = every string, newest `limit`,
  // ascending start time.
  virtual std::vector<model::DischargeRecord> discharges(std::int64_t from_ms, std::int64_t to_ms,
                                                         int string_id, std::size_t limit) = 0;

  // Counts drops "since the last call": meant for the one caller that alarms on it.
  virtual HistoryHealth health() = 0;
  // Why the last commit failed, "" while commits succeed. No side effects (for /api/v1/health).
  virtual std::string write_failure() const { return {}; }

  // Deletes raw chunks, rollups and events older than the retention policy allows; never
  // discharges, nor the raw chunks of a string's channels overlapping one of its discharges.
  virtual void enforce_retention(std::int64_t now_ms) = 0;

  virtual HistoryStats stats() const = 0;
};

// Schema version (row of table schema_version) of the SQLite history this build writes; backups and
// restores compare against it (src/ops).
inline constexpr int kSqliteHistorySchemaVersion = 3;

// Opens (creating when absent) the SQLite database at path and starts its writer thread.
// An existing file is continued: channel ids stay those of the stored names. An older file is
// migrated forward in one transaction; a file of a newer BTMS throws ops::SchemaTooNewError.
std::unique_ptr<HistoryStore> open_sqlite_store(const std::string& path,
                                                HistoryOptions options = {});

// Connects to PostgreSQL (libpq connection string, e.g. "host=/tmp/pg port=5433 dbname=btms"),
// creates the schema when absent (value chunks partitioned by time) and starts the writer.
// Throws std::runtime_error with libpq's reason when it cannot connect.
std::unique_ptr<HistoryStore> open_postgres_store(const std::string& connection,
                                                  HistoryOptions options = {});

}  // namespace btms::history
