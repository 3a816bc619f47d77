// PostgreSQL history store for aggregators and large sites: the storage hooks of QueuedStore
// over libpqxx. Same chunk codec, rollups, events, discharges and retention as SQLite; value
// chunks live in a table partitioned by month of start_ms (partitions created on demand), so
// retention drops whole old partitions instead of deleting rows. Chunks of a dropped partition
// that a discharge protects move to kept_chunks first (discharges are kept at full rate).
//
// Round trips are what costs on a server, so the writer buffers chunk and rollup writes of a
// transaction and sends them as multi-row upserts when it commits.
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "history/queued_store.hpp"
#include "ops/schema_version.hpp"

namespace btms::history {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS channels(id bigserial PRIMARY KEY, name text NOT NULL UNIQUE,
  unit text NOT NULL, string_id integer NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS chunks(channel bigint NOT NULL, start_ms bigint NOT NULL,
  end_ms bigint NOT NULL, count integer NOT NULL, blob bytea NOT NULL,
  PRIMARY KEY(channel, start_ms)) PARTITION BY RANGE (start_ms);
CREATE INDEX IF NOT EXISTS chunks_by_channel_end ON chunks(channel, end_ms);
CREATE INDEX IF NOT EXISTS chunks_by_start ON chunks(start_ms);
CREATE TABLE IF NOT EXISTS kept_chunks(channel bigint NOT NULL, start_ms bigint NOT NULL,
  end_ms bigint NOT NULL, count integer NOT NULL, blob bytea NOT NULL,
  PRIMARY KEY(channel, start_ms));
CREATE SEQUENCE IF NOT EXISTS writer_sessions;
CREATE SEQUENCE IF NOT EXISTS minute_parts;
CREATE TABLE IF NOT EXISTS journal(seq bigint PRIMARY KEY, blob bytea NOT NULL);
CREATE TABLE IF NOT EXISTS minute_chunks(channel bigint NOT NULL, hour_ms bigint NOT NULL,
  session bigint NOT NULL, blob bytea NOT NULL, PRIMARY KEY(channel, hour_ms, session));
CREATE TABLE IF NOT EXISTS rollups_hour(channel bigint NOT NULL, bucket_ms bigint NOT NULL,
  min float8 NOT NULL, max float8 NOT NULL, sum float8 NOT NULL, count bigint NOT NULL,
  PRIMARY KEY(channel, bucket_ms));
CREATE TABLE IF NOT EXISTS events(seq bigserial PRIMARY KEY, event_id bigint NOT NULL,
  time_ms bigint NOT NULL, kind integer NOT NULL, severity integer NOT NULL, source text NOT NULL,
  rule text NOT NULL, text text NOT NULL, "user" text NOT NULL, value float8 NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_time ON events(time_ms);
CREATE TABLE IF NOT EXISTS discharges(string_id integer NOT NULL, start_ms bigint NOT NULL,
  end_ms bigint NOT NULL, ah_out float8 NOT NULL, energy_out_kwh float8 NOT NULL,
  min_string_voltage_v float8 NOT NULL, peak_current_a float8 NOT NULL,
  min_battery_voltage_v bytea NOT NULL, weakest_position integer NOT NULL,
  predicted_runtime_min float8 NOT NULL, actual_runtime_min float8 NOT NULL,
  soc_start_pct float8 NOT NULL, soc_end_pct float8 NOT NULL, PRIMARY KEY(string_id, start_ms));
CREATE INDEX IF NOT EXISTS discharges_by_start ON discharges(start_ms);
CREATE TABLE IF NOT EXISTS meta(key text PRIMARY KEY, value bigint NOT NULL);
)sql";

// The newest schema version of a PostgreSQL history database.
constexpr int kPostgresHistorySchemaVersion = 2;

// Versioned like the SQLite files (ops/schema_version.hpp): a row per part in schema_version, no
// row = version 0 (an empty database, or one written before versions were kept). Version 1 is
// the layout of the first release; its step is idempotent (IF NOT EXISTS), so a database from
// before versions were kept is brought to it with its data. A new version appends a step here
// and raises kPostgresHistorySchemaVersion.
struct PostgresSchemaStatement {
  int version = 0;  // the version this statement belongs to
  const char* sql = nullptr;
};
constexpr const char* kAddStringId =
    "ALTER TABLE channels ADD COLUMN IF NOT EXISTS string_id integer NOT NULL DEFAULT 0";
// 2: what a discharge measured as a capacity test (0 = it was none).
constexpr const char* kAddMeasuredCapacity =
    "ALTER TABLE discharges ADD COLUMN IF NOT EXISTS measured_capacity_pct double precision NOT "
    "NULL DEFAULT 0";
constexpr PostgresSchemaStatement kSchemaSteps[] = {
    {1, kSchema}, {1, kAddStringId}, {2, kAddMeasuredCapacity}};
static_assert(kPostgresHistorySchemaVersion == 2, "add the new schema step to kSchemaSteps");

// Brings the database to kPostgresHistorySchemaVersion inside `tx` (all or nothing), or refuses
// one written by a newer BTMS. Returns the version found.
int migrate_postgres_schema(pqxx::work& tx, const std::string& database) {
  tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_version(part text PRIMARY KEY, version integer NOT "
      "NULL)");
  const auto rows = tx.exec("SELECT version FROM schema_version WHERE part = 'history'");
  const int found = rows.empty() ? 0 : rows[0][0].as<int>();
  if (found > kPostgresHistorySchemaVersion) {
    throw ops::SchemaTooNewError(fmt::format(
        "PostgreSQL history database '{}' has schema version {}, written by a newer BTMS (this "
        "one knows up to version {}): refusing to start on a layout it does not know; run the "
        "newer BTMS, or point this one at another database",
        database, found, kPostgresHistorySchemaVersion));
  }
  for (const auto& statement : kSchemaSteps)
    if (statement.version > found) tx.exec(statement.sql);
  tx.exec_params(
      "INSERT INTO schema_version(part, version) VALUES('history', $1) "
      "ON CONFLICT (part) DO UPDATE SET version = EXCLUDED.version",
      kPostgresHistorySchemaVersion);
  return found;
}

constexpr const char* kRawHorizonKey = "raw_horizon_ms";
constexpr std::size_t kRowsPerStatement = 1000;

// True for a chunk row (alias `c`) that no discharge of its channel's string overlaps.
constexpr const char* kUnprotected = R"sql(NOT EXISTS (SELECT 1 FROM discharges d
  JOIN channels ch ON ch.string_id = d.string_id
  WHERE ch.id = c.channel AND ch.string_id <> 0 AND c.end_ms >= d.start_ms
    AND (d.end_ms = 0 OR c.start_ms <= d.end_ms)))sql";

// A month partition of chunks: [start_ms, end_ms) in UTC.
struct Month {
  int year = 0;
  unsigned month = 0;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::string table() const { return fmt::format("chunks_p{:04}{:02}", year, month); }
};

Month month_of(std::int64_t time_ms) {
  using namespace std::chrono;
  const auto day = floor<days>(sys_time<milliseconds>(milliseconds(time_ms)));
  const year_month_day ymd(day);
  const auto first = ymd.year() / ymd.month() / 1;
  const auto next = first + months(1);
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
          duration_cast<milliseconds>(sys_days(first).time_since_epoch()).count(),
          duration_cast<milliseconds>(sys_days(next).time_since_epoch()).count()};
}

// "chunks_pYYYYMM" -> its month; nullopt for any other name.
std::optional<Month> month_of_table(const std::string& name) {
  int year = 0;
  unsigned month = 0;
  if (name.size() != 14 || std::sscanf(name.c_str(), "chunks_p%4d%2u", &year, &month) != 2 ||
      month < 1 || month > 12)
    return std::nullopt;
  using namespace std::chrono;
  const auto first = sys_days(std::chrono::year(year) / std::chrono::month(month) / 1);
  return month_of(duration_cast<milliseconds>(first.time_since_epoch()).count());
}

std::string hex_bytea(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "'\\x";
  out.reserve(bytes.size() * 2 + 5);
  for (const auto byte : bytes) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  out += "'::bytea";
  return out;
}

std::string hex_text(std::span<const std::uint8_t> bytes) {
  std::string out = hex_bytea(bytes);
  return out.substr(3, out.size() - 3 - 8);  // just the digits
}

struct ChunkRow {
  std::int64_t channel = 0;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::int64_t count = 0;
  std::vector<std::uint8_t> blob;
};

class PostgresStore final : public QueuedStore {
 public:
  PostgresStore(const std::string& connection, HistoryOptions options)
      : QueuedStore(options),
        write_conn_(open(connection)),
        read_conn_(open(connection)),
        stats_conn_(open(connection)) {
    {
      pqxx::work tx(*write_conn_);
      // Several stores may open one database at once; the lock makes schema creation atomic.
      tx.exec("SELECT pg_advisory_xact_lock(727100)");
      migrate_postgres_schema(tx, write_conn_->dbname());
      // Each store instance writes its own minute rows: one written before a restart is never
      // overwritten by the rest of its hour.
      session_ = tx.exec("SELECT nextval('writer_sessions')")[0][0].as<std::int64_t>();
      tx.commit();
    }
    find_data_directory();
    start();
  }

  ~PostgresStore() override { stop(); }

  std::vector<model::Event> events(std::int64_t from_ms, std::int64_t to_ms,
                                   std::size_t limit) override {
    std::lock_guard lock(read_mutex_);
    pqxx::nontransaction tx(*read_conn_);
    const auto rows = tx.exec_params(
        "SELECT event_id, time_ms, kind, severity, source, rule, text, \"user\", value "
        "FROM events WHERE time_ms >= $1 AND time_ms < $2 ORDER BY time_ms DESC, seq DESC "
        "LIMIT $3",
        from_ms, to_ms, clamp_limit(limit));
    std::vector<model::Event> result;
    for (auto row = rows.rbegin(); row != rows.rend(); ++row) {
      model::Event event;
      event.id = static_cast<std::uint64_t>((*row)[0].as<std::int64_t>());
      event.time_ms = (*row)[1].as<std::int64_t>();
      event.kind = static_cast<model::EventKind>((*row)[2].as<int>());
      event.severity = static_cast<model::Severity>((*row)[3].as<int>());
      event.source = (*row)[4].as<std::string>();
      event.rule = (*row)[5].as<std::string>();
      event.text = (*row)[6].as<std::string>();
      event.user = (*row)[7].as<std::string>();
      event.value = (*row)[8].as<double>();
      result.push_back(std::move(event));
    }
    return result;
  }

  std::vector<model::DischargeRecord> discharges(std::int64_t from_ms, std::int64_t to_ms,
                                                 int string_id, std::size_t limit) override {
    std::lock_guard lock(read_mutex_);
    pqxx::nontransaction tx(*read_conn_);
    const auto rows = tx.exec_params(
        "SELECT string_id, start_ms, end_ms, ah_out, energy_out_kwh, min_string_voltage_v, "
        "peak_current_a, min_battery_voltage_v, weakest_position, predicted_runtime_min, "
        "actual_runtime_min, soc_start_pct, soc_end_pct, measured_capacity_pct FROM discharges "
        "WHERE start_ms >= $1 AND start_ms < $2 AND ($3 = 0 OR string_id = $3) "
        "ORDER BY start_ms DESC LIMIT $4",
        from_ms, to_ms, string_id, clamp_limit(limit));
    std::vector<model::DischargeRecord> result;
    for (auto row = rows.rbegin(); row != rows.rend(); ++row) {
      const auto& r = *row;
      model::DischargeRecord record;
      record.string_id = r[0].as<int>();
      record.start_ms = r[1].as<std::int64_t>();
      record.end_ms = r[2].as<std::int64_t>();
      record.ah_out = r[3].as<double>();
      record.energy_out_kWh = r[4].as<double>();
      record.min_string_voltage_V = r[5].as<double>();
      record.peak_current_A = r[6].as<double>();
      const pqxx::binarystring voltages(r[7]);
      record.min_battery_voltage_V = decode_doubles({voltages.data(), voltages.size()});
      record.weakest_position = r[8].as<int>();
      record.predicted_runtime_min = r[9].as<double>();
      record.actual_runtime_min = r[10].as<double>();
      record.soc_start_pct = r[11].as<double>();
      record.soc_end_pct = r[12].as<double>();
      record.measured_capacity_pct = r[13].as<double>();
      result.push_back(std::move(record));
    }
    return result;
  }

 protected:
  std::vector<StoredChannel> load_channels(std::int64_t /*journal_oldest_ms*/) override {
    pqxx::nontransaction tx(*write_conn_);
    // One index probe per channel (and partition) rather than a scan of every chunk.
    const auto rows = tx.exec(
        "SELECT ch.id, ch.name, (SELECT max(c.end_ms) FROM chunks c WHERE c.channel = ch.id) "
        "FROM channels ch");
    std::vector<StoredChannel> out;
    for (const auto& row : rows) {
      StoredChannel channel;
      channel.id = row[0].as<std::int64_t>();
      channel.name = row[1].as<std::string>();
      if (!row[2].is_null()) channel.last_time_ms = row[2].as<std::int64_t>();
      out.push_back(std::move(channel));
    }
    return out;
  }

  std::vector<DischargeSpan> load_discharge_spans() override {
    pqxx::nontransaction tx(*write_conn_);
    std::vector<DischargeSpan> out;
    for (const auto& row : tx.exec("SELECT string_id, start_ms, end_ms FROM discharges"))
      out.push_back({row[0].as<int>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>()});
    return out;
  }

  std::int64_t load_raw_horizon() override {
    pqxx::nontransaction tx(*write_conn_);
    const auto rows = tx.exec_params("SELECT value FROM meta WHERE key = $1", kRawHorizonKey);
    return rows.empty() ? std::numeric_limits<std::int64_t>::min() : rows[0][0].as<std::int64_t>();
  }

  void save_raw_horizon(std::int64_t horizon_ms) override {
    tx().exec_params(
        "INSERT INTO meta(key, value) VALUES($1, $2) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        kRawHorizonKey, horizon_ms);
  }

  void begin() override { tx_ = std::make_unique<pqxx::work>(*write_conn_); }

  void commit() override {
    send_pending();
    tx().commit();
    tx_.reset();
  }

  void rollback() override {
    pending_chunks_.clear();
    pending_minutes_.clear();
    pending_hours_.clear();
    // DDL rolls back too: partitions created in this transaction are gone again.
    partitions_known_ = false;
    try {
      tx_.reset();  // aborts
    } catch (...) {
    }
  }

  std::int64_t insert_channel(const std::string& name, const std::string& unit,
                              int string_id) override {
    return tx()
        .exec_params("INSERT INTO channels(name, unit, string_id) VALUES($1, $2, $3) RETURNING id",
                     name, unit, string_id)[0][0]
        .as<std::int64_t>();
  }

  // The row key is the chunk's start_ms (unique per channel).
  void write_chunk(std::int64_t channel_id, std::int64_t start_ms, std::int64_t end_ms,
                   std::int64_t count, std::vector<std::uint8_t> blob) override {
    pending_chunks_[{channel_id, start_ms}] =
        ChunkRow{channel_id, start_ms, end_ms, count, std::move(blob)};
  }

  void upsert_hour(std::int64_t channel_id, const RollupDelta& delta) override {
    pending_hours_[{channel_id, delta.bucket_ms}].merge(delta);
  }

  // Every sealed chunk's minutes are a row of their own (session = a part number).
  void write_minutes(std::int64_t channel_id, std::int64_t hour_ms, std::int64_t /*chunk_start_ms*/,
                     std::vector<std::uint8_t> blob) override {
    pending_minutes_.push_back({{channel_id, hour_ms}, std::move(blob)});
  }

  void append_journal(std::uint64_t seq, std::vector<std::uint8_t> blob) override {
    tx().exec(
        fmt::format("INSERT INTO journal(seq, blob) VALUES({}, {}) ON CONFLICT(seq) DO "
                    "UPDATE SET blob = excluded.blob",
                    seq, hex_bytea(blob)));
  }

  void delete_journal_before(std::uint64_t seq) override {
    tx().exec_params("DELETE FROM journal WHERE seq < $1", static_cast<std::int64_t>(seq));
  }

  void load_journal(
      const std::function<void(std::uint64_t, std::span<const std::uint8_t>)>& record) override {
    pqxx::nontransaction tx(*write_conn_);
    for (const auto& row : tx.exec("SELECT seq, blob FROM journal ORDER BY seq")) {
      const pqxx::binarystring bytes(row[1]);
      record(row[0].as<std::uint64_t>(), {bytes.data(), bytes.size()});
    }
  }

  void insert_event(const model::Event& event) override {
    tx().exec_params(
        "INSERT INTO events(event_id, time_ms, kind, severity, source, rule, text, \"user\", "
        "value) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        static_cast<std::int64_t>(event.id), event.time_ms, static_cast<int>(event.kind),
        static_cast<int>(event.severity), event.source, event.rule, event.text, event.user,
        event.value);
  }

  void upsert_discharge(const model::DischargeRecord& r) override {
    tx().exec_params(
        "INSERT INTO discharges(string_id, start_ms, end_ms, ah_out, energy_out_kwh, "
        "min_string_voltage_v, peak_current_a, min_battery_voltage_v, weakest_position, "
        "predicted_runtime_min, actual_runtime_min, soc_start_pct, soc_end_pct, "
        "measured_capacity_pct) "
        "VALUES($1, $2, $3, $4, $5, $6, $7, decode($8, 'hex'), $9, $10, $11, $12, $13, $14) "
        "ON CONFLICT(string_id, start_ms) DO UPDATE SET end_ms = excluded.end_ms, "
        "ah_out = excluded.ah_out, energy_out_kwh = excluded.energy_out_kwh, "
        "min_string_voltage_v = excluded.min_string_voltage_v, "
        "peak_current_a = excluded.peak_current_a, "
        "min_battery_voltage_v = excluded.min_battery_voltage_v, "
        "weakest_position = excluded.weakest_position, "
        "predicted_runtime_min = excluded.predicted_runtime_min, "
        "actual_runtime_min = excluded.actual_runtime_min, "
        "soc_start_pct = excluded.soc_start_pct, soc_end_pct = excluded.soc_end_pct, "
        "measured_capacity_pct = excluded.measured_capacity_pct",
        r.string_id, r.start_ms, r.end_ms, r.ah_out, r.energy_out_kWh, r.min_string_voltage_V,
        r.peak_current_A, hex_text(encode_doubles(r.min_battery_voltage_V)), r.weakest_position,
        r.predicted_runtime_min, r.actual_runtime_min, r.soc_start_pct, r.soc_end_pct,
        r.measured_capacity_pct);
  }

  void delete_expired(std::int64_t now_ms, const RetentionPolicy& policy) override {
    send_pending();
    load_partitions();
    auto& t = tx();
    const std::int64_t raw_cutoff_ms = now_ms - policy.raw_ms;
    // Whole months before the cutoff: keep what discharges protect, drop the partition.
    for (auto it = partitions_.begin(); it != partitions_.end();) {
      const auto month = month_of(*it);
      if (month.end_ms > raw_cutoff_ms) {
        ++it;
        continue;
      }
      t.exec(fmt::format(
          "INSERT INTO kept_chunks SELECT c.* FROM {0} c WHERE NOT {1} ON CONFLICT DO NOTHING; "
          "DROP TABLE {0}",
          month.table(), kUnprotected));
      it = partitions_.erase(it);
    }
    // The month the cutoff falls in: delete rows (start_ms bound prunes the other partitions).
    t.exec_params(fmt::format("DELETE FROM chunks c WHERE c.start_ms < $1 AND c.end_ms < $1 AND {}",
                              kUnprotected),
                  raw_cutoff_ms);
    // A minute row goes when its whole hour is past the cutoff.
    t.exec_params("DELETE FROM minute_chunks WHERE hour_ms <= $1",
                  now_ms - policy.minute_ms - kHourMs);
    t.exec_params("DELETE FROM rollups_hour WHERE bucket_ms < $1", now_ms - policy.hour_ms);
    t.exec_params("DELETE FROM events WHERE time_ms < $1", now_ms - policy.events_ms);
  }

  std::int64_t drop_oldest_raw(std::uint64_t bytes) override {
    send_pending();
    auto& t = tx();
    std::uint64_t dropped = 0;
    std::int64_t newest_ms = std::numeric_limits<std::int64_t>::min();
    std::int64_t after_start = std::numeric_limits<std::int64_t>::min();
    std::int64_t after_channel = std::numeric_limits<std::int64_t>::min();
    while (dropped < bytes) {
      const auto rows = t.exec_params(
          "SELECT c.channel, c.start_ms, c.end_ms, octet_length(c.blob), ch.string_id "
          "FROM chunks c JOIN channels ch ON ch.id = c.channel "
          "WHERE (c.start_ms, c.channel) > ($1, $2) ORDER BY c.start_ms, c.channel LIMIT 256",
          after_start, after_channel);
      if (rows.empty()) break;
      for (const auto& row : rows) {
        after_channel = row[0].as<std::int64_t>();
        after_start = row[1].as<std::int64_t>();
        const auto end_ms = row[2].as<std::int64_t>();
        if (protected_span(row[4].as<int>(), after_start, end_ms)) continue;
        if (dropped >= bytes) break;
        t.exec_params("DELETE FROM chunks WHERE channel = $1 AND start_ms = $2", after_channel,
                      after_start);
        dropped += row[3].as<std::uint64_t>();
        newest_ms = std::max(newest_ms, end_ms);
      }
    }
    return newest_ms;
  }

  // Known only when the server shares this machine and lets us read data_directory
  // (superuser or pg_read_all_settings); otherwise health reports no disk figure.
  std::optional<std::uint64_t> disk_free_bytes() override {
    if (data_directory_.empty()) return std::nullopt;
    struct statvfs info {};
    if (::statvfs(data_directory_.c_str(), &info) != 0) return std::nullopt;
    return std::uint64_t{info.f_bavail} * info.f_frsize;
  }

  std::uint64_t bytes_on_disk() const override {
    std::lock_guard lock(stats_mutex_);
    try {
      pqxx::nontransaction tx(*stats_conn_);
      return tx.exec("SELECT pg_database_size(current_database())")[0][0].as<std::uint64_t>();
    } catch (const std::exception&) {
      return 0;
    }
  }

  std::optional<std::int64_t> find_channel(const std::string& name) override {
    pqxx::nontransaction tx(*read_conn_);
    const auto rows = tx.exec_params("SELECT id FROM channels WHERE name = $1", name);
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<std::int64_t>();
  }

  void begin_read() override {
    // Repeatable read: every channel of one answer sees the same commit.
    read_tx_ = std::make_unique<ReadTx>(*read_conn_);
  }
  void end_read() override {
    try {
      read_tx_.reset();
    } catch (...) {
    }
  }

  void read_chunks(std::int64_t channel_id, std::int64_t from_ms, std::int64_t to_ms,
                   const std::function<void(std::span<const std::uint8_t>)>& blob) override {
    // A chunk spans less than chunk_max_span_ms, so the start_ms bound lets the planner skip
    // the partitions before the range.
    const auto rows = read_tx_->exec_params(
        "SELECT blob FROM (SELECT start_ms, blob FROM chunks WHERE channel = $1 "
        "AND end_ms >= $2 AND start_ms < $3 AND start_ms > $4 UNION ALL "
        "SELECT start_ms, blob FROM kept_chunks WHERE channel = $1 AND end_ms >= $2 "
        "AND start_ms < $3) u ORDER BY start_ms",
        channel_id, from_ms, to_ms, from_ms - options().chunk_max_span_ms - 1);
    for (const auto& row : rows) {
      const pqxx::binarystring bytes(row[0]);
      blob({bytes.data(), bytes.size()});
    }
  }

  void read_minutes(std::int64_t channel_id, std::int64_t from_ms, std::int64_t to_ms,
                    const std::function<void(std::span<const std::uint8_t>)>& blob) override {
    const auto rows = read_tx_->exec_params(
        "SELECT blob FROM minute_chunks WHERE channel = $1 AND hour_ms >= $2 AND hour_ms < $3",
        channel_id, from_ms, to_ms);
    for (const auto& row : rows) {
      const pqxx::binarystring bytes(row[0]);
      blob({bytes.data(), bytes.size()});
    }
  }

  void read_hours(std::int64_t channel_id, std::int64_t from_ms, std::int64_t to_ms,
                  const std::function<void(const RollupDelta&)>& row) override {
    const auto rows = read_tx_->exec_params(
        "SELECT bucket_ms, min, max, sum, count FROM rollups_hour WHERE channel = $1 "
        "AND bucket_ms >= $2 AND bucket_ms < $3 ORDER BY bucket_ms",
        channel_id, from_ms, to_ms);
    for (const auto& r : rows) {
      RollupDelta delta;
      delta.bucket_ms = r[0].as<std::int64_t>();
      delta.min = r[1].as<double>();
      delta.max = r[2].as<double>();
      delta.sum = r[3].as<double>();
      delta.count = r[4].as<std::uint64_t>();
      row(delta);
    }
  }

 private:
  using ReadTx = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;
  using Key = std::pair<std::int64_t, std::int64_t>;  // channel, start_ms or bucket_ms

  static std::unique_ptr<pqxx::connection> open(const std::string& connection) {
    try {
      return std::make_unique<pqxx::connection>(connection);
    } catch (const std::exception& error) {
      throw std::runtime_error(std::string("postgres: cannot connect: ") + error.what());
    }
  }

  static std::int64_t clamp_limit(std::size_t limit) {
    return static_cast<std::int64_t>(std::min<std::size_t>(limit, 1'000'000'000));
  }

  pqxx::work& tx() {
    if (!tx_) throw std::logic_error("postgres store: write outside a transaction");
    return *tx_;
  }

  void find_data_directory() {
    try {
      pqxx::nontransaction tx(*stats_conn_);
      const auto directory = tx.exec("SHOW data_directory")[0][0].as<std::string>();
      std::error_code error;
      if (std::filesystem::is_directory(directory, error)) data_directory_ = directory;
    } catch (const std::exception&) {
      // Not allowed to read it: disk figures stay unknown.
    }
  }

  void load_partitions() {
    if (partitions_known_) return;
    partitions_.clear();
    const auto rows = tx().exec(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'chunks'");
    for (const auto& row : rows)
      if (const auto month = month_of_table(row[0].as<std::string>()))
        partitions_.insert(month->start_ms);
    partitions_known_ = true;
  }

  void ensure_partition(std::int64_t time_ms) {
    const auto month = month_of(time_ms);
    if (partitions_.contains(month.start_ms)) return;
    tx().exec(fmt::format(
        "CREATE TABLE IF NOT EXISTS {} PARTITION OF chunks FOR VALUES FROM ({}) TO ({})",
        month.table(), month.start_ms, month.end_ms));
    partitions_.insert(month.start_ms);
  }

  // Sends the buffered chunk, minute and hour writes as multi-row upserts.
  void send_pending() {
    if (!pending_chunks_.empty()) {
      load_partitions();
      for (const auto& [key, row] : pending_chunks_) ensure_partition(row.start_ms);
      std::string sql;
      std::size_t rows = 0;
      const auto send = [&] {
        if (rows == 0) return;
        sql +=
            " ON CONFLICT(channel, start_ms) DO UPDATE SET end_ms = excluded.end_ms, "
            "count = excluded.count, blob = excluded.blob";
        tx().exec(sql);
        rows = 0;
      };
      for (const auto& [key, row] : pending_chunks_) {
        if (rows == 0) sql = "INSERT INTO chunks(channel, start_ms, end_ms, count, blob) VALUES";
        sql += fmt::format("{}({},{},{},{},{})", rows == 0 ? "" : ",", row.channel, row.start_ms,
                           row.end_ms, row.count, hex_bytea(row.blob));
        if (++rows == kRowsPerStatement) send();
      }
      send();
      pending_chunks_.clear();
    }
    {
      std::string sql;
      std::size_t rows = 0;
      const auto send = [&] {
        if (rows == 0) return;
        sql += " ON CONFLICT(channel, hour_ms, session) DO NOTHING";
        tx().exec(sql);
        rows = 0;
      };
      for (const auto& [key, blob] : pending_minutes_) {
        if (rows == 0) sql = "INSERT INTO minute_chunks(channel, hour_ms, session, blob) VALUES";
        sql += fmt::format("{}({},{},nextval('minute_parts'),{})", rows == 0 ? "" : ",", key.first,
                           key.second, hex_bytea(blob));
        if (++rows == kRowsPerStatement) send();
      }
      send();
      pending_minutes_.clear();
    }
    std::string sql;
    std::size_t rows = 0;
    const auto send = [&] {
      if (rows == 0) return;
      sql +=
          " ON CONFLICT(channel, bucket_ms) DO UPDATE SET min = least(rollups_hour.min, "
          "excluded.min), max = greatest(rollups_hour.max, excluded.max), "
          "sum = rollups_hour.sum + excluded.sum, count = rollups_hour.count + excluded.count";
      tx().exec(sql);
      rows = 0;
    };
    for (const auto& [key, delta] : pending_hours_) {
      if (rows == 0)
        sql = "INSERT INTO rollups_hour(channel, bucket_ms, min, max, sum, count) VALUES";
      // {} of a double is its shortest exact decimal form, so values round-trip.
      sql += fmt::format("{}({},{},{},{},{},{})", rows == 0 ? "" : ",", key.first, key.second,
                         delta.min, delta.max, delta.sum, delta.count);
      if (++rows == kRowsPerStatement) send();
    }
    send();
    pending_hours_.clear();
  }

  // Writer side (QueuedStore holds the write lock around every hook).
  std::unique_ptr<pqxx::connection> write_conn_;
  std::unique_ptr<pqxx::work> tx_;
  std::map<Key, ChunkRow> pending_chunks_;
  std::vector<std::pair<Key, std::vector<std::uint8_t>>> pending_minutes_;  // (channel, hour)
  std::map<Key, RollupDelta> pending_hours_;
  std::int64_t session_ = 0;           // this store's minute rows
  std::set<std::int64_t> partitions_;  // month starts that have a partition
  bool partitions_known_ = false;

  // Reader side (under read_mutex_).
  std::unique_ptr<pqxx::connection> read_conn_;
  std::unique_ptr<ReadTx> read_tx_;

  mutable std::mutex stats_mutex_;
  std::unique_ptr<pqxx::connection> stats_conn_;
  std::string data_directory_;
};

}  // namespace

std::unique_ptr<HistoryStore> open_postgres_store(const std::string& connection,
                                                  HistoryOptions options) {
  return std::make_unique<PostgresStore>(connection, options);
}

}  // namespace btms::history
