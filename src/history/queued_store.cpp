#include "history/queued_store.hpp"

#include "history/rollup_codec.hpp"
#include "model/channel_resolution.hpp"

#include <pthread.h>
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <future>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace btms::history {
namespace {
constexpr std::int64_t kYearMs = 366LL * 86'400'000;
constexpr std::int64_t kLatestSaneMs = 7'258'118'400'000LL;  // 2200-01-01
constexpr std::uint64_t kMinDiskReliefBytes = 256ULL * 1024;
// Sealed chunks held for a batch write: at most this many bytes (about a minute of the largest
// gateway's data is 1 MB), so a burst of seals does not hold memory.
constexpr std::uint64_t kSealedBatchMaxBytes = 4ULL << 20;
}  // namespace

struct QueuedStore::FlushRequest {
  std::promise<void> done;
};

std::int64_t floor_to(std::int64_t time_ms, std::int64_t width_ms) {
  const std::int64_t q = time_ms / width_ms;
  return (time_ms % width_ms < 0 ? q - 1 : q) * width_ms;
}

int string_of_channel(const std::string& name) {
  std::string_view rest(name);
  if (rest.starts_with("string/"))
    rest.remove_prefix(7);
  else if (rest.starts_with("battery/"))
    rest.remove_prefix(8);
  else
    return 0;
  int value = 0;
  std::size_t digits = 0;
  while (digits < rest.size() && digits < 6 && rest[digits] >= '0' && rest[digits] <= '9')
    value = value * 10 + (rest[digits++] - '0');
  if (digits == 0 || digits >= rest.size() || rest[digits] != '/') return 0;
  return value;
}

std::vector<std::uint8_t> encode_doubles(const std::vector<double>& values) {
  std::vector<std::uint8_t> out;
  out.reserve(values.size() * 8);
  for (double value : values) {
    const auto bits = std::bit_cast<std::uint64_t>(value);
    for (int byte = 0; byte < 8; ++byte)
      out.push_back(static_cast<std::uint8_t>(bits >> (8 * byte)));
  }
  return out;
}

std::vector<double> decode_doubles(std::span<const std::uint8_t> bytes) {
  if (bytes.size() % 8 != 0)
    throw std::runtime_error(
        fmt::format("history: {} bytes is not a list of doubles", bytes.size()));
  std::vector<double> out;
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    std::uint64_t bits = 0;
    for (int byte = 0; byte < 8; ++byte) bits |= std::uint64_t{bytes[i + byte]} << (8 * byte);
    out.push_back(std::bit_cast<double>(bits));
  }
  return out;
}

void RollupDelta::add(double value) {
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

void RollupDelta::merge(const RollupDelta& other) {
  if (other.count == 0) return;
  if (count == 0) {
    *this = other;
    return;
  }
  min = std::min(min, other.min);
  max = std::max(max, other.max);
  sum += other.sum;
  count += other.count;
}

void QueuedStore::start() {
  std::lock_guard lock(write_mutex_);
  for (auto& stored : load_channels(oldest_journal_point_ms())) {
    ChannelState state;
    state.db_id = stored.id;
    state.string_id = string_of_channel(stored.name);
    state.resolution = model::channel_resolution(stored.name);
    state.last_time_ms = stored.last_time_ms;
    state.sealed_end_ms = stored.last_time_ms;
    states_.push_back(std::move(state));
    by_db_id_.emplace(stored.id, states_.size() - 1);
    by_name_.emplace(std::move(stored.name), states_.size() - 1);
  }
  {
    std::lock_guard spans_lock(spans_mutex_);
    spans_ = load_discharge_spans();
  }
  raw_horizon_ms_ = load_raw_horizon();
  replay_journal();
  writer_ = std::thread([this] { writer_loop(); });
  // Named so a per-thread CPU figure (/proc/PID/task/TID/stat) can tell the writer apart.
  pthread_setname_np(writer_.native_handle(), "hist:writer");
}

void QueuedStore::stop() {
  if (!writer_.joinable()) return;
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_one();
  writer_.join();
  // A clean stop seals every open chunk, so the next start has no journal to replay.
  std::lock_guard lock(write_mutex_);
  for (auto& state : states_)
    if (state.open) seal(state);
  try {
    commit_pending({}, true);
  } catch (const std::exception&) {
    spdlog::error(
        "history: stopped with {} events, {} discharges and {} chunks not written (see above)",
        events_pending_.size(), discharges_pending_.size(), sealed_pending_.size());
  }
}

void QueuedStore::append(const model::Snapshot& snapshot) {
  // Checked before copying so a full queue costs the caller no allocation.
  if (!has_room() || !push(std::make_shared<const model::Snapshot>(snapshot), true))
    ++stats_.snapshots_dropped;
}

void QueuedStore::append(std::shared_ptr<const model::Snapshot> snapshot) {
  if (!snapshot) return;
  if (!push(std::move(snapshot), true)) ++stats_.snapshots_dropped;
}

void QueuedStore::append_event(const model::Event& event) {
  if (!push(event, true)) ++stats_.events_dropped;
}

void QueuedStore::append_discharge(const model::DischargeRecord& record) {
  // Unbounded: one item per discharge, and losing one would lose its protection for life.
  push(record, false);
}

bool QueuedStore::flush() {
  auto request = std::make_shared<FlushRequest>();
  auto done = request->done.get_future();
  push(request, false);  // a flush is never dropped: the caller asked to wait
  try {
    done.get();
    return true;
  } catch (const std::exception&) {
    return false;  // logged and reported by health(); the data is retried
  }
}

bool QueuedStore::has_room() {
  std::lock_guard lock(queue_mutex_);
  return queued_ < options_.queue_capacity;
}

bool QueuedStore::push(QueueItem item, bool bounded) {
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

HistoryHealth QueuedStore::health() {
  HistoryHealth out;
  std::size_t queued = 0;
  {
    std::lock_guard lock(queue_mutex_);
    queued = queued_;
  }
  std::uint64_t new_drops = 0;
  {
    std::lock_guard lock(health_mutex_);
    const std::uint64_t drops = stats_.snapshots_dropped + stats_.events_dropped;
    new_drops = drops - drops_seen_by_health_;
    drops_seen_by_health_ = drops;
  }
  std::string failure;
  {
    std::lock_guard lock(failure_mutex_);
    failure = write_failure_;
  }
  out.write_failing = !failure.empty();
  out.falling_behind =
      out.write_failing || new_drops > 0 || queued * 4 > options_.queue_capacity * 3;
  const auto free_bytes = disk_free_bytes();
  out.disk_free_bytes = free_bytes.value_or(0);
  out.disk_low = free_bytes && *free_bytes < options_.disk_low_free_bytes;

  std::vector<std::string> parts;
  if (out.write_failing)
    parts.push_back(fmt::format(
        "history writes fail ({}): events, then telemetry are kept in memory and retried at "
        "every commit",
        failure));
  if (new_drops > 0 || queued * 4 > options_.queue_capacity * 3)
    parts.push_back(fmt::format(
        "history storage falls behind: {} items dropped since the last check, queue {}/{}",
        new_drops, queued, options_.queue_capacity));
  if (out.disk_low) {
    const std::int64_t until_ms = raw_dropped_for_disk_until_ms_;
    parts.push_back(fmt::format(
        "history disk low: {} MB free, under {} MB; dropping the oldest raw samples first "
        "(rollups, events and discharges are kept){}",
        out.disk_free_bytes >> 20, options_.disk_low_free_bytes >> 20,
        until_ms == std::numeric_limits<std::int64_t>::min()
            ? std::string()
            : fmt::format("; raw dropped up to {} ms", until_ms)));
  }
  for (std::size_t i = 0; i < parts.size(); ++i) out.text += (i > 0 ? "; " : "") + parts[i];
  return out;
}

std::string QueuedStore::write_failure() const {
  std::lock_guard lock(failure_mutex_);
  return write_failure_;
}

HistoryStats QueuedStore::stats() const {
  HistoryStats out;
  out.values_written = stats_.values_written.load();
  out.chunks_written = stats_.chunks_written.load();
  out.events_written = stats_.events_written.load();
  out.snapshots_dropped = stats_.snapshots_dropped.load();
  out.events_dropped = stats_.events_dropped.load();
  out.values_unchanged = stats_.values_unchanged.load();
  out.values_dropped = stats_.values_dropped.load();
  out.write_failures = stats_.write_failures.load();
  out.buffered_bytes = stats_.buffered_bytes.load();
  out.bytes_on_disk = bytes_on_disk();
  return out;
}

bool QueuedStore::protected_span(int string_id, std::int64_t from_ms, std::int64_t to_ms) const {
  if (string_id == 0) return false;
  std::lock_guard lock(spans_mutex_);
  return std::any_of(spans_.begin(), spans_.end(), [&](const DischargeSpan& span) {
    return span.string_id == string_id && span.overlaps(from_ms, to_ms);
  });
}

void QueuedStore::raise_raw_horizon(std::int64_t horizon_ms) {
  if (horizon_ms <= raw_horizon_ms_) return;
  raw_horizon_ms_ = horizon_ms;
  save_raw_horizon(horizon_ms);
}

void QueuedStore::enforce_retention(std::int64_t now_ms) {
  const auto& policy = options_.retention;
  std::lock_guard lock(write_mutex_);
  // Open chunks a channel stopped filling are sealed first, so their points are kept (or
  // expired) like any other, and their rollups are written.
  seal_stale(now_ms);
  try {
    // Held sealed chunks go too: retention runs seldom, and a chunk it just sealed should
    // not wait for more data to arrive.
    commit_pending(
        [&] {
          delete_expired(now_ms, policy);
          raise_raw_horizon(now_ms - policy.raw_ms);
        },
        true);
  } catch (const std::exception&) {
    // Logged and reported by health(); retention runs again next time.
  }
}

const std::vector<std::size_t>& QueuedStore::map_directory(
    const std::shared_ptr<const model::ChannelDirectory>& directory) {
  auto known = std::find_if(directory_maps_.begin(), directory_maps_.end(),
                            [&](const DirectoryMap& m) { return m.directory == directory; });
  if (known != directory_maps_.end() && known->store_index.size() == directory->size())
    return known->store_index;
  if (known == directory_maps_.end()) {
    // A handful of directories live at once (plant, derived); an old one is not seen again.
    constexpr std::size_t kDirectoriesKept = 4;
    if (directory_maps_.size() >= kDirectoriesKept) directory_maps_.erase(directory_maps_.begin());
    known = directory_maps_.insert(directory_maps_.end(), DirectoryMap{directory, {}});
  }
  // A directory only grows: channels already mapped keep their index.
  auto& store_index = known->store_index;
  for (auto id = static_cast<model::ChannelId>(store_index.size()); id < directory->size(); ++id) {
    const auto& info = directory->info(id);
    auto it = by_name_.find(info.name);
    if (it == by_name_.end()) {
      ChannelState state;
      state.string_id = string_of_channel(info.name);
      state.resolution = model::channel_resolution(info.name);
      // Outside the commit transaction: a channel row on its own is harmless if the data
      // after it fails, and ids must be known before points reference them.
      begin();
      try {
        state.db_id = insert_channel(info.name, info.unit, state.string_id);
        commit();
      } catch (...) {
        rollback();
        throw;
      }
      states_.push_back(std::move(state));
      by_db_id_.emplace(states_.back().db_id, states_.size() - 1);
      it = by_name_.emplace(info.name, states_.size() - 1).first;
    }
    store_index.push_back(it->second);
  }
  // Channels are added at start-up only: no slack kept for growth (43k states at full size).
  states_.shrink_to_fit();
  store_index.shrink_to_fit();
  return store_index;
}

void QueuedStore::ingest(const model::Snapshot& snapshot) {
  if (!snapshot.channels) return;
  const auto& directory_map = map_directory(snapshot.channels);
  const std::size_t n = std::min(snapshot.samples.size(), directory_map.size());
  std::uint64_t unchanged = 0;
  for (std::size_t id = 0; id < n; ++id) {
    const auto& sample = snapshot.samples[id];
    const std::size_t index = directory_map[id];
    auto& state = states_[index];
    if (sample.time_ms <= state.last_time_ms || sample.time_ms <= 0) continue;
    state.last_time_ms = sample.time_ms;
    newest_data_ms_ = std::max(newest_data_ms_, sample.time_ms);
    const double value = model::round_to_resolution(sample.value, state.resolution);
    const bool due = !state.has_last || sample.quality != state.last_quality ||
                     model::differs_at_resolution(value, state.last_value, state.resolution) ||
                     sample.time_ms - state.last_stored_ms >= options_.heartbeat_ms;
    if (!due) {
      ++unchanged;
      continue;
    }
    take(index, {sample.time_ms, value, sample.quality}, true);
  }
  stats_.values_unchanged += unchanged;
}

namespace {
// The decimal grid a chunk is encoded on: the channel's resolution when it has one, else the
// finest the values needed so far; -1 (XOR of doubles) for values on no grid (NaN, 1/3).
int chunk_exponent(double resolution, int grid_hint, double value) {
  const RawPoint point{0, value, model::Quality::ok};
  const int needed = grid_exponent(std::span(&point, 1));
  if (needed < 0) return -1;
  const int from_resolution = resolution > 0.0 ? model::resolution_decimals(resolution) : 0;
  return std::min(6, std::max({needed, grid_hint, from_resolution}));
}
}  // namespace

void QueuedStore::take(std::size_t index, const RawPoint& point, bool journal) {
  auto& state = states_[index];
  if (state.open && (state.open->size() >= options_.chunk_max_points ||
                     point.time_ms - state.open->first_time_ms() >= state.span_limit_ms ||
                     !state.open->fits(point.value)))
    seal(state);
  if (!state.open) {
    const int exponent = chunk_exponent(state.resolution, state.grid_hint, point.value);
    state.grid_hint = std::max(state.grid_hint, exponent);
    state.open.emplace(exponent);
    state.committed = {};
    state.open_first_seq = next_journal_seq_;
    // Channels that start together would otherwise all seal in the same commit: each one's
    // first chunk is shortened by up to a tenth of the span, from its id.
    state.span_limit_ms =
        options_.chunk_max_span_ms -
        (state.sealed_end_ms == std::numeric_limits<std::int64_t>::min()
             ? (state.db_id * 7919) % std::max<std::int64_t>(1, options_.chunk_max_span_ms / 10)
             : 0);
  }
  state.open->append(point);
  state.has_last = true;
  state.last_value = point.value;
  state.last_quality = point.quality;
  state.last_stored_ms = point.time_ms;
  state.last_time_ms = std::max(state.last_time_ms, point.time_ms);
  if (!journal) {
    state.committed = state.open->mark();  // replayed from a committed record
    return;
  }
  state.pending.push_back(point);
  if (!state.listed) {
    state.listed = true;
    pending_channels_.push_back(index);
  }
  ++stats_.values_written;
}

void QueuedStore::seal(ChannelState& state) {
  if (!state.open || state.open->empty()) {
    state.open.reset();
    return;
  }
  SealedChunk chunk{state.db_id,
                    state.open->first_time_ms(),
                    state.open->last_time_ms(),
                    static_cast<std::int64_t>(state.open->size()),
                    state.open->blob(),
                    state.committed.points,
                    state.open_first_seq};
  sealed_pending_bytes_ += chunk.blob.size();
  sealed_pending_.push_back(std::move(chunk));
  state.sealed_end_ms = state.open->last_time_ms();
  state.open.reset();  // releases the chunk's memory
  state.committed = {};
  // The chunk's points not yet in the journal (state.pending) still go into the next record:
  // the chunk itself may wait in memory for several commits (sealed_write_interval_ms).
  ++stats_.chunks_written;
  // Writes failing for long: give up the oldest telemetry rather than all of memory.
  while (sealed_pending_bytes_ > options_.max_unwritten_bytes && !sealed_pending_.empty()) {
    sealed_pending_bytes_ -= sealed_pending_.front().blob.size();
    stats_.values_dropped += static_cast<std::uint64_t>(sealed_pending_.front().count);
    sealed_pending_.erase(sealed_pending_.begin());
  }
}

void QueuedStore::seal_stale(std::int64_t now_ms) {
  for (auto& state : states_)
    if (state.open && now_ms - state.open->last_time_ms() >= options_.chunk_max_span_ms)
      seal(state);
}

// The held chunks in time order, then by channel: the order of the tables' time-first keys, so
// a batch's rows land next to each other in the same few index pages.
void QueuedStore::write_sealed_batch() {
  std::stable_sort(sealed_pending_.begin(), sealed_pending_.end(),
                   [](const SealedChunk& a, const SealedChunk& b) {
                     const auto bucket_a = floor_to(a.start_ms, kChunkBucketMs);
                     const auto bucket_b = floor_to(b.start_ms, kChunkBucketMs);
                     return bucket_a != bucket_b ? bucket_a < bucket_b : a.db_id < b.db_id;
                   });
  for (const auto& chunk : sealed_pending_) write_sealed(chunk);
}

// Minute and hour rollups of the sealed chunk's points, written with it.
void QueuedStore::write_sealed(const SealedChunk& chunk) {
  write_chunk(chunk.db_id, chunk.start_ms, chunk.end_ms, chunk.count, chunk.blob);
  blob_bytes_since_commit_ += chunk.blob.size();
  sealed_bytes_in_commit_ += chunk.blob.size();
  sealed_values_in_commit_ += static_cast<std::uint64_t>(chunk.count);
  std::vector<RollupDelta> minutes;
  RollupDelta hour;
  const auto flush_hour = [&] {
    if (!minutes.empty())
      write_minutes(chunk.db_id, floor_to(minutes.front().bucket_ms, kHourMs), chunk.start_ms,
                    encode_rollups(minutes));
    if (hour.count > 0) upsert_hour(chunk.db_id, hour);
    minutes.clear();
    hour = RollupDelta{};
  };
  for (const auto& point : decode_chunk(chunk.blob)) {
    if (point.quality != model::Quality::ok || !std::isfinite(point.value)) continue;
    const std::int64_t minute_ms = floor_to(point.time_ms, kMinuteMs);
    const std::int64_t hour_ms = floor_to(point.time_ms, kHourMs);
    if (hour.count > 0 && hour.bucket_ms != hour_ms) flush_hour();
    hour.bucket_ms = hour_ms;
    hour.add(point.value);
    if (minutes.empty() || minutes.back().bucket_ms != minute_ms) {
      minutes.push_back(RollupDelta{});
      minutes.back().bucket_ms = minute_ms;
    }
    minutes.back().add(point.value);
  }
  flush_hour();
}

namespace {
// Journal record: varint entries, then per channel with new points: varint db id (delta from
// the previous entry's), varint point count, then per point varint zigzag(time - base_ms), a
// tag byte (quality << 3 | grid exponent 0..6, or 7 for a raw double) and the value (zigzag
// varint count on the grid, or 8 bytes little-endian). base_ms leads the record.
void put_varint(std::vector<std::uint8_t>& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}
std::uint64_t get_varint(std::span<const std::uint8_t> in, std::size_t& pos) {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) throw std::runtime_error("history journal truncated");
    const std::uint8_t byte = in[pos++];
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  throw std::runtime_error("history journal corrupt");
}
std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}
std::int64_t unzigzag(std::uint64_t coded) {
  return static_cast<std::int64_t>((coded >> 1) ^ (~(coded & 1) + 1));
}
constexpr std::array<double, 7> kJournalScales = {1.0, 10.0, 100.0, 1000.0, 1e4, 1e5, 1e6};
}  // namespace

std::vector<std::uint8_t> QueuedStore::encode_journal() const {
  std::vector<std::uint8_t> out;
  std::int64_t base_ms = std::numeric_limits<std::int64_t>::max();
  std::uint64_t entries = 0;
  for (const auto index : pending_channels_) {
    const auto& state = states_[index];
    if (state.pending.empty()) continue;
    ++entries;
    base_ms = std::min(base_ms, state.pending.front().time_ms);
  }
  if (entries == 0) return out;
  put_varint(out, zigzag(base_ms));
  put_varint(out, entries);
  std::int64_t previous_id = 0;
  for (const auto index : pending_channels_) {
    const auto& state = states_[index];
    if (state.pending.empty()) continue;
    put_varint(out, zigzag(state.db_id - previous_id));
    previous_id = state.db_id;
    put_varint(out, state.pending.size());
    const int exponent = state.open ? state.open->exponent() : -1;
    for (const auto& point : state.pending) {
      put_varint(out, zigzag(point.time_ms - base_ms));
      const auto quality = static_cast<std::uint8_t>(point.quality);
      if (exponent >= 0) {
        out.push_back(static_cast<std::uint8_t>(quality << 3 | exponent));
        put_varint(out, zigzag(static_cast<std::int64_t>(std::nearbyint(
                            point.value * kJournalScales[static_cast<std::size_t>(exponent)]))));
      } else {
        out.push_back(static_cast<std::uint8_t>(quality << 3 | 7));
        const auto bits = std::bit_cast<std::uint64_t>(point.value);
        for (int byte = 0; byte < 8; ++byte)
          out.push_back(static_cast<std::uint8_t>(bits >> (8 * byte)));
      }
    }
  }
  return out;
}

// The oldest point of any journal record (each record starts with its oldest point's time);
// min() when the journal is empty.
std::int64_t QueuedStore::oldest_journal_point_ms() {
  std::int64_t oldest_ms = std::numeric_limits<std::int64_t>::max();
  load_journal([&](std::uint64_t, std::span<const std::uint8_t> blob) {
    if (blob.empty()) return;
    std::size_t pos = 0;
    oldest_ms = std::min(oldest_ms, unzigzag(get_varint(blob, pos)));
  });
  return oldest_ms == std::numeric_limits<std::int64_t>::max()
             ? std::numeric_limits<std::int64_t>::min()
             : oldest_ms;
}

// Rebuilds the open chunks of a process that was killed: every journaled point newer than its
// channel's newest sealed chunk.
void QueuedStore::replay_journal() {
  std::uint64_t records = 0;
  std::uint64_t points = 0;
  load_journal([&](std::uint64_t seq, std::span<const std::uint8_t> blob) {
    next_journal_seq_ = std::max(next_journal_seq_, seq + 1);
    if (journal_kept_from_ == 0) journal_kept_from_ = seq;
    ++records;
    if (blob.empty()) return;
    std::size_t pos = 0;
    const std::int64_t base_ms = unzigzag(get_varint(blob, pos));
    const std::uint64_t entries = get_varint(blob, pos);
    std::int64_t db_id = 0;
    for (std::uint64_t e = 0; e < entries; ++e) {
      db_id += unzigzag(get_varint(blob, pos));
      const std::uint64_t count = get_varint(blob, pos);
      const auto found = by_db_id_.find(db_id);
      for (std::uint64_t i = 0; i < count; ++i) {
        RawPoint point;
        point.time_ms = base_ms + unzigzag(get_varint(blob, pos));
        if (pos >= blob.size()) throw std::runtime_error("history journal truncated");
        const std::uint8_t tag = blob[pos++];
        point.quality = static_cast<model::Quality>((tag >> 3) & 3);
        const int exponent = tag & 7;
        if (exponent < 7) {
          point.value = static_cast<double>(unzigzag(get_varint(blob, pos))) /
                        kJournalScales[static_cast<std::size_t>(exponent)];
        } else {
          if (pos + 8 > blob.size()) throw std::runtime_error("history journal truncated");
          std::uint64_t bits = 0;
          for (int byte = 0; byte < 8; ++byte) bits |= std::uint64_t{blob[pos++]} << (8 * byte);
          point.value = std::bit_cast<double>(bits);
        }
        if (found == by_db_id_.end()) continue;
        auto& state = states_[found->second];
        if (point.time_ms <= state.sealed_end_ms || point.time_ms <= state.last_stored_ms) continue;
        if (!state.open) {
          next_journal_seq_ = seq;  // take() notes the open chunk's first record from it
          take(found->second, point, false);
          next_journal_seq_ = seq + 1;
        } else {
          take(found->second, point, false);
        }
        ++points;
      }
    }
  });
  if (records > 0)
    spdlog::info("history: {} points of open chunks recovered from {} journal records", points,
                 records);
}

void QueuedStore::update_buffered_bytes() {
  std::uint64_t bytes = sealed_pending_bytes_ + states_.capacity() * sizeof(ChannelState);
  for (const auto& state : states_) {
    if (state.open) bytes += state.open->bytes_used();
    bytes += state.pending.capacity() * sizeof(RawPoint);
  }
  stats_.buffered_bytes = bytes;
}

// After a failed commit: events and discharges alone, in a transaction of their own that first
// frees room by dropping the oldest raw chunks (a full disk or database cap keeps the alarm
// log; telemetry waits for the next commit).
void QueuedStore::write_events_first() {
  if (events_pending_.empty() && discharges_pending_.empty()) return;
  try {
    begin();
    in_transaction_ = true;
    const auto dropped_until_ms = drop_oldest_raw(kMinDiskReliefBytes);
    if (dropped_until_ms != std::numeric_limits<std::int64_t>::min()) {
      raise_raw_horizon(dropped_until_ms + 1);
      raw_dropped_for_disk_until_ms_ = dropped_until_ms;
    }
    for (const auto& event : events_pending_) insert_event(event);
    for (const auto& record : discharges_pending_) store_discharge(record);
    commit();
    in_transaction_ = false;
    stats_.events_written += events_pending_.size();
    spdlog::warn("history: {} events and {} discharges written ahead of the telemetry",
                 events_pending_.size(), discharges_pending_.size());
    events_pending_.clear();
    discharges_pending_.clear();
  } catch (const std::exception& error) {
    if (in_transaction_) rollback();
    in_transaction_ = false;
    spdlog::error("history: events could not be written either: {}", error.what());
  }
}

void QueuedStore::note_write_failure(const std::string& what) {
  ++stats_.write_failures;
  std::lock_guard lock(failure_mutex_);
  if (write_failure_.empty())
    spdlog::error("history: commit failed, keeping the data to retry: {}", what);
  write_failure_ = what;
}

bool QueuedStore::sealed_write_due() const {
  if (sealed_pending_.empty()) return false;
  if (options_.sealed_write_interval_ms <= 0) return true;
  // A batch is also bounded by size, so memory stays small after a burst of seals.
  if (sealed_pending_bytes_ >= kSealedBatchMaxBytes) return true;
  // The first batch's interval starts with the first commit of data.
  return sealed_written_at_ms_ != std::numeric_limits<std::int64_t>::min() &&
         newest_data_ms_ - sealed_written_at_ms_ >= options_.sealed_write_interval_ms;
}

void QueuedStore::commit_pending(const std::function<void()>& also, bool write_all_sealed) {
  std::vector<std::uint8_t> record = encode_journal();
  const bool has_record = !record.empty();
  const std::uint64_t journal_bytes_in_commit = record.size();
  sealed_bytes_in_commit_ = 0;
  sealed_values_in_commit_ = 0;
  measure_free_disk();
  // On a disk running low, sealed chunks are written at once, so that the oldest raw data
  // relieve_disk() drops is what is stored, not what waits in memory.
  const bool write_sealed_now = write_all_sealed || disk_low_ || sealed_write_due();
  // Records before the oldest open or held chunk's first one are no longer needed.
  std::uint64_t keep_from = has_record ? next_journal_seq_ + 1 : next_journal_seq_;
  for (const auto& state : states_)
    if (state.open && !state.open->empty()) keep_from = std::min(keep_from, state.open_first_seq);
  if (!write_sealed_now)
    for (const auto& chunk : sealed_pending_)
      keep_from = std::min(keep_from, chunk.first_journal_seq);
  try {
    begin();
    in_transaction_ = true;
    for (const auto& event : events_pending_) insert_event(event);
    for (const auto& record_item : discharges_pending_) store_discharge(record_item);
    if (write_sealed_now) write_sealed_batch();
    if (has_record) append_journal(next_journal_seq_, std::move(record));
    if (keep_from > journal_kept_from_) delete_journal_before(keep_from);
    if (also) also();
    relieve_disk();
    commit();
    in_transaction_ = false;
  } catch (const std::exception& error) {
    if (in_transaction_) rollback();
    in_transaction_ = false;
    blob_bytes_since_commit_ = 0;
    note_write_failure(error.what());
    write_events_first();
    update_buffered_bytes();
    throw;
  }
  blob_bytes_since_commit_ = 0;
  sealed_bytes_total_ += sealed_bytes_in_commit_;
  sealed_values_total_ += sealed_values_in_commit_;
  journal_bytes_total_ += journal_bytes_in_commit;
  if (keep_from > journal_kept_from_) journal_kept_from_ = keep_from;
  stats_.events_written += events_pending_.size();
  events_pending_.clear();
  discharges_pending_.clear();
  if (write_sealed_now || sealed_written_at_ms_ == std::numeric_limits<std::int64_t>::min())
    sealed_written_at_ms_ = newest_data_ms_;
  if (write_sealed_now) {
    sealed_pending_.clear();
    sealed_pending_bytes_ = 0;
  } else {
    // Every point of a held chunk is in a committed journal record now.
    for (auto& chunk : sealed_pending_)
      chunk.committed_points = static_cast<std::size_t>(chunk.count);
  }
  if (has_record) ++next_journal_seq_;
  for (const auto index : pending_channels_) {
    auto& state = states_[index];
    state.listed = false;
    if (state.open) state.committed = state.open->mark();
    state.pending.clear();
    if (state.pending.capacity() > 4) state.pending.shrink_to_fit();
  }
  pending_channels_.clear();
  update_buffered_bytes();
  std::lock_guard lock(failure_mutex_);
  if (!write_failure_.empty())
    spdlog::info("history: commits succeed again; the data kept meanwhile is written");
  write_failure_.clear();
}

void QueuedStore::store_discharge(const model::DischargeRecord& record) {
  upsert_discharge(record);
  std::lock_guard lock(spans_mutex_);
  const auto same = std::find_if(spans_.begin(), spans_.end(), [&](const DischargeSpan& span) {
    return span.string_id == record.string_id && span.start_ms == record.start_ms;
  });
  if (same != spans_.end())
    same->end_ms = record.end_ms;
  else
    spans_.push_back({record.string_id, record.start_ms, record.end_ms});
}

void QueuedStore::measure_free_disk() {
  const auto free_bytes = disk_free_bytes();
  disk_known_ = free_bytes.has_value();
  disk_free_ = free_bytes.value_or(0);
  disk_low_ = free_bytes && *free_bytes < options_.disk_low_free_bytes;
}

// While free space is under the limit (measure_free_disk), every commit deletes at least twice the
// chunk bytes it wrote from the oldest raw tier: freed pages are reused, so the files stop growing
// and the newest data, rollups, events and discharges keep being stored.
void QueuedStore::relieve_disk() {
  if (!disk_low_) return;
  const std::int64_t newest_dropped_ms =
      drop_oldest_raw(std::max(2 * blob_bytes_since_commit_, kMinDiskReliefBytes));
  if (newest_dropped_ms == std::numeric_limits<std::int64_t>::min()) return;
  raise_raw_horizon(newest_dropped_ms + 1);
  raw_dropped_for_disk_until_ms_ = newest_dropped_ms;
}

void QueuedStore::log_stats() {
  const auto written = stats_.values_written.load();
  const auto unchanged = stats_.values_unchanged.load();
  const double writer_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - writer_started_).count();
  spdlog::info(
      "history stats: writer_s={:.3f} offered={} stored={} sealed_values={} sealed_bytes={} "
      "journal_bytes={} buffered_bytes={} write_failures={}",
      writer_s, written + unchanged, written, sealed_values_total_, sealed_bytes_total_,
      journal_bytes_total_, stats_.buffered_bytes.load(), stats_.write_failures.load());
  spdlog::default_logger()->flush();  // a reader of the log sees it now, not at exit
}

void QueuedStore::writer_loop() {
  using Clock = std::chrono::steady_clock;
  auto next_commit = Clock::now() + std::chrono::milliseconds(options_.commit_interval_ms);
  auto next_stats = Clock::now() + std::chrono::minutes(1);
  writer_started_ = Clock::now();
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
        // Nothing is written here: items are taken into memory (events and discharges are
        // queued for the commit, samples go into the open chunks' encoders).
        for (auto& item : batch) {
          if (auto* snapshot = std::get_if<std::shared_ptr<const model::Snapshot>>(&item)) {
            ingest(**snapshot);
          } else if (auto* event = std::get_if<model::Event>(&item)) {
            events_pending_.push_back(std::move(*event));
          } else if (auto* record = std::get_if<model::DischargeRecord>(&item)) {
            discharges_pending_.push_back(std::move(*record));
          } else if (auto* request = std::get_if<std::shared_ptr<FlushRequest>>(&item)) {
            flushes.push_back(*request);
          }
        }
      } catch (...) {
        failure = std::current_exception();
      }
      if (Clock::now() >= next_commit || !flushes.empty() || stopping) {
        try {
          commit_pending();
        } catch (...) {
          if (!failure) failure = std::current_exception();
        }
        next_commit = Clock::now() + std::chrono::milliseconds(options_.commit_interval_ms);
      }
      if (Clock::now() >= next_stats) {
        next_stats += std::chrono::minutes(1);
        log_stats();
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

// The committed points of each channel that are only in memory, copied under the write lock in
// one go before the read transaction starts (see query()): chunks sealed since the last commit
// (sealing and writing happen in different commits' time) and the open chunk.
std::vector<std::vector<std::vector<RawPoint>>> QueuedStore::unstored_points(
    const std::vector<std::int64_t>& ids) {
  struct Piece {
    std::vector<std::uint8_t> blob;
    std::size_t keep_points = 0;  // of a sealed chunk: its committed prefix
  };
  std::vector<std::vector<Piece>> pieces(ids.size());
  {
    std::lock_guard lock(write_mutex_);
    std::unordered_map<std::int64_t, std::size_t> wanted;
    for (std::size_t i = 0; i < ids.size(); ++i) wanted.emplace(ids[i], i);
    for (const auto& chunk : sealed_pending_) {
      const auto found = wanted.find(chunk.db_id);
      if (found != wanted.end() && chunk.committed_points > 0)
        pieces[found->second].push_back({chunk.blob, chunk.committed_points});
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto found = by_db_id_.find(ids[i]);
      if (found == by_db_id_.end()) continue;
      const auto& state = states_[found->second];
      if (state.open && state.committed.points > 0)
        pieces[i].push_back({state.open->blob(state.committed), state.committed.points});
    }
  }
  std::vector<std::vector<std::vector<RawPoint>>> out(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (const auto& piece : pieces[i]) {
      auto points = decode_chunk(piece.blob);
      if (points.size() > piece.keep_points) points.resize(piece.keep_points);
      out[i].push_back(std::move(points));
    }
  return out;
}

std::vector<ChannelSeries> QueuedStore::query(const std::vector<std::string>& channels,
                                              std::int64_t from_ms, std::int64_t to_ms,
                                              int points) {
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
    const auto id = find_channel(name);
    if (!id) throw std::invalid_argument(fmt::format("unknown channel '{}'", name));
    ids.push_back(*id);
  }

  // Open chunks (and chunks sealed but not yet written) live in memory. Copied before the read
  // transaction takes its snapshot, so the snapshot holds every commit made before the copy: a
  // copied chunk written since is then found stored (and its copy dropped), and one written
  // later is only in the copy. Never a gap, never counted twice.
  auto unstored = unstored_points(ids);
  // One read transaction for the whole answer, so all channels see the same commit.
  const std::int64_t horizon_ms = raw_horizon_ms_;
  begin_read();
  std::vector<ChannelSeries> result;
  try {
    for (std::size_t i = 0; i < channels.size(); ++i) {
      // A piece written by a commit made since the copy is found stored: its copy goes.
      std::vector<RawPoint> open;
      for (auto& piece : unstored[i]) {
        if (piece.empty()) continue;
        bool stored = false;
        const auto first_ms = piece.front().time_ms;
        read_chunks(ids[i], first_ms, first_ms + 1,
                    [&](std::span<const std::uint8_t>) { stored = true; });
        if (!stored) open.insert(open.end(), piece.begin(), piece.end());
      }
      open_points_ = &open;
      ChannelSeries series{channels[i], tier, width_ms, {}};
      // Raw asked where retention or low disk already dropped it (and no discharge kept it):
      // the minute tier answers, at whole minutes, rather than an empty series.
      if (tier == Tier::raw && from_ms < horizon_ms &&
          !has_raw(ids[i], from_ms, std::min(to_ms, horizon_ms))) {
        series.tier = Tier::minute;
        series.bucket_ms = (width_ms + kMinuteMs - 1) / kMinuteMs * kMinuteMs;
      }
      if (series.tier == Tier::raw)
        query_raw(ids[i], from_ms, to_ms, series.bucket_ms, series.buckets);
      else
        query_rollup(series.tier, ids[i], from_ms, to_ms, series.bucket_ms, series.buckets);
      result.push_back(std::move(series));
    }
  } catch (...) {
    open_points_ = nullptr;
    end_read();
    throw;
  }
  open_points_ = nullptr;
  end_read();
  return result;
}

namespace {
// Buckets arrive in ascending time (chunks and rollups are read ordered by start).
void merge_bucket(std::vector<Bucket>& out, std::vector<double>& sums, std::int64_t start_ms,
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

void finish_buckets(std::vector<Bucket>& out, const std::vector<double>& sums) {
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i].mean = sums[i] / static_cast<double>(out[i].count);
}
}  // namespace

bool QueuedStore::has_raw(std::int64_t channel, std::int64_t from_ms, std::int64_t to_ms) {
  bool found = false;
  if (open_points_ != nullptr)
    for (const auto& point : *open_points_)
      if (point.time_ms >= from_ms && point.time_ms < to_ms) return true;
  read_chunks(channel, from_ms, to_ms, [&](std::span<const std::uint8_t> blob) {
    if (found) return;
    for (const auto& point : decode_chunk(blob))
      if (point.time_ms >= from_ms && point.time_ms < to_ms) found = true;
  });
  return found;
}

// The open chunk's committed points (query() copied them), after the stored ones.
void QueuedStore::add_open_points(std::int64_t, std::int64_t from_ms, std::int64_t to_ms,
                                  std::int64_t width_ms, std::int64_t newest_read_ms,
                                  std::vector<Bucket>& out, std::vector<double>& sums) {
  if (open_points_ == nullptr) return;
  for (const auto& point : *open_points_) {
    if (point.time_ms < from_ms || point.time_ms >= to_ms || point.time_ms <= newest_read_ms)
      continue;
    if (point.quality != model::Quality::ok || !std::isfinite(point.value)) continue;
    merge_bucket(out, sums, floor_to(point.time_ms, width_ms), point.value, point.value,
                 point.value, 1);
  }
}

void QueuedStore::query_raw(std::int64_t channel, std::int64_t from_ms, std::int64_t to_ms,
                            std::int64_t width_ms, std::vector<Bucket>& out) {
  std::vector<double> sums;
  std::int64_t newest_ms = std::numeric_limits<std::int64_t>::min();
  read_chunks(channel, from_ms, to_ms, [&](std::span<const std::uint8_t> blob) {
    for (const auto& point : decode_chunk(blob)) {
      newest_ms = std::max(newest_ms, point.time_ms);
      if (point.time_ms < from_ms || point.time_ms >= to_ms) continue;
      if (point.quality != model::Quality::ok || !std::isfinite(point.value)) continue;
      merge_bucket(out, sums, floor_to(point.time_ms, width_ms), point.value, point.value,
                   point.value, 1);
    }
  });
  add_open_points(channel, from_ms, to_ms, width_ms, newest_ms, out, sums);
  finish_buckets(out, sums);
}

void QueuedStore::query_rollup(Tier tier, std::int64_t channel, std::int64_t from_ms,
                               std::int64_t to_ms, std::int64_t width_ms,
                               std::vector<Bucket>& out) {
  std::vector<double> sums;
  const auto add = [&](const RollupDelta& row) {
    merge_bucket(out, sums, floor_to(row.bucket_ms, width_ms), row.min, row.max, row.sum,
                 row.count);
  };
  if (tier == Tier::hour) {
    read_hours(channel, floor_to(from_ms, kHourMs), to_ms, add);
  } else {
    std::vector<RollupDelta> rows;
    read_minutes(channel, floor_to(from_ms, kHourMs), to_ms,
                 [&](std::span<const std::uint8_t> blob) {
                   for (const auto& row : decode_rollups(blob))
                     if (row.bucket_ms >= floor_to(from_ms, kMinuteMs) && row.bucket_ms < to_ms)
                       rows.push_back(row);
                 });
    // Rows of several blobs of one hour (after a restart) interleave: order them first.
    std::stable_sort(rows.begin(), rows.end(), [](const RollupDelta& a, const RollupDelta& b) {
      return a.bucket_ms < b.bucket_ms;
    });
    for (const auto& row : rows) add(row);
  }
  add_open_points(channel, from_ms, to_ms, width_ms, std::numeric_limits<std::int64_t>::min(), out,
                  sums);
  finish_buckets(out, sums);
}

}  // namespace btms::history
