// What the SQLite and PostgreSQL stores have in common, written once: the bounded queue and the
// writer thread (append never blocks), taking each new sample of a snapshot into its channel's
// open chunk, its hour of minute rollups (stored compressed, rollup_codec.hpp) and its hour
// rollup delta, when to commit, retention and disk-low
// handling that spares discharge spans, health, and query planning (tier choice, fallback to
// the minute tier where raw was dropped, bucket merging).
//
// A backend derives from QueuedStore and implements the storage hooks below; it calls start()
// at the end of its constructor and stop() at the start of its destructor (the writer thread
// calls the hooks, so it must not outlive the derived object).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "history/chunk_codec.hpp"
#include "history/history_store.hpp"

namespace btms::history {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;
// Raw chunks are indexed by the 10-minute bucket their first point falls in, then channel
// (time first: new rows append instead of landing on every channel's own index page).
constexpr std::int64_t kChunkBucketMs = 600'000;

std::int64_t floor_to(std::int64_t time_ms, std::int64_t width_ms);

// The string a channel belongs to: S for "string/S/..." and "battery/S/...", else 0. Discharge
// spans protect the raw chunks of these channels.
int string_of_channel(const std::string& name);

// min_battery_voltage_V as stored: little-endian IEEE doubles, 8 bytes each.
std::vector<std::uint8_t> encode_doubles(const std::vector<double>& values);
std::vector<double> decode_doubles(std::span<const std::uint8_t> bytes);

// Rollup of quality-ok samples in one bucket, accumulated since it was last written; writes
// merge into the stored row so partial buckets (commit, restart) add up correctly.
struct RollupDelta {
  std::int64_t bucket_ms = std::numeric_limits<std::int64_t>::min();
  double min = 0.0;
  double max = 0.0;
  double sum = 0.0;
  std::uint64_t count = 0;

  void add(double value);
  void merge(const RollupDelta& other);  // same bucket
};

// A stored discharge's time span for one string; end_ms 0 (still running) protects to the end.
struct DischargeSpan {
  int string_id = 0;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  bool overlaps(std::int64_t from_ms, std::int64_t to_ms) const {
    return to_ms >= start_ms && (end_ms == 0 || from_ms <= end_ms);
  }
};

class QueuedStore : public HistoryStore {
 public:
  void append(const model::Snapshot& snapshot) final;
  void append(std::shared_ptr<const model::Snapshot> snapshot) final;
  void append_event(const model::Event& event) final;
  void append_discharge(const model::DischargeRecord& record) final;
  bool flush() final;
  std::vector<ChannelSeries> query(const std::vector<std::string>& channels, std::int64_t from_ms,
                                   std::int64_t to_ms, int points) final;
  HistoryHealth health() final;
  std::string write_failure() const final;
  void enforce_retention(std::int64_t now_ms) final;
  HistoryStats stats() const final;

 protected:
  struct StoredChannel {
    std::string name;
    std::int64_t id = 0;
    std::int64_t last_time_ms = std::numeric_limits<std::int64_t>::min();  // newest stored
  };

  explicit QueuedStore(HistoryOptions options) : options_(options) {}
  void start();  // loads channels, discharge spans and the raw horizon; starts the writer
  void stop();   // commits what is queued and joins the writer

  const HistoryOptions& options() const { return options_; }
  // Serializes readers of the backend's read connection (query() holds it; a backend's
  // events() and discharges() take it too).
  std::mutex read_mutex_;
  // Whether the raw chunks of string_id's channels over [from_ms, to_ms] must be kept because
  // a recorded discharge overlaps them (string_id 0: never).
  bool protected_span(int string_id, std::int64_t from_ms, std::int64_t to_ms) const;

  // --- Storage hooks. Writer side: called with the write lock held, on the writer thread or
  // in enforce_retention(); begin()/commit() bracket every change.
  // Every stored channel. last_time_ms is the newest end of its chunks; a backend may look only
  // at the chunks that can hold points of the journal (journal_oldest_ms: its oldest point,
  // min() when empty) and at the last hour's.
  virtual std::vector<StoredChannel> load_channels(std::int64_t journal_oldest_ms) = 0;
  virtual std::vector<DischargeSpan> load_discharge_spans() = 0;
  virtual std::int64_t load_raw_horizon() = 0;  // see raw_horizon_ms_; min() when none
  virtual void save_raw_horizon(std::int64_t horizon_ms) = 0;
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;  // must not throw
  virtual std::int64_t insert_channel(const std::string& name, const std::string& unit,
                                      int string_id) = 0;
  // Writes a sealed chunk: written once, never rewritten.
  virtual void write_chunk(std::int64_t channel_id, std::int64_t start_ms, std::int64_t end_ms,
                           std::int64_t count, std::vector<std::uint8_t> blob) = 0;
  // Hour rollups: rows merged into the stored bucket (min/max combined, sums and counts added).
  virtual void upsert_hour(std::int64_t channel_id, const RollupDelta& delta) = 0;
  // Minute rollups of one sealed chunk within one hour (rollup_codec blob); an hour has one row
  // per chunk that reached into it, and queries merge them.
  // chunk_start_ms: where the chunk began (a backend may key the row by it, in time order).
  virtual void write_minutes(std::int64_t channel_id, std::int64_t hour_ms,
                             std::int64_t chunk_start_ms, std::vector<std::uint8_t> blob) = 0;
  // The write-ahead of open chunks: per commit one record with the points taken since the
  // previous commit (journal format, queued_store.cpp), so a killed process loses at most one
  // commit interval while open chunks are written only once, when sealed.
  virtual void append_journal(std::uint64_t seq, std::vector<std::uint8_t> blob) = 0;
  // Deletes the records before seq (their points are all in sealed chunks now).
  virtual void delete_journal_before(std::uint64_t seq) = 0;
  // Every record in ascending seq (at start, before the writer runs).
  virtual void load_journal(
      const std::function<void(std::uint64_t seq, std::span<const std::uint8_t> blob)>& record) = 0;
  virtual void insert_event(const model::Event& event) = 0;
  virtual void upsert_discharge(const model::DischargeRecord& record) = 0;
  // Deletes what the policy expires: raw chunks ending before now - raw_ms except those of a
  // string's channels overlapping one of its discharges, rollups, events. Never discharges.
  virtual void delete_expired(std::int64_t now_ms, const RetentionPolicy& policy) = 0;
  // Deletes the oldest unprotected raw chunks, at least `bytes` of blobs (all there are when
  // fewer). Returns the newest end_ms deleted, or min() when nothing was.
  virtual std::int64_t drop_oldest_raw(std::uint64_t bytes) = 0;
  virtual std::optional<std::uint64_t> disk_free_bytes() = 0;  // nullopt when unknown
  virtual std::uint64_t bytes_on_disk() const = 0;

  // --- Reader hooks: called with the read lock held, between begin_read() and end_read().
  virtual std::optional<std::int64_t> find_channel(const std::string& name) = 0;
  virtual void begin_read() = 0;
  virtual void end_read() = 0;  // must not throw
  // Blobs of the chunks with end_ms >= from_ms and start_ms < to_ms, ascending start_ms.
  virtual void read_chunks(std::int64_t channel_id, std::int64_t from_ms, std::int64_t to_ms,
                           const std::function<void(std::span<const std::uint8_t>)>& blob) = 0;
  // Hour rollup rows with from_ms <= bucket_ms < to_ms, ascending.
  virtual void read_hours(std::int64_t channel_id, std::int64_t from_ms, std::int64_t to_ms,
                          const std::function<void(const RollupDelta&)>& row) = 0;
  // Minute blobs of the hours with from_ms <= hour_ms < to_ms (any order).
  virtual void read_minutes(std::int64_t channel_id, std::int64_t from_ms, std::int64_t to_ms,
                            const std::function<void(std::span<const std::uint8_t>)>& blob) = 0;

 private:
  struct FlushRequest;
  struct ChannelState {
    std::int64_t db_id = 0;
    int string_id = 0;
    double resolution = 0.0;  // model::channel_resolution(name); 0 = every change counts
    std::int64_t last_time_ms = std::numeric_limits<std::int64_t>::min();   // newest sample seen
    std::int64_t sealed_end_ms = std::numeric_limits<std::int64_t>::min();  // newest sealed
    // The newest stored point: a sample is stored when it differs from it at the resolution,
    // changes quality, or is heartbeat_ms newer.
    bool has_last = false;
    double last_value = 0.0;
    model::Quality last_quality = model::Quality::ok;
    std::int64_t last_stored_ms = std::numeric_limits<std::int64_t>::min();
    int grid_hint = -1;                // finest decimal grid this channel's values needed
    std::optional<ChunkEncoder> open;  // the chunk being filled; none between chunks
    ChunkEncoder::Mark committed;      // its committed prefix (what queries see)
    std::uint64_t open_first_seq = 0;  // journal record holding its first point
    std::int64_t span_limit_ms = 0;    // when it seals at the latest (staggered per channel)
    std::vector<RawPoint> pending;     // points taken since the last commit (the journal)
    bool listed = false;               // in pending_channels_
  };
  struct SealedChunk {
    std::int64_t db_id = 0;
    std::int64_t start_ms = 0;
    std::int64_t end_ms = 0;
    std::int64_t count = 0;
    std::vector<std::uint8_t> blob;
    // Points of the chunk already in a committed journal record: a query shows these while
    // the chunk waits for the commit that writes it (the open chunk is gone by then).
    std::size_t committed_points = 0;
    // The journal record holding the chunk's first point: the journal is kept from here on
    // while the chunk waits in memory, so a killed process replays its points.
    std::uint64_t first_journal_seq = 0;
  };
  using QueueItem = std::variant<std::shared_ptr<const model::Snapshot>, model::Event,
                                 model::DischargeRecord, std::shared_ptr<FlushRequest>>;

  bool has_room();
  bool push(QueueItem item, bool bounded);
  void writer_loop();
  // Store index of each channel of `directory`, computed once per directory (a name lookup per
  // channel) and kept: the plant and derived snapshots alternate between two directories.
  const std::vector<std::size_t>& map_directory(
      const std::shared_ptr<const model::ChannelDirectory>& directory);
  void ingest(const model::Snapshot& snapshot);
  void take(std::size_t index, const RawPoint& point, bool journal);
  void seal(ChannelState& state);
  void seal_stale(std::int64_t now_ms);
  void write_sealed_batch();
  void write_sealed(const SealedChunk& chunk);
  std::vector<std::uint8_t> encode_journal() const;
  void replay_journal();
  std::int64_t oldest_journal_point_ms();
  // Writes what is pending (events first, then discharges, sealed chunks with their rollups
  // and the journal record) in one transaction, plus `also` inside it. On failure nothing
  // pending is lost: it is retried at the next commit; the failure is logged and reported.
  // One transaction: pending events and discharges, the journal record of new points and, when
  // due (sealed_write_due) or `write_all_sealed`, the sealed chunks held in memory.
  void commit_pending(const std::function<void()>& also = {}, bool write_all_sealed = false);
  bool sealed_write_due() const;
  void measure_free_disk();
  void note_write_failure(const std::string& what);
  // Per channel, its committed points not (yet) in the chunks table: each sealed chunk waiting
  // for its commit, then the open chunk; one piece each, oldest first.
  std::vector<std::vector<std::vector<RawPoint>>> unstored_points(
      const std::vector<std::int64_t>& ids);
  const std::vector<RawPoint>* open_points_ = nullptr;  // query()'s current channel (read lock)
  void store_discharge(const model::DischargeRecord& record);
  void relieve_disk();
  void raise_raw_horizon(std::int64_t horizon_ms);
  void add_open_points(std::int64_t channel, std::int64_t from_ms, std::int64_t to_ms,
                       std::int64_t width_ms, std::int64_t newest_read_ms, std::vector<Bucket>& out,
                       std::vector<double>& sums);
  void query_raw(std::int64_t channel, std::int64_t from_ms, std::int64_t to_ms,
                 std::int64_t width_ms, std::vector<Bucket>& out);
  bool has_raw(std::int64_t channel, std::int64_t from_ms, std::int64_t to_ms);
  void query_rollup(Tier tier, std::int64_t channel, std::int64_t from_ms, std::int64_t to_ms,
                    std::int64_t width_ms, std::vector<Bucket>& out);

  const HistoryOptions options_;

  // Writer side: write_mutex_ guards the backend's write connection and this state.
  std::mutex write_mutex_;
  bool in_transaction_ = false;
  std::vector<ChannelState> states_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::unordered_map<std::int64_t, std::size_t> by_db_id_;
  struct DirectoryMap {
    std::shared_ptr<const model::ChannelDirectory> directory;
    std::vector<std::size_t> store_index;  // by ChannelId
  };
  std::vector<DirectoryMap> directory_maps_;   // the few directories seen, newest last
  std::uint64_t blob_bytes_since_commit_ = 0;  // chunk bytes written in this transaction
  // Taken but not yet committed; kept across failed commits and written, in this order, by
  // the next one that succeeds.
  std::vector<model::Event> events_pending_;
  std::vector<model::DischargeRecord> discharges_pending_;
  std::vector<SealedChunk> sealed_pending_;
  std::uint64_t sealed_pending_bytes_ = 0;
  // Data time (newest sample taken) and that of the last commit that wrote sealed chunks: they
  // are written in batches, HistoryOptions::sealed_write_interval_ms of data apart.
  std::int64_t newest_data_ms_ = std::numeric_limits<std::int64_t>::min();
  std::int64_t sealed_written_at_ms_ = std::numeric_limits<std::int64_t>::min();
  std::vector<std::size_t> pending_channels_;  // states with points for the journal
  std::uint64_t next_journal_seq_ = 1;
  std::uint64_t journal_kept_from_ = 0;  // oldest record still stored

  // Shared by writer and readers: discharge spans (few) and where raw data was dropped.
  mutable std::mutex spans_mutex_;
  std::vector<DischargeSpan> spans_;
  // Raw chunks ending before this were deleted (retention or low disk), except discharge
  // spans; a raw query reaching before it answers from the minute tier.
  std::atomic<std::int64_t> raw_horizon_ms_{std::numeric_limits<std::int64_t>::min()};

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<QueueItem> queue_;
  std::size_t queued_ = 0;  // bounded items in queue_
  bool stopping_ = false;
  std::thread writer_;

  struct AtomicStats {
    std::atomic<std::uint64_t> values_written{0};
    std::atomic<std::uint64_t> chunks_written{0};
    std::atomic<std::uint64_t> events_written{0};
    std::atomic<std::uint64_t> snapshots_dropped{0};
    std::atomic<std::uint64_t> events_dropped{0};
    std::atomic<std::uint64_t> values_unchanged{0};
    std::atomic<std::uint64_t> values_dropped{0};
    std::atomic<std::uint64_t> write_failures{0};
    std::atomic<std::uint64_t> buffered_bytes{0};
  } stats_;
  void update_buffered_bytes();
  // One line a minute with the running totals (offered and stored values, sealed bytes and
  // values, journal bytes): what the full-scale benchmark reads from the gateway's log.
  void log_stats();
  std::uint64_t sealed_bytes_in_commit_ = 0, sealed_values_in_commit_ = 0;
  std::uint64_t sealed_bytes_total_ = 0, sealed_values_total_ = 0, journal_bytes_total_ = 0;
  std::chrono::steady_clock::time_point writer_started_;
  void write_events_first();
  mutable std::mutex failure_mutex_;
  std::string write_failure_;  // why the last commit failed; "" once one succeeded again
  std::uint64_t drops_seen_by_health_ = 0;  // under health_mutex_
  std::mutex health_mutex_;
  std::atomic<bool> disk_low_{false};
  std::atomic<std::uint64_t> disk_free_{0};
  std::atomic<bool> disk_known_{false};
  std::atomic<std::int64_t> raw_dropped_for_disk_until_ms_{
      std::numeric_limits<std::int64_t>::min()};
};

}  // namespace btms::history
