// SQLite history store: the storage hooks of QueuedStore on a write connection (owned by the
// writer) and a read connection (WAL lets queries read while the writer writes). Data reaches
// disk in one transaction per commit interval, so a killed process loses at most that interval
// and reopens intact.
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "history/queued_store.hpp"
#include "history/sqlite_db.hpp"
#include "ops/schema_version.hpp"

namespace btms::history {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS channels(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, unit TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks(channel INTEGER NOT NULL, start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL, count INTEGER NOT NULL, blob BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_channel_end ON chunks(channel, end_ms);
CREATE TABLE IF NOT EXISTS minute_chunks(channel INTEGER NOT NULL, hour_ms INTEGER NOT NULL,
  blob BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS minute_chunks_by_channel_hour ON minute_chunks(channel, hour_ms);
CREATE TABLE IF NOT EXISTS rollups_hour(channel INTEGER NOT NULL, bucket_ms INTEGER NOT NULL,
  min REAL NOT NULL, max REAL NOT NULL, sum REAL NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY(channel, bucket_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, event_id INTEGER NOT NULL,
  time_ms INTEGER NOT NULL, kind INTEGER NOT NULL, severity INTEGER NOT NULL, source TEXT NOT NULL,
  rule TEXT NOT NULL, text TEXT NOT NULL, user TEXT NOT NULL, value REAL NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_time ON events(time_ms);
CREATE TABLE IF NOT EXISTS discharges(string_id INTEGER NOT NULL, start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL, ah_out REAL NOT NULL, energy_out_kWh REAL NOT NULL,
  min_string_voltage_V REAL NOT NULL, peak_current_A REAL NOT NULL,
  min_battery_voltage_V BLOB NOT NULL, weakest_position INTEGER NOT NULL,
  predicted_runtime_min REAL NOT NULL, actual_runtime_min REAL NOT NULL,
  soc_start_pct REAL NOT NULL, soc_end_pct REAL NOT NULL, PRIMARY KEY(string_id, start_ms));
CREATE INDEX IF NOT EXISTS discharges_by_start ON discharges(start_ms);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS journal(seq INTEGER PRIMARY KEY, blob BLOB NOT NULL);
)sql";

constexpr const char* kAddMeasuredCapacity =
    "ALTER TABLE discharges ADD COLUMN measured_capacity_pct REAL NOT NULL DEFAULT 0";

// Version 3: time-first keys. The largest gateway seals a chunk per channel every ten minutes or
// so (about 80 a second); keyed by channel first, each insert dirtied an index page of its own
// and the disk saw 4 KB per chunk (issue 15). Keyed by the 10-minute bucket of the chunk's
// start, then channel, a batch of sealed chunks lands in a few adjacent pages. A channel's range
// is read with one index probe per bucket (per hour for the hour rollups).
// Minute rows of an older file take their hour's first bucket, which the range queries include.
constexpr const char* kTimeFirstKeys = R"sql(
DROP INDEX IF EXISTS chunks_by_channel_end;
CREATE INDEX chunks_by_bucket ON chunks(start_ms / 600000, channel, end_ms);
ALTER TABLE minute_chunks ADD COLUMN bucket INTEGER NOT NULL DEFAULT 0;
UPDATE minute_chunks SET bucket = hour_ms / 600000;
DROP INDEX IF EXISTS minute_chunks_by_channel_hour;
CREATE INDEX minute_chunks_by_bucket ON minute_chunks(bucket, channel);
CREATE TABLE rollups_hour_by_time(bucket_ms INTEGER NOT NULL, channel INTEGER NOT NULL,
  min REAL NOT NULL, max REAL NOT NULL, sum REAL NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY(bucket_ms, channel)) WITHOUT ROWID;
INSERT INTO rollups_hour_by_time SELECT bucket_ms, channel, min, max, sum, count FROM rollups_hour;
DROP TABLE rollups_hour;
ALTER TABLE rollups_hour_by_time RENAME TO rollups_hour;
INSERT INTO meta(key, value) SELECT 'longest_chunk_ms', coalesce(max(end_ms - start_ms), 0)
  FROM chunks WHERE true ON CONFLICT(key) DO UPDATE SET value = excluded.value;
)sql";
static_assert(kChunkBucketMs == 600'000, "the bucket width is written into kTimeFirstKeys");

// The buckets a channel's query probes, as rows of a recursive CTE b(k): ?1 to ?2 inclusive.
constexpr const char* kBucketRange =
    "WITH RECURSIVE b(k) AS (SELECT ?1 WHERE ?1 <= ?2 UNION ALL SELECT k + 1 FROM b WHERE k < ?2) ";

// A chunk is kept past retention when a discharge of its channel's string overlaps it.
constexpr const char* kUnprotected = R"sql(NOT EXISTS (SELECT 1 FROM discharges d
  JOIN channels ch ON ch.string_id = d.string_id
  WHERE ch.id = chunks.channel AND ch.string_id <> 0 AND chunks.end_ms >= d.start_ms
    AND (d.end_ms = 0 OR chunks.start_ms <= d.end_ms)))sql";

constexpr const char* kRawHorizonKey = "raw_horizon_ms";
// The longest span of any stored chunk: a query for [from, to) finds every chunk reaching into
// it among those starting from `from` minus this.
constexpr const char* kLongestChunkKey = "longest_chunk_ms";

// Every blob (column 0) of a (channel, from, to) query; the statement is reset even when the
// callback throws, so it can be used again.
// Binds: ?1/?2 the first and last bucket to probe, ?3 the channel, ?4/?5 from/to.
void read_blobs(SqliteStmt& select, std::int64_t first_bucket, std::int64_t last_bucket,
                std::int64_t channel_id, std::int64_t from_ms, std::int64_t to_ms,
                const std::function<void(std::span<const std::uint8_t>)>& blob) {
  select.bind(1, first_bucket).bind(2, last_bucket).bind(3, channel_id);
  select.bind(4, from_ms).bind(5, to_ms);
  try {
    while (select.step()) blob(select.column_blob(0));
  } catch (...) {
    select.reset();
    throw;
  }
  select.reset();
}

class SqliteStore final : public QueuedStore {
 public:
  SqliteStore(const std::string& path, HistoryOptions options)
      : QueuedStore(options), path_(path), write_db_(path) {
    write_db_.exec("PRAGMA journal_mode=WAL");
    write_db_.exec("PRAGMA synchronous=NORMAL");
    if (options.max_database_bytes > 0)
      write_db_.exec(fmt::format("PRAGMA max_page_count = {}",
                                 std::max<std::uint64_t>(options.max_database_bytes / 4096, 16))
                         .c_str());
    // Version 1: the layout of the first release, including files written before versions
    // were kept (no version row; they may lack channels.string_id). A new version appends a
    // step here and raises kSqliteHistorySchemaVersion.
    const ops::Schema schema{"history",
                             path,
                             {{1,
                               [this](sqlite3*) {
                                 write_db_.exec(kSchema);
                                 add_string_id_column();
                               }},
                              // 2: what a discharge measured as a capacity test.
                              {2, [](sqlite3* db) { ops::exec_sql(db, kAddMeasuredCapacity); }},
                              // 3: time-first keys (see kTimeFirstKeys).
                              {3, [](sqlite3* db) { ops::exec_sql(db, kTimeFirstKeys); }}}};
    static_assert(kSqliteHistorySchemaVersion == 3, "add the new schema step above");
    ops::migrate_schema(write_db_.handle(), schema);
    longest_chunk_ms_ = read_meta(kLongestChunkKey).value_or(0);
    insert_channel_ = std::make_unique<SqliteStmt>(
        write_db_, "INSERT INTO channels(name, unit, string_id) VALUES(?, ?, ?)");
    insert_chunk_ = std::make_unique<SqliteStmt>(
        write_db_, "INSERT INTO chunks(channel, start_ms, end_ms, count, blob) VALUES(?,?,?,?,?)");
    upsert_hour_ = std::make_unique<SqliteStmt>(write_db_, upsert_sql("rollups_hour").c_str());
    insert_minutes_ = std::make_unique<SqliteStmt>(
        write_db_, "INSERT INTO minute_chunks(channel, hour_ms, bucket, blob) VALUES(?,?,?,?)");
    insert_journal_ = std::make_unique<SqliteStmt>(
        write_db_, "INSERT OR REPLACE INTO journal(seq, blob) VALUES(?, ?)");
    delete_journal_ = std::make_unique<SqliteStmt>(write_db_, "DELETE FROM journal WHERE seq < ?");
    insert_event_ = std::make_unique<SqliteStmt>(
        write_db_,
        "INSERT INTO events(event_id, time_ms, kind, severity, source, rule, text, user, value) "
        "VALUES(?,?,?,?,?,?,?,?,?)");

    read_db_ = std::make_unique<SqliteDb>(path);
    find_channel_ =
        std::make_unique<SqliteStmt>(*read_db_, "SELECT id FROM channels WHERE name = ?");
    // CROSS JOIN keeps the bucket list the outer loop: one index probe per bucket.
    select_chunks_ = std::make_unique<SqliteStmt>(
        *read_db_, fmt::format("{}SELECT c.blob FROM b CROSS JOIN chunks c "
                               "WHERE c.start_ms / 600000 = b.k AND c.channel = ?3 "
                               "AND c.end_ms >= ?4 AND c.start_ms < ?5 ORDER BY c.start_ms",
                               kBucketRange)
                       .c_str());
    select_hours_ = std::make_unique<SqliteStmt>(
        *read_db_,
        "WITH RECURSIVE h(t) AS (SELECT ?1 WHERE ?1 < ?2 "
        "UNION ALL SELECT t + 3600000 FROM h WHERE t + 3600000 < ?2) "
        "SELECT r.bucket_ms, r.min, r.max, r.sum, r.count FROM h CROSS JOIN rollups_hour r "
        "WHERE r.bucket_ms = h.t AND r.channel = ?3 ORDER BY r.bucket_ms");
    select_minutes_ = std::make_unique<SqliteStmt>(
        *read_db_, fmt::format("{}SELECT m.blob FROM b CROSS JOIN minute_chunks m "
                               "WHERE m.bucket = b.k AND m.channel = ?3 "
                               "AND m.hour_ms >= ?4 AND m.hour_ms < ?5",
                               kBucketRange)
                       .c_str());
    select_events_ = std::make_unique<SqliteStmt>(
        *read_db_,
        "SELECT event_id, time_ms, kind, severity, source, rule, text, user, value FROM events "
        "WHERE time_ms >= ? AND time_ms < ? ORDER BY time_ms DESC, seq DESC LIMIT ?");
    select_discharges_ = std::make_unique<SqliteStmt>(
        *read_db_,
        "SELECT string_id, start_ms, end_ms, ah_out, energy_out_kWh, min_string_voltage_V, "
        "peak_current_A, min_battery_voltage_V, weakest_position, predicted_runtime_min, "
        "actual_runtime_min, soc_start_pct, soc_end_pct, measured_capacity_pct FROM discharges "
        "WHERE start_ms >= ?1 AND start_ms < ?2 AND (?3 = 0 OR string_id = ?3) "
        "ORDER BY start_ms DESC LIMIT ?4");
    start();
  }

  ~SqliteStore() override { stop(); }

  std::vector<model::Event> events(std::int64_t from_ms, std::int64_t to_ms,
                                   std::size_t limit) override {
    std::lock_guard lock(read_mutex_);
    std::vector<model::Event> result;
    auto& select = *select_events_;
    select.bind(1, from_ms).bind(2, to_ms).bind(3, clamp_limit(limit));
    while (select.step()) {
      model::Event event;
      event.id = static_cast<std::uint64_t>(select.column_int(0));
      event.time_ms = select.column_int(1);
      event.kind = static_cast<model::EventKind>(select.column_int(2));
      event.severity = static_cast<model::Severity>(select.column_int(3));
      event.source = select.column_text(4);
      event.rule = select.column_text(5);
      event.text = select.column_text(6);
      event.user = select.column_text(7);
      event.value = select.column_double(8);
      result.push_back(std::move(event));
    }
    select.reset();
    std::reverse(result.begin(), result.end());
    return result;
  }

  std::vector<model::DischargeRecord> discharges(std::int64_t from_ms, std::int64_t to_ms,
                                                 int string_id, std::size_t limit) override {
    std::lock_guard lock(read_mutex_);
    std::vector<model::DischargeRecord> result;
    auto& select = *select_discharges_;
    select.bind(1, from_ms).bind(2, to_ms).bind(3, std::int64_t{string_id});
    select.bind(4, clamp_limit(limit));
    try {
      while (select.step()) {
        model::DischargeRecord record;
        record.string_id = static_cast<int>(select.column_int(0));
        record.start_ms = select.column_int(1);
        record.end_ms = select.column_int(2);
        record.ah_out = select.column_double(3);
        record.energy_out_kWh = select.column_double(4);
        record.min_string_voltage_V = select.column_double(5);
        record.peak_current_A = select.column_double(6);
        record.min_battery_voltage_V = decode_doubles(select.column_blob(7));
        record.weakest_position = static_cast<int>(select.column_int(8));
        record.predicted_runtime_min = select.column_double(9);
        record.actual_runtime_min = select.column_double(10);
        record.soc_start_pct = select.column_double(11);
        record.soc_end_pct = select.column_double(12);
        record.measured_capacity_pct = select.column_double(13);
        result.push_back(std::move(record));
      }
    } catch (...) {
      select.reset();
      throw;
    }
    select.reset();
    std::reverse(result.begin(), result.end());
    return result;
  }

 protected:
  // The chunks that may hold journal points (those starting from the oldest one minus the
  // longest span) and the last hour's: a scan of a few buckets, not of every chunk.
  std::vector<StoredChannel> load_channels(std::int64_t journal_oldest_ms) override {
    std::vector<StoredChannel> out;
    std::unordered_map<std::int64_t, std::int64_t> last_by_id;
    std::int64_t since_ms = std::numeric_limits<std::int64_t>::max();
    {
      SqliteStmt newest(write_db_, "SELECT start_ms FROM chunks ORDER BY rowid DESC LIMIT 1");
      if (newest.step()) since_ms = newest.column_int(0) - kHourMs;
    }
    if (journal_oldest_ms != std::numeric_limits<std::int64_t>::min())
      since_ms = std::min(since_ms, journal_oldest_ms - longest_chunk_ms_);
    SqliteStmt last(write_db_,
                    "SELECT channel, max(end_ms) FROM chunks WHERE start_ms / 600000 >= ? "
                    "GROUP BY channel");
    last.bind(1, floor_to(since_ms == std::numeric_limits<std::int64_t>::max() ? 0 : since_ms,
                          kChunkBucketMs) /
                     kChunkBucketMs);
    while (last.step()) last_by_id[last.column_int(0)] = last.column_int(1);
    SqliteStmt channels(write_db_, "SELECT id, name FROM channels");
    while (channels.step()) {
      StoredChannel channel;
      channel.id = channels.column_int(0);
      channel.name = channels.column_text(1);
      const auto it = last_by_id.find(channel.id);
      if (it != last_by_id.end()) channel.last_time_ms = it->second;
      out.push_back(std::move(channel));
    }
    return out;
  }

  std::vector<DischargeSpan> load_discharge_spans() override {
    std::vector<DischargeSpan> out;
    SqliteStmt select(write_db_, "SELECT string_id, start_ms, end_ms FROM discharges");
    while (select.step())
      out.push_back(
          {static_cast<int>(select.column_int(0)), select.column_int(1), select.column_int(2)});
    return out;
  }

  std::int64_t load_raw_horizon() override {
    return read_meta(kRawHorizonKey).value_or(std::numeric_limits<std::int64_t>::min());
  }

  void save_raw_horizon(std::int64_t horizon_ms) override {
    write_meta(kRawHorizonKey, horizon_ms);
  }

  void begin() override { write_db_.exec("BEGIN"); }
  void commit() override { write_db_.exec("COMMIT"); }
  void rollback() override {
    try {
      write_db_.exec("ROLLBACK");
    } catch (...) {
      // Nothing was open (SQLite rolls back on some errors by itself).
    }
  }

  std::int64_t insert_channel(const std::string& name, const std::string& unit,
                              int string_id) override {
    insert_channel_->bind(1, std::string_view(name)).bind(2, std::string_view(unit));
    insert_channel_->bind(3, std::int64_t{string_id});
    insert_channel_->run();
    return sqlite3_last_insert_rowid(write_db_.handle());
  }

  void write_chunk(std::int64_t channel_id, std::int64_t start_ms, std::int64_t end_ms,
                   std::int64_t count, std::vector<std::uint8_t> blob) override {
    insert_chunk_->bind(1, channel_id).bind(2, start_ms).bind(3, end_ms);
    insert_chunk_->bind(4, count).bind_blob(5, blob);
    insert_chunk_->run();
    if (end_ms - start_ms > longest_chunk_ms_) {
      // In the same transaction as the chunk; a rollback leaves the figure larger, which only
      // widens later queries' probes.
      longest_chunk_ms_ = end_ms - start_ms;
      write_meta(kLongestChunkKey, end_ms - start_ms);
    }
  }

  void write_minutes(std::int64_t channel_id, std::int64_t hour_ms, std::int64_t chunk_start_ms,
                     std::vector<std::uint8_t> blob) override {
    insert_minutes_->bind(1, channel_id).bind(2, hour_ms);
    insert_minutes_->bind(3, floor_to(chunk_start_ms, kChunkBucketMs) / kChunkBucketMs);
    insert_minutes_->bind_blob(4, blob).run();
  }

  void append_journal(std::uint64_t seq, std::vector<std::uint8_t> blob) override {
    insert_journal_->bind(1, static_cast<std::int64_t>(seq)).bind_blob(2, blob).run();
  }

  void delete_journal_before(std::uint64_t seq) override {
    delete_journal_->bind(1, static_cast<std::int64_t>(seq)).run();
  }

  void load_journal(
      const std::function<void(std::uint64_t, std::span<const std::uint8_t>)>& record) override {
    SqliteStmt select(write_db_, "SELECT seq, blob FROM journal ORDER BY seq");
    while (select.step())
      record(static_cast<std::uint64_t>(select.column_int(0)), select.column_blob(1));
  }

  void upsert_hour(std::int64_t channel_id, const RollupDelta& delta) override {
    auto& upsert = *upsert_hour_;
    upsert.bind(1, channel_id).bind(2, delta.bucket_ms).bind(3, delta.min).bind(4, delta.max);
    upsert.bind(5, delta.sum).bind(6, static_cast<std::int64_t>(delta.count));
    upsert.run();
  }

  void insert_event(const model::Event& event) override {
    auto& insert = *insert_event_;
    insert.bind(1, static_cast<std::int64_t>(event.id)).bind(2, event.time_ms);
    insert.bind(3, static_cast<std::int64_t>(event.kind));
    insert.bind(4, static_cast<std::int64_t>(event.severity));
    insert.bind(5, std::string_view(event.source)).bind(6, std::string_view(event.rule));
    insert.bind(7, std::string_view(event.text)).bind(8, std::string_view(event.user));
    insert.bind(9, event.value);
    insert.run();
  }

  void upsert_discharge(const model::DischargeRecord& record) override {
    SqliteStmt upsert(
        write_db_,
        "INSERT OR REPLACE INTO discharges(string_id, start_ms, end_ms, ah_out, energy_out_kWh, "
        "min_string_voltage_V, peak_current_A, min_battery_voltage_V, weakest_position, "
        "predicted_runtime_min, actual_runtime_min, soc_start_pct, soc_end_pct, "
        "measured_capacity_pct) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    const auto voltages = encode_doubles(record.min_battery_voltage_V);
    upsert.bind(1, std::int64_t{record.string_id}).bind(2, record.start_ms).bind(3, record.end_ms);
    upsert.bind(4, record.ah_out).bind(5, record.energy_out_kWh);
    upsert.bind(6, record.min_string_voltage_V).bind(7, record.peak_current_A);
    upsert.bind_blob(8, voltages).bind(9, std::int64_t{record.weakest_position});
    upsert.bind(10, record.predicted_runtime_min).bind(11, record.actual_runtime_min);
    upsert.bind(12, record.soc_start_pct).bind(13, record.soc_end_pct);
    upsert.bind(14, record.measured_capacity_pct);
    upsert.run();
  }

  void delete_expired(std::int64_t now_ms, const RetentionPolicy& policy) override {
    const auto remove = [&](const std::string& sql, std::int64_t cutoff_ms) {
      SqliteStmt(write_db_, sql.c_str()).bind(1, cutoff_ms).run();
    };
    // The bucket terms let the time-first indexes find the old rows (?1 is the cutoff).
    remove(fmt::format("DELETE FROM chunks WHERE start_ms / 600000 <= ?1 / 600000 "
                       "AND end_ms < ?1 AND {}",
                       kUnprotected),
           now_ms - policy.raw_ms);
    // A minute row goes when its whole hour is past the cutoff; its chunk started before the
    // end of that hour.
    remove("DELETE FROM minute_chunks WHERE bucket <= (?1 + 3600000) / 600000 AND hour_ms <= ?1",
           now_ms - policy.minute_ms - kHourMs);
    remove("DELETE FROM rollups_hour WHERE bucket_ms < ?", now_ms - policy.hour_ms);
    remove("DELETE FROM events WHERE time_ms < ?", now_ms - policy.events_ms);
  }

  // Rows are inserted when a chunk opens, so rowid order is start-time order: the oldest
  // chunks are found without an index on start_ms.
  std::int64_t drop_oldest_raw(std::uint64_t bytes) override {
    SqliteStmt select(write_db_,
                      "SELECT c.rowid, c.start_ms, c.end_ms, length(c.blob), ch.string_id "
                      "FROM chunks c JOIN channels ch ON ch.id = c.channel "
                      "WHERE c.rowid > ? ORDER BY c.rowid LIMIT 256");
    SqliteStmt remove(write_db_, "DELETE FROM chunks WHERE rowid = ?");
    std::uint64_t dropped = 0;
    std::int64_t newest_ms = std::numeric_limits<std::int64_t>::min();
    std::int64_t after = 0;
    std::vector<std::int64_t> victims;
    while (dropped < bytes) {
      victims.clear();
      bool any = false;
      select.bind(1, after);
      while (select.step()) {
        any = true;
        after = select.column_int(0);
        const auto start_ms = select.column_int(1);
        const auto end_ms = select.column_int(2);
        if (protected_span(static_cast<int>(select.column_int(4)), start_ms, end_ms)) continue;
        if (dropped >= bytes) break;
        victims.push_back(after);
        dropped += static_cast<std::uint64_t>(select.column_int(3));
        newest_ms = std::max(newest_ms, end_ms);
      }
      select.reset();
      for (const auto rowid : victims) remove.bind(1, rowid).run();
      if (!any) break;
    }
    return newest_ms;
  }

  std::optional<std::uint64_t> disk_free_bytes() override {
    auto folder = std::filesystem::path(path_).parent_path();
    if (folder.empty()) folder = ".";
    struct statvfs info {};
    if (::statvfs(folder.c_str(), &info) != 0) return std::nullopt;
    return std::uint64_t{info.f_bavail} * info.f_frsize;
  }

  std::uint64_t bytes_on_disk() const override {
    std::uint64_t total = 0;
    std::error_code error;
    for (const auto& file : {path_, path_ + "-wal"}) {
      const auto size = std::filesystem::file_size(file, error);
      if (!error) total += size;
    }
    return total;
  }

  std::optional<std::int64_t> find_channel(const std::string& name) override {
    find_channel_->bind(1, std::string_view(name));
    std::optional<std::int64_t> id;
    if (find_channel_->step()) id = find_channel_->column_int(0);
    find_channel_->reset();
    return id;
  }

  void begin_read() override { read_db_->exec("BEGIN"); }
  void end_read() override {
    try {
      read_db_->exec("COMMIT");
    } catch (...) {
    }
  }

  // A chunk reaching into [from, to) started at most the longest span before `from`.
  void read_chunks(std::int64_t channel_id, std::int64_t from_ms, std::int64_t to_ms,
                   const std::function<void(std::span<const std::uint8_t>)>& blob) override {
    read_blobs(*select_chunks_, bucket_of(from_ms - longest_chunk_ms_), bucket_of(to_ms - 1),
               channel_id, from_ms, to_ms, blob);
  }

  // A minute row of hour h comes from a chunk that started after h minus the longest span
  // and before the hour's end (rows of version 2 files: in the hour's first bucket).
  void read_minutes(std::int64_t channel_id, std::int64_t from_ms, std::int64_t to_ms,
                    const std::function<void(std::span<const std::uint8_t>)>& blob) override {
    read_blobs(*select_minutes_, bucket_of(from_ms - longest_chunk_ms_),
               bucket_of(to_ms - 1 + kHourMs), channel_id, from_ms, to_ms, blob);
  }

  void read_hours(std::int64_t channel_id, std::int64_t from_ms, std::int64_t to_ms,
                  const std::function<void(const RollupDelta&)>& row) override {
    auto& select = *select_hours_;
    const std::int64_t first_hour_ms = floor_to(from_ms + kHourMs - 1, kHourMs);
    select.bind(1, first_hour_ms).bind(2, to_ms).bind(3, channel_id);
    while (select.step()) {
      RollupDelta delta;
      delta.bucket_ms = select.column_int(0);
      delta.min = select.column_double(1);
      delta.max = select.column_double(2);
      delta.sum = select.column_double(3);
      delta.count = static_cast<std::uint64_t>(select.column_int(4));
      row(delta);
    }
    select.reset();
  }

 private:
  static std::string upsert_sql(const char* table) {
    return fmt::format(
        "INSERT INTO {0}(channel, bucket_ms, min, max, sum, count) VALUES(?,?,?,?,?,?) "
        "ON CONFLICT(bucket_ms, channel) DO UPDATE SET min = min({0}.min, excluded.min), "
        "max = max({0}.max, excluded.max), sum = {0}.sum + excluded.sum, "
        "count = {0}.count + excluded.count",
        table);
  }

  static std::int64_t bucket_of(std::int64_t time_ms) {
    return floor_to(time_ms, kChunkBucketMs) / kChunkBucketMs;
  }

  std::optional<std::int64_t> read_meta(const char* key) {
    SqliteStmt select(write_db_, "SELECT value FROM meta WHERE key = ?");
    select.bind(1, std::string_view(key));
    if (!select.step()) return std::nullopt;
    return select.column_int(0);
  }

  void write_meta(const char* key, std::int64_t value) {
    SqliteStmt(write_db_,
               "INSERT INTO meta(key, value) VALUES(?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(1, std::string_view(key))
        .bind(2, value)
        .run();
  }

  static std::int64_t clamp_limit(std::size_t limit) {
    return static_cast<std::int64_t>(std::min<std::size_t>(limit, 1'000'000'000));
  }

  // Databases written before discharges were stored lack channels.string_id.
  void add_string_id_column() {
    SqliteStmt columns(write_db_, "SELECT name FROM pragma_table_info('channels')");
    while (columns.step())
      if (columns.column_text(0) == "string_id") return;
    write_db_.exec("ALTER TABLE channels ADD COLUMN string_id INTEGER NOT NULL DEFAULT 0");
    SqliteStmt names(write_db_, "SELECT id, name FROM channels");
    SqliteStmt update(write_db_, "UPDATE channels SET string_id = ? WHERE id = ?");
    while (names.step())
      update.bind(1, std::int64_t{string_of_channel(names.column_text(1))})
          .bind(2, names.column_int(0))
          .run();
  }

  const std::string path_;
  // See kLongestChunkKey; raised by the writer thread, read by queries.
  std::atomic<std::int64_t> longest_chunk_ms_{0};

  // Writer side (QueuedStore holds the write lock around every hook).
  SqliteDb write_db_;
  std::unique_ptr<SqliteStmt> insert_channel_, insert_chunk_, upsert_hour_, insert_minutes_,
      insert_event_, insert_journal_, delete_journal_;

  // Reader side.
  std::unique_ptr<SqliteDb> read_db_;
  std::unique_ptr<SqliteStmt> find_channel_, select_chunks_, select_hours_, select_minutes_,
      select_events_, select_discharges_;
};

}  // namespace

std::unique_ptr<HistoryStore> open_sqlite_store(const std::string& path, HistoryOptions options) {
  return std::make_unique<SqliteStore>(path, options);
}

}  // namespace btms::history
