#include "history/queued_store.hpp"

#include "history/rollup_codec.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <future>
#include <stdexcept>

#include <fmt/format.h>

namespace btms::history {
namespace {
constexpr std::int64_t kYearMs = 366LL * 86'400'000;
constexpr std::int64_t kLatestSaneMs = 7'258'118'400'000LL;  // 2200-01-01
constexpr std::uint64_t kMinDiskReliefBytes = 256ULL * 1024;
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
  for (auto& stored : load_channels()) {
    ChannelState state;
    state.db_id = stored.id;
    state.string_id = string_of_channel(stored.name);
    state.last_time_ms = stored.last_time_ms;
    states_.push_back(std::move(state));
    by_name_.emplace(std::move(stored.name), states_.size() - 1);
  }
  {
    std::lock_guard spans_lock(spans_mutex_);
    spans_ = load_discharge_spans();
  }
  raw_horizon_ms_ = load_raw_horizon();
  writer_ = std::thread([this] { writer_loop(); });
}

void QueuedStore::stop() {
  if (!writer_.joinable()) return;
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_one();
  writer_.join();
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

void QueuedStore::flush() {
  auto request = std::make_shared<FlushRequest>();
  auto done = request->done.get_future();
  push(request, false);  // a flush is never dropped: the caller asked to wait
  done.get();
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
  out.falling_behind = new_drops > 0 || queued * 4 > options_.queue_capacity * 3;
  const auto free_bytes = disk_free_bytes();
  out.disk_free_bytes = free_bytes.value_or(0);
  out.disk_low = free_bytes && *free_bytes < options_.disk_low_free_bytes;

  std::vector<std::string> parts;
  if (out.falling_behind)
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

HistoryStats QueuedStore::stats() const {
  HistoryStats out;
  out.values_written = stats_.values_written.load();
  out.chunks_written = stats_.chunks_written.load();
  out.events_written = stats_.events_written.load();
  out.snapshots_dropped = stats_.snapshots_dropped.load();
  out.events_dropped = stats_.events_dropped.load();
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
  // Open chunks are trimmed too, or their next write would bring expired points back.
  const std::int64_t raw_cutoff_ms = now_ms - policy.raw_ms;
  const std::int64_t minute_cutoff_ms = now_ms - policy.minute_ms;
  for (auto& state : states_) {
    // Minutes in memory likewise (the stored rows go by whole hours).
    const auto expired = [&](const RollupDelta& row) { return row.bucket_ms < minute_cutoff_ms; };
    bool trimmed = std::erase_if(state.minutes, expired) > 0;
    if (state.minute.count > 0 && expired(state.minute)) {
      state.minute.count = 0;
      state.minute.sum = 0.0;
      trimmed = true;
    }
    if (trimmed) state.minutes_dirty = true;
  }
  for (auto& state : states_) {
    if (state.open.empty() ||
        protected_span(state.string_id, state.open.front().time_ms, state.open.back().time_ms))
      continue;
    const auto kept = std::find_if(state.open.begin(), state.open.end(),
                                   [&](const RawPoint& p) { return p.time_ms >= raw_cutoff_ms; });
    if (kept == state.open.begin()) continue;
    state.open.erase(state.open.begin(), kept);
    state.open_dirty = true;
  }
  // Joins the writer's open transaction (if any) and commits it with the deletions.
  if (!in_transaction_) begin();
  in_transaction_ = false;
  try {
    delete_expired(now_ms, policy);
    raise_raw_horizon(raw_cutoff_ms);
    commit();
  } catch (...) {
    rollback();
    throw;
  }
}

void QueuedStore::map_directory(const std::shared_ptr<const model::ChannelDirectory>& directory) {
  if (directory == mapped_directory_) return;
  directory_map_.assign(directory->size(), 0);
  for (model::ChannelId id = 0; id < directory->size(); ++id) {
    const auto& info = directory->info(id);
    auto it = by_name_.find(info.name);
    if (it == by_name_.end()) {
      ChannelState state;
      state.string_id = string_of_channel(info.name);
      state.db_id = insert_channel(info.name, info.unit, state.string_id);
      states_.push_back(std::move(state));
      it = by_name_.emplace(info.name, states_.size() - 1).first;
    }
    directory_map_[id] = it->second;
  }
  mapped_directory_ = directory;
}

void QueuedStore::ingest(const model::Snapshot& snapshot) {
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
      add_minute(state, floor_to(sample.time_ms, kMinuteMs), sample.value);
      add_hour(state, floor_to(sample.time_ms, kHourMs), sample.value);
    }
  }
  stats_.values_written += written;
}

void QueuedStore::add_minute(ChannelState& state, std::int64_t bucket_ms, double value) {
  if (state.minute.bucket_ms != bucket_ms) {
    if (state.minute.count > 0) state.minutes.push_back(state.minute);
    state.minute = RollupDelta{};
    state.minute.bucket_ms = bucket_ms;
    const std::int64_t hour_ms = floor_to(bucket_ms, kHourMs);
    if (hour_ms != state.minutes_hour_ms) {
      // The hour is complete: its row is final.
      if (state.minutes_dirty) write_minutes_tail(state);
      state.minutes.clear();
      state.minutes_key = 0;
      state.minutes_dirty = false;
      state.minutes_hour_ms = hour_ms;
    }
  }
  state.minute.add(value);
  state.minutes_dirty = true;
}

// Writes the hour's completed minutes plus the one being filled.
void QueuedStore::write_minutes_tail(ChannelState& state) {
  std::vector<RollupDelta> rows = state.minutes;
  if (state.minute.count > 0 && floor_to(state.minute.bucket_ms, kHourMs) == state.minutes_hour_ms)
    rows.push_back(state.minute);
  if (rows.empty()) {
    if (state.minutes_key != 0) delete_minutes(state.db_id, state.minutes_key);
    state.minutes_key = 0;
    return;
  }
  state.minutes_key =
      write_minutes(state.db_id, state.minutes_key, state.minutes_hour_ms, encode_rollups(rows));
}

void QueuedStore::add_hour(ChannelState& state, std::int64_t bucket_ms, double value) {
  if (state.hour.bucket_ms != bucket_ms) {
    write_hour(state);
    state.hour.bucket_ms = bucket_ms;
  }
  state.hour.add(value);
}

void QueuedStore::write_hour(ChannelState& state) {
  if (state.hour.count == 0) return;
  upsert_hour(state.db_id, state.hour);
  state.hour.count = 0;
  state.hour.sum = 0.0;
}

void QueuedStore::write_tail(ChannelState& state) {
  if (state.open.empty()) {
    if (state.tail_key != 0) delete_chunk(state.db_id, state.tail_key);
    state.tail_key = 0;
    return;
  }
  auto blob = encode_chunk(state.open);
  blob_bytes_since_commit_ += blob.size();
  state.tail_key = write_chunk(state.db_id, state.tail_key, state.open, std::move(blob));
}

void QueuedStore::close_chunk(ChannelState& state) {
  write_tail(state);
  state.open.clear();
  state.tail_key = 0;
  state.open_dirty = false;
  ++stats_.chunks_written;
}

void QueuedStore::checkpoint() {
  for (auto& state : states_) {
    if (state.open_dirty) {
      write_tail(state);
      state.open_dirty = false;
    }
    if (state.minutes_dirty) {
      write_minutes_tail(state);
      state.minutes_dirty = false;
    }
    write_hour(state);
  }
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

// While free space is under the limit, every commit deletes at least twice the chunk bytes it
// wrote from the oldest raw tier: freed pages are reused, so the files stop growing and the
// newest data, rollups, events and discharges keep being stored.
void QueuedStore::relieve_disk() {
  const auto free_bytes = disk_free_bytes();
  disk_known_ = free_bytes.has_value();
  disk_free_ = free_bytes.value_or(0);
  disk_low_ = free_bytes && *free_bytes < options_.disk_low_free_bytes;
  if (!disk_low_) return;
  const std::int64_t newest_dropped_ms =
      drop_oldest_raw(std::max(2 * blob_bytes_since_commit_, kMinDiskReliefBytes));
  if (newest_dropped_ms == std::numeric_limits<std::int64_t>::min()) return;
  raise_raw_horizon(newest_dropped_ms + 1);
  raw_dropped_for_disk_until_ms_ = newest_dropped_ms;
}

void QueuedStore::writer_loop() {
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
    // Collected first, so a failure in the middle of the batch still answers every flush.
    std::vector<std::shared_ptr<FlushRequest>> flushes;
    for (auto& item : batch)
      if (auto* request = std::get_if<std::shared_ptr<FlushRequest>>(&item))
        flushes.push_back(*request);
    std::exception_ptr failure;
    {
      std::lock_guard lock(write_mutex_);
      try {
        if (!in_transaction_ && !batch.empty()) {
          begin();
          in_transaction_ = true;
        }
        for (auto& item : batch) {
          if (auto* snapshot = std::get_if<std::shared_ptr<const model::Snapshot>>(&item)) {
            ingest(**snapshot);
          } else if (auto* event = std::get_if<model::Event>(&item)) {
            insert_event(*event);
            ++stats_.events_written;
          } else if (auto* record = std::get_if<model::DischargeRecord>(&item)) {
            store_discharge(*record);
          }
        }
        if (Clock::now() >= next_commit || !flushes.empty() || stopping) {
          if (!in_transaction_) {
            begin();
            in_transaction_ = true;
          }
          checkpoint();
          relieve_disk();
          commit();
          in_transaction_ = false;
          blob_bytes_since_commit_ = 0;
          next_commit = Clock::now() + std::chrono::milliseconds(options_.commit_interval_ms);
        }
      } catch (...) {
        // A failing disk or server must not kill the process; the flush callers learn about it.
        failure = std::current_exception();
        if (in_transaction_) {
          rollback();
          in_transaction_ = false;
        }
        blob_bytes_since_commit_ = 0;
        next_commit = Clock::now() + std::chrono::milliseconds(options_.commit_interval_ms);
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

  // One read transaction for the whole answer, so all channels see the same commit.
  const std::int64_t horizon_ms = raw_horizon_ms_;
  begin_read();
  std::vector<ChannelSeries> result;
  try {
    for (std::size_t i = 0; i < channels.size(); ++i) {
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
    end_read();
    throw;
  }
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
  read_chunks(channel, from_ms, to_ms, [&](std::span<const std::uint8_t> blob) {
    if (found) return;
    for (const auto& point : decode_chunk(blob))
      if (point.time_ms >= from_ms && point.time_ms < to_ms) found = true;
  });
  return found;
}

void QueuedStore::query_raw(std::int64_t channel, std::int64_t from_ms, std::int64_t to_ms,
                            std::int64_t width_ms, std::vector<Bucket>& out) {
  std::vector<double> sums;
  read_chunks(channel, from_ms, to_ms, [&](std::span<const std::uint8_t> blob) {
    for (const auto& point : decode_chunk(blob)) {
      if (point.time_ms < from_ms || point.time_ms >= to_ms) continue;
      if (point.quality != model::Quality::ok || !std::isfinite(point.value)) continue;
      merge_bucket(out, sums, floor_to(point.time_ms, width_ms), point.value, point.value,
                   point.value, 1);
    }
  });
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
  finish_buckets(out, sums);
}

}  // namespace btms::history
