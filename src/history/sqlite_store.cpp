// SQLite history store. One writer thread owns the write connection and all in-memory state
// (open chunks, rollup deltas); queries use a second connection (WAL lets them read while the
// writer writes). Data reaches disk in one transaction per commit interval, so a killed process
// loses at most that interval and reopens intact.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <variant>

#include <fmt/format.h>

#include "history/chunk_codec.hpp"
#include "history/history_store.hpp"
#include "history/sqlite_db.hpp"

namespace btms::history {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kYearMs = 366LL * 86'400'000;
constexpr std::int64_t kLatestSaneMs = 7'258'118'400'000LL;  // 2200-01-01

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS channels(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, unit TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks(channel INTEGER NOT NULL, start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL, count INTEGER NOT NULL, blob BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_channel_end ON chunks(channel, end_ms);
CREATE TABLE IF NOT EXISTS rollups_minute(channel INTEGER NOT NULL, bucket_ms INTEGER NOT NULL,
  min REAL NOT NULL, max REAL NOT NULL, sum REAL NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY(channel, bucket_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollups_hour(channel INTEGER NOT NULL, bucket_ms INTEGER NOT NULL,
  min REAL NOT NULL, max REAL NOT NULL, sum REAL NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY(channel, bucket_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, event_id INTEGER NOT NULL,
  time_ms INTEGER NOT NULL, kind INTEGER NOT NULL, severity INTEGER NOT NULL, source TEXT NOT NULL,
  rule TEXT NOT NULL, text TEXT NOT NULL, user TEXT NOT NULL, value REAL NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_time ON events(time_ms);
)sql";

// Rollup of quality-ok samples in one bucket, accumulated since it was last written; writes
// merge into the stored row so partial buckets (commit, restart) add up correctly.
struct RollupDelta {
  std::int64_t bucket_ms = std::numeric_limits<std::int64_t>::min();
  double min = 0.0;
  double max = 0.0;
  double sum = 0.0;
  std::uint64_t count = 0;

  void add(double value) {
    if (count == 0) {
      min = value;
      max = value;
    } else {
      min = std::min(min, value);
      max = std::max(max, value);
    }
    sum += value;
    ++count;
  }
};

struct ChannelState {
  std::int64_t db_id = 0;
  std::int64_t last_time_ms = std::numeric_limits<std::int64_t>::min();
  std::vector<RawPoint> open;   // the chunk being filled
  std::int64_t open_rowid = 0;  // its row once written as a provisional tail (0 = none)
  bool open_dirty = false;      // points added since the tail was last written
  RollupDelta minute;
  RollupDelta hour;
};

struct FlushRequest {
  std::promise<void> done;
};

using QueueItem = std::variant<std::shared_ptr<const model::Snapshot>, model::Event,
                               std::shared_ptr<FlushRequest>>;

std::int64_t floor_to(std::int64_t time_ms, std::int64_t width_ms) {
  const std::int64_t q = time_ms / width_ms;
  return (time_ms % width_ms < 0 ? q - 1 : q) * width_ms;
}

class SqliteStore final : public HistoryStore {
 public:
  SqliteStore(const std::string& path, HistoryOptions options)
      : path_(path), options_(options), write_db_(path) {
    write_db_.exec("PRAGMA journal_mode=WAL");
    write_db_.exec("PRAGMA synchronous=NORMAL");
    write_db_.exec(kSchema);
    insert_channel_ =
        std::make_unique<SqliteStmt>(write_db_, "INSERT INTO channels(name, unit) VALUES(?, ?)");
    insert_chunk_ = std::make_unique<SqliteStmt>(
        write_db_, "INSERT INTO chunks(channel, start_ms, end_ms, count, blob) VALUES(?,?,?,?,?)");
    update_chunk_ = std::make_unique<SqliteStmt>(
        write_db_,
        "UPDATE chunks SET start_ms = ?, end_ms = ?, count = ?, blob = ? WHERE rowid = ?");
    upsert_minute_ = std::make_unique<SqliteStmt>(write_db_, upsert_sql("rollups_minute").c_str());
    upsert_hour_ = std::make_unique<SqliteStmt>(write_db_, upsert_sql("rollups_hour").c_str());
    insert_event_ = std::make_unique<SqliteStmt>(
        write_db_,
        "INSERT INTO events(event_id, time_ms, kind, severity, source, rule, text, user, value) "
        "VALUES(?,?,?,?,?,?,?,?,?)");
    load_channels();

    read_db_ = std::make_unique<SqliteDb>(path);
    find_channel_ =
        std::make_unique<SqliteStmt>(*read_db_, "SELECT id FROM channels WHERE name = ?");
    select_chunks_ = std::make_unique<SqliteStmt>(
        *read_db_,
        "SELECT blob FROM chunks WHERE channel = ? AND end_ms >= ? AND start_ms < ? "
        "ORDER BY start_ms");
    select_minute_ = std::make_unique<SqliteStmt>(
        *read_db_,
        "SELECT bucket_ms, min, max, sum, count FROM rollups_minute "
        "WHERE channel = ? AND bucket_ms >= ? AND bucket_ms < ? ORDER BY bucket_ms");
    select_hour_ = std::make_unique<SqliteStmt>(
        *read_db_,
        "SELECT bucket_ms, min, max, sum, count FROM rollups_hour "
        "WHERE channel = ? AND bucket_ms >= ? AND bucket_ms < ? ORDER BY bucket_ms");
    select_events_ = std::make_unique<SqliteStmt>(
        *read_db_,
        "SELECT event_id, time_ms, kind, severity, source, rule, text, user, value FROM events "
        "WHERE time_ms >= ? AND time_ms < ? ORDER BY time_ms DESC, seq DESC LIMIT ?");

    writer_ = std::thread([this] { writer_loop(); });
  }

  ~SqliteStore() override {
    {
      std::lock_guard lock(queue_mutex_);
      stopping_ = true;
    }
    queue_cv_.notify_one();
    writer_.join();
  }

  void append(const model::Snapshot& snapshot) override {
    // Checked before copying so a full queue costs the caller no allocation.
    if (!has_room() || !push(std::make_shared<const model::Snapshot>(snapshot), true))
      ++stats_.snapshots_dropped;
  }

  void append(std::shared_ptr<const model::Snapshot> snapshot) override {
    if (!snapshot) return;
    if (!push(std::move(snapshot), true)) ++stats_.snapshots_dropped;
  }

  void append_event(const model::Event& event) override {
    if (!push(event, true)) ++stats_.events_dropped;
  }

  void flush() override {
    auto request = std::make_shared<FlushRequest>();
    auto done = request->done.get_future();
    push(request, false);  // a flush is never dropped: the caller asked to wait
    done.get();
  }

  std::vector<ChannelSeries> query(const std::vector<std::string>& channels, std::int64_t from_ms,
                                   std::int64_t to_ms, int points) override {
    if (points < 1 || points > 10'000)
      throw std::invalid_argument(fmt::format("points must be 1..10000, got {}", points));
    if (from_ms >= to_ms)
      throw std::invalid_argument(
          fmt::format("from_ms ({}) must be before to_ms ({})", from_ms, to_ms));
    if (from_ms < 0 || to_ms > kLatestSaneMs || to_ms - from_ms > 100 * kYearMs)
      throw std::invalid_argument(fmt::format(
          "range {}..{} ms is outside 1970..2200 or longer than 100 years", from_ms, to_ms));

    const std::int64_t span_ms = to_ms - from_ms;
    std::int64_t width_ms = (span_ms + points - 1) / points;
    Tier tier = Tier::raw;
    if (width_ms >= kHourMs) {
      tier = Tier::hour;
      width_ms = (width_ms + kHourMs - 1) / kHourMs * kHourMs;
    } else if (width_ms >= kMinuteMs) {
      tier = Tier::minute;
      width_ms = (width_ms + kMinuteMs - 1) / kMinuteMs * kMinuteMs;
    }

    std::lock_guard lock(read_mutex_);
    std::vector<std::int64_t> ids;
    for (const auto& name : channels) {
      find_channel_->bind(1, std::string_view(name));
      if (!find_channel_->step()) {
        find_channel_->reset();
        throw std::invalid_argument(fmt::format("unknown channel '{}'", name));
      }
      ids.push_back(find_channel_->column_int(0));
      find_channel_->reset();
    }

    // Read the whole answer in one read transaction so all channels see the same commit.
    read_db_->exec("BEGIN");
    std::vector<ChannelSeries> result;
    try {
      for (std::size_t i = 0; i < channels.size(); ++i) {
        ChannelSeries series{channels[i], tier, width_ms, {}};
        if (tier == Tier::raw)
          query_raw(ids[i], from_ms, to_ms, width_ms, series.buckets);
        else
          query_rollup(tier == Tier::hour ? *select_hour_ : *select_minute_,
                       tier == Tier::hour ? kHourMs : kMinuteMs, ids[i], from_ms, to_ms, width_ms,
                       series.buckets);
        result.push_back(std::move(series));
      }
    } catch (...) {
      read_db_->exec("COMMIT");
      throw;
    }
    read_db_->exec("COMMIT");
    return result;
  }

  std::vector<model::Event> events(std::int64_t from_ms, std::int64_t to_ms,
                                   std::size_t limit) override {
    std::lock_guard lock(read_mutex_);
    std::vector<model::Event> result;
    select_events_->bind(1, from_ms)
        .bind(2, to_ms)
        .bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1'000'000'000)));
    while (select_events_->step()) {
      model::Event event;
      event.id = static_cast<std::uint64_t>(select_events_->column_int(0));
      event.time_ms = select_events_->column_int(1);
      event.kind = static_cast<model::EventKind>(select_events_->column_int(2));
      event.severity = static_cast<model::Severity>(select_events_->column_int(3));
      event.source = select_events_->column_text(4);
      event.rule = select_events_->column_text(5);
      event.text = select_events_->column_text(6);
      event.user = select_events_->column_text(7);
      event.value = select_events_->column_double(8);
      result.push_back(std::move(event));
    }
    select_events_->reset();
    std::reverse(result.begin(), result.end());
    return result;
  }

  void enforce_retention(std::int64_t now_ms) override {
    const auto& policy = options_.retention;
    std::lock_guard lock(write_mutex_);
    // Open chunks are trimmed too, or their next write would bring expired points back.
    const std::int64_t raw_cutoff_ms = now_ms - policy.raw_ms;
    for (auto& state : states_) {
      const auto kept = std::find_if(state.open.begin(), state.open.end(),
                                     [&](const RawPoint& p) { return p.time_ms >= raw_cutoff_ms; });
      if (kept == state.open.begin()) continue;
      state.open.erase(state.open.begin(), kept);
      state.open_dirty = true;
    }
    if (!in_transaction_) write_db_.exec("BEGIN");
    in_transaction_ = false;
    try {
      const auto remove = [&](const char* sql, std::int64_t cutoff_ms) {
        SqliteStmt(write_db_, sql).bind(1, cutoff_ms).run();
      };
      remove("DELETE FROM chunks WHERE end_ms < ?", now_ms - policy.raw_ms);
      remove("DELETE FROM rollups_minute WHERE bucket_ms < ?", now_ms - policy.minute_ms);
      remove("DELETE FROM rollups_hour WHERE bucket_ms < ?", now_ms - policy.hour_ms);
      remove("DELETE FROM events WHERE time_ms < ?", now_ms - policy.events_ms);
      write_db_.exec("COMMIT");
    } catch (...) {
      write_db_.exec("ROLLBACK");
      throw;
    }
  }

  HistoryStats stats() const override {
    HistoryStats out;
    out.values_written = stats_.values_written.load();
    out.chunks_written = stats_.chunks_written.load();
    out.events_written = stats_.events_written.load();
    out.snapshots_dropped = stats_.snapshots_dropped.load();
    out.events_dropped = stats_.events_dropped.load();
    std::error_code error;
    for (const auto& file : {path_, path_ + "-wal"}) {
      const auto size = std::filesystem::file_size(file, error);
      if (!error) out.bytes_on_disk += size;
    }
    return out;
  }

 private:
  struct AtomicStats {
    std::atomic<std::uint64_t> values_written{0};
    std::atomic<std::uint64_t> chunks_written{0};
    std::atomic<std::uint64_t> events_written{0};
    std::atomic<std::uint64_t> snapshots_dropped{0};
    std::atomic<std::uint64_t> events_dropped{0};
  };

  static std::string upsert_sql(const char* table) {
    return fmt::format(
        "INSERT INTO {0}(channel, bucket_ms, min, max, sum, count) VALUES(?,?,?,?,?,?) "
        "ON CONFLICT(channel, bucket_ms) DO UPDATE SET min = min({0}.min, excluded.min), "
        "max = max({0}.max, excluded.max), sum = {0}.sum + excluded.sum, "
        "count = {0}.count + excluded.count",
        table);
  }

  bool has_room() {
    std::lock_guard lock(queue_mutex_);
    return queued_ < options_.queue_capacity;
  }

  // Returns false (and does not queue) when a bounded item finds the queue full.
  bool push(QueueItem item, bool bounded) {
    {
      std::lock_guard lock(queue_mutex_);
      if (bounded) {
        if (queued_ >= options_.queue_capacity) return false;
        ++queued_;
      }
      queue_.push_back(std::move(item));
    }
    queue_cv_.notify_one();
    return true;
  }

  void load_channels() {
    SqliteStmt channels(write_db_, "SELECT id, name FROM channels");
    while (channels.step()) {
      ChannelState state;
      state.db_id = channels.column_int(0);
      states_.push_back(std::move(state));
      by_name_.emplace(channels.column_text(1), states_.size() - 1);
    }
    SqliteStmt last(write_db_, "SELECT channel, max(end_ms) FROM chunks GROUP BY channel");
    std::unordered_map<std::int64_t, std::int64_t> last_by_id;
    while (last.step()) last_by_id[last.column_int(0)] = last.column_int(1);
    for (auto& state : states_) {
      const auto it = last_by_id.find(state.db_id);
      if (it != last_by_id.end()) state.last_time_ms = it->second;
    }
  }

  // Maps the snapshot's directory to our channel states, adding unseen names to the table.
  void map_directory(const std::shared_ptr<const model::ChannelDirectory>& directory) {
    if (directory == mapped_directory_) return;
    directory_map_.assign(directory->size(), 0);
    for (model::ChannelId id = 0; id < directory->size(); ++id) {
      const auto& info = directory->info(id);
      auto it = by_name_.find(info.name);
      if (it == by_name_.end()) {
        insert_channel_->bind(1, std::string_view(info.name)).bind(2, std::string_view(info.unit));
        insert_channel_->run();
        ChannelState state;
        state.db_id = sqlite3_last_insert_rowid(write_db_.handle());
        states_.push_back(std::move(state));
        it = by_name_.emplace(info.name, states_.size() - 1).first;
      }
      directory_map_[id] = it->second;
    }
    mapped_directory_ = directory;
  }

  void ingest(const model::Snapshot& snapshot) {
    if (!snapshot.channels) return;
    map_directory(snapshot.channels);
    const std::size_t n = std::min(snapshot.samples.size(), directory_map_.size());
    std::uint64_t written = 0;
    for (std::size_t id = 0; id < n; ++id) {
      const auto& sample = snapshot.samples[id];
      auto& state = states_[directory_map_[id]];
      if (sample.time_ms <= state.last_time_ms || sample.time_ms <= 0) continue;
      if (!state.open.empty() &&
          (state.open.size() >= options_.chunk_max_points ||
           sample.time_ms - state.open.front().time_ms >= options_.chunk_max_span_ms))
        close_chunk(state);
      state.open.push_back({sample.time_ms, sample.value, sample.quality});
      state.open_dirty = true;
      state.last_time_ms = sample.time_ms;
      ++written;
      if (sample.quality == model::Quality::ok && std::isfinite(sample.value)) {
        add_rollup(state, state.minute, *upsert_minute_, floor_to(sample.time_ms, kMinuteMs),
                   sample.value);
        add_rollup(state, state.hour, *upsert_hour_, floor_to(sample.time_ms, kHourMs),
                   sample.value);
      }
    }
    stats_.values_written += written;
  }

  void add_rollup(const ChannelState& state, RollupDelta& delta, SqliteStmt& upsert,
                  std::int64_t bucket_ms, double value) {
    if (delta.bucket_ms != bucket_ms) {
      write_rollup(state, delta, upsert);
      delta.bucket_ms = bucket_ms;
    }
    delta.add(value);
  }

  static void write_rollup(const ChannelState& state, RollupDelta& delta, SqliteStmt& upsert) {
    if (delta.count == 0) return;
    upsert.bind(1, state.db_id).bind(2, delta.bucket_ms).bind(3, delta.min).bind(4, delta.max);
    upsert.bind(5, delta.sum).bind(6, static_cast<std::int64_t>(delta.count));
    upsert.run();
    delta.count = 0;
    delta.sum = 0.0;
  }

  void write_tail(ChannelState& state) {
    if (state.open.empty()) {
      if (state.open_rowid != 0)
        SqliteStmt(write_db_, "DELETE FROM chunks WHERE rowid = ?").bind(1, state.open_rowid).run();
      state.open_rowid = 0;
      return;
    }
    const auto blob = encode_chunk(state.open);
    const auto end_ms = state.open.back().time_ms;
    const auto count = static_cast<std::int64_t>(state.open.size());
    if (state.open_rowid != 0) {
      update_chunk_->bind(1, state.open.front().time_ms).bind(2, end_ms).bind(3, count);
      update_chunk_->bind_blob(4, blob).bind(5, state.open_rowid);
      update_chunk_->run();
      // Retention may have removed the provisional row; then it is written anew.
      if (sqlite3_changes(write_db_.handle()) == 1) return;
    }
    insert_chunk_->bind(1, state.db_id).bind(2, state.open.front().time_ms).bind(3, end_ms);
    insert_chunk_->bind(4, count).bind_blob(5, blob);
    insert_chunk_->run();
    state.open_rowid = sqlite3_last_insert_rowid(write_db_.handle());
  }

  void close_chunk(ChannelState& state) {
    write_tail(state);
    state.open.clear();
    state.open_rowid = 0;
    state.open_dirty = false;
    ++stats_.chunks_written;
  }

  // Makes everything ingested so far durable at the next COMMIT: open chunks as provisional
  // rows, rollup deltas merged into their buckets.
  void checkpoint() {
    for (auto& state : states_) {
      if (state.open_dirty) {
        write_tail(state);
        state.open_dirty = false;
      }
      write_rollup(state, state.minute, *upsert_minute_);
      write_rollup(state, state.hour, *upsert_hour_);
    }
  }

  void insert_event(const model::Event& event) {
    insert_event_->bind(1, static_cast<std::int64_t>(event.id)).bind(2, event.time_ms);
    insert_event_->bind(3, static_cast<std::int64_t>(event.kind));
    insert_event_->bind(4, static_cast<std::int64_t>(event.severity));
    insert_event_->bind(5, std::string_view(event.source)).bind(6, std::string_view(event.rule));
    insert_event_->bind(7, std::string_view(event.text)).bind(8, std::string_view(event.user));
    insert_event_->bind(9, event.value);
    insert_event_->run();
    ++stats_.events_written;
  }

  void writer_loop() {
    using Clock = std::chrono::steady_clock;
    auto next_commit = Clock::now() + std::chrono::milliseconds(options_.commit_interval_ms);
    std::deque<QueueItem> batch;
    for (;;) {
      bool stopping = false;
      {
        std::unique_lock lock(queue_mutex_);
        queue_cv_.wait_until(lock, next_commit, [&] { return stopping_ || !queue_.empty(); });
        batch.swap(queue_);
        queued_ = 0;
        stopping = stopping_;
      }
      std::vector<std::shared_ptr<FlushRequest>> flushes;
      std::exception_ptr failure;
      {
        std::lock_guard lock(write_mutex_);
        try {
          if (!in_transaction_ && !batch.empty()) {
            write_db_.exec("BEGIN");
            in_transaction_ = true;
          }
          for (auto& item : batch) {
            if (auto* snapshot = std::get_if<std::shared_ptr<const model::Snapshot>>(&item))
              ingest(**snapshot);
            else if (auto* event = std::get_if<model::Event>(&item))
              insert_event(*event);
            else
              flushes.push_back(std::get<std::shared_ptr<FlushRequest>>(item));
          }
          if (Clock::now() >= next_commit || !flushes.empty() || stopping) {
            if (!in_transaction_) {
              write_db_.exec("BEGIN");
              in_transaction_ = true;
            }
            checkpoint();
            write_db_.exec("COMMIT");
            in_transaction_ = false;
            next_commit = Clock::now() + std::chrono::milliseconds(options_.commit_interval_ms);
          }
        } catch (...) {
          // A failing disk must not kill the process; the flush callers learn about it.
          failure = std::current_exception();
          if (in_transaction_) {
            try {
              write_db_.exec("ROLLBACK");
            } catch (...) {
            }
            in_transaction_ = false;
          }
        }
      }
      batch.clear();
      for (auto& request : flushes) {
        if (failure)
          request->done.set_exception(failure);
        else
          request->done.set_value();
      }
      if (stopping) {
        std::lock_guard lock(queue_mutex_);
        if (queue_.empty()) return;
      }
    }
  }

  void query_rollup(SqliteStmt& select, std::int64_t tier_ms, std::int64_t channel,
                    std::int64_t from_ms, std::int64_t to_ms, std::int64_t width_ms,
                    std::vector<Bucket>& out) {
    select.bind(1, channel).bind(2, floor_to(from_ms, tier_ms)).bind(3, to_ms);
    std::vector<double> sums;
    while (select.step()) {
      const std::int64_t start_ms = floor_to(select.column_int(0), width_ms);
      const double min = select.column_double(1);
      const double max = select.column_double(2);
      const double sum = select.column_double(3);
      const auto count = static_cast<std::uint64_t>(select.column_int(4));
      merge(out, sums, start_ms, min, max, sum, count);
    }
    select.reset();
    finish(out, sums);
  }

  void query_raw(std::int64_t channel, std::int64_t from_ms, std::int64_t to_ms,
                 std::int64_t width_ms, std::vector<Bucket>& out) {
    select_chunks_->bind(1, channel).bind(2, from_ms).bind(3, to_ms);
    std::vector<double> sums;
    while (select_chunks_->step()) {
      for (const auto& point : decode_chunk(select_chunks_->column_blob(0))) {
        if (point.time_ms < from_ms || point.time_ms >= to_ms) continue;
        if (point.quality != model::Quality::ok || !std::isfinite(point.value)) continue;
        merge(out, sums, floor_to(point.time_ms, width_ms), point.value, point.value, point.value,
              1);
      }
    }
    select_chunks_->reset();
    finish(out, sums);
  }

  // Buckets arrive in ascending time (chunks and rollups are read ordered by start).
  static void merge(std::vector<Bucket>& out, std::vector<double>& sums, std::int64_t start_ms,
                    double min, double max, double sum, std::uint64_t count) {
    if (out.empty() || out.back().time_ms != start_ms) {
      out.push_back({start_ms, min, max, 0.0, 0});
      sums.push_back(0.0);
    }
    auto& bucket = out.back();
    bucket.min = std::min(bucket.min, min);
    bucket.max = std::max(bucket.max, max);
    bucket.count += count;
    sums.back() += sum;
  }

  static void finish(std::vector<Bucket>& out, const std::vector<double>& sums) {
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i].mean = sums[i] / static_cast<double>(out[i].count);
  }

  const std::string path_;
  const HistoryOptions options_;

  // Writer side (write_mutex_ guards the connection; the state is the writer thread's).
  std::mutex write_mutex_;
  SqliteDb write_db_;
  bool in_transaction_ = false;
  std::unique_ptr<SqliteStmt> insert_channel_, insert_chunk_, update_chunk_, upsert_minute_,
      upsert_hour_, insert_event_;
  std::vector<ChannelState> states_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::shared_ptr<const model::ChannelDirectory> mapped_directory_;
  std::vector<std::size_t> directory_map_;

  // Reader side.
  std::mutex read_mutex_;
  std::unique_ptr<SqliteDb> read_db_;
  std::unique_ptr<SqliteStmt> find_channel_, select_chunks_, select_minute_, select_hour_,
      select_events_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<QueueItem> queue_;
  std::size_t queued_ = 0;  // bounded items in queue_
  bool stopping_ = false;

  AtomicStats stats_;
  std::thread writer_;
};

}  // namespace

std::unique_ptr<HistoryStore> open_sqlite_store(const std::string& path, HistoryOptions options) {
  return std::make_unique<SqliteStore>(path, options);
}

}  // namespace btms::history
