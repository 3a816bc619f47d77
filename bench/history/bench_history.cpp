// History store figures against their targets: ingest rate on one core, bytes per value on
// disk for a day of a 40-battery string, a year of one channel at 1,000 points, and the
// latest hour of all 120 batteries of one string; disk of the largest gateway over a year;
// PostgreSQL ingest rate.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>

#include "history/history_store.hpp"
#include "history/sqlite_db.hpp"
#include "postgres_server.hpp"

namespace {

using namespace btms;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01 UTC

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

struct StringPlant {
  std::shared_ptr<model::ChannelDirectory> directory = std::make_shared<model::ChannelDirectory>();
  std::mt19937 rng{1};
  std::vector<int> voltage_mV, temperature_dC, resistance_uOhm;

  explicit StringPlant(int batteries) {
    for (int p = 1; p <= batteries; ++p) {
      const auto prefix = fmt::format("battery/1/{}/", p);
      directory->add(prefix + "voltage", "V");
      directory->add(prefix + "temperature", "°C");
      directory->add(prefix + "resistance", "mΩ");
      directory->add(prefix + "balancing", "");
      voltage_mV.push_back(13'600 + p % 40);
      temperature_dC.push_back(250 + p % 7);
      resistance_uOhm.push_back(4'000 + 13 * p);
    }
    directory->add("string/1/voltage", "V");
    directory->add("string/1/current", "A");
    directory->add("string/1/insulation_pos", "kΩ");
    directory->add("string/1/insulation_neg", "kΩ");
  }

  // A string on float: cell voltages +-2 mV noise, temperature drifting by 0.1 °C now and
  // then, resistance +-2 µΩ, float current around 0.5 A.
  std::shared_ptr<const model::Snapshot> next(std::int64_t time_ms) {
    auto snapshot = std::make_shared<model::Snapshot>();
    snapshot->channels = directory;
    snapshot->time_ms = time_ms;
    snapshot->samples.reserve(directory->size());
    std::uniform_int_distribution<int> noise(-2, 2);
    std::uniform_int_distribution<int> rare(0, 599);
    double string_mV = 0;
    for (std::size_t b = 0; b < voltage_mV.size(); ++b) {
      const int v = voltage_mV[b] + noise(rng);
      string_mV += v;
      if (rare(rng) == 0) temperature_dC[b] += noise(rng) > 0 ? 1 : -1;
      auto& s = snapshot->samples;
      s.push_back({v / 1000.0, time_ms, model::Quality::ok});
      s.push_back({temperature_dC[b] / 10.0, time_ms, model::Quality::ok});
      s.push_back({(resistance_uOhm[b] + noise(rng)) / 1000.0, time_ms, model::Quality::ok});
      s.push_back({0.0, time_ms, model::Quality::ok});
    }
    snapshot->samples.push_back(
        {std::round(string_mV / 10.0) / 100.0, time_ms, model::Quality::ok});
    snapshot->samples.push_back({(50 + noise(rng)) / 100.0, time_ms, model::Quality::ok});
    snapshot->samples.push_back({1500.0 + noise(rng), time_ms, model::Quality::ok});
    snapshot->samples.push_back({1480.0 + noise(rng), time_ms, model::Quality::ok});
    return snapshot;
  }
};

history::HistoryOptions bench_options() {
  history::HistoryOptions options;
  options.queue_capacity = 1'000'000;  // the bench queues pre-built batches; nothing dropped
  return options;
}

int failures = 0;

void verdict(bool pass) {
  if (!pass) ++failures;
  fmt::print("  {}\n", pass ? "PASS" : "MISS");
}

// Feeds `seconds` of 1 Hz snapshots as the gateway does: one snapshot, then a commit (the
// store's commit interval is 1 s), so every commit finds one second of new points -- not 900
// seconds per flush, which would encode each chunk once and hide any per-commit cost.
// Returns the values offered per second of append + commit time.
double ingest(history::HistoryStore& store, StringPlant& plant, std::int64_t start_ms,
              int seconds) {
  double busy_s = 0;
  const std::size_t channels = plant.directory->size();
  for (int s = 0; s < seconds; ++s) {
    auto snapshot = plant.next(start_ms + s * 1000LL);  // built outside the timed part
    const auto start = Clock::now();
    store.append(std::move(snapshot));
    store.flush();
    busy_s += seconds_since(start);
  }
  return static_cast<double>(channels) * seconds / busy_s;
}

// The store at real time for a quarter of the largest gateway's plant channels (8 strings x
// 120 batteries, 3,872 values/s): CPU of append + commit per 10,000 values/s offered.
void bench_real_time_ingest(const std::string& dir) {
  const std::string path = dir + "/bench_history_real_time.db";
  remove_db(path);
  StringPlant plant(960);
  double rate = 0;
  {
    auto store = history::open_sqlite_store(path, bench_options());
    rate = ingest(*store, plant, kT0, 1800);
  }
  const double pct_per_10k = 100.0 * 1e4 / rate;
  fmt::print(
      "ingest at real time, 3,872 values/s, commit every second: {:.3f} % of a core per 10,000 "
      "values/s (target <= 2 %)",
      pct_per_10k);
  verdict(pct_per_10k <= 2.0);
  remove_db(path);
}

std::uint64_t raw_blob_bytes(const std::string& path) {
  history::SqliteDb db(path);
  history::SqliteStmt sum(db, "SELECT total(length(blob)) FROM chunks");
  sum.step();
  return static_cast<std::uint64_t>(sum.column_double(0));
}

// Bytes each tier of a stored day takes (tables with their indexes, from SQLite's dbstat),
// per channel and day, extrapolated to the largest gateway (32 strings x 120 batteries, 4
// channels per battery and 4 per string) over a year of the default retention: raw for 30
// days, minute and hour rollups for the whole year (they are kept 2 and 10 years).
void year_disk_of_largest_gateway(const std::string& path, std::size_t channels) {
  std::uint64_t raw = 0, minute = 0, hour = 0;
  {
    history::SqliteDb db(path);
    history::SqliteStmt tables(db, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name");
    while (tables.step()) {
      const auto name = tables.column_text(0);
      const auto bytes = static_cast<std::uint64_t>(tables.column_int(1));
      if (name == "chunks" || name == "chunks_by_channel_end") raw += bytes;
      if (name == "minute_chunks" || name == "minute_chunks_by_channel_hour") minute += bytes;
      if (name == "rollups_hour") hour += bytes;
    }
  }
  const double per_channel_day = 1.0 / static_cast<double>(channels);
  const double raw_cd = raw * per_channel_day, minute_cd = minute * per_channel_day,
               hour_cd = hour * per_channel_day;
  constexpr double kValuesPerDay = 86'400;
  fmt::print(
      "  per tier, bytes per channel-day:   raw {:.0f} ({:.3f} B/value with index), minute {:.0f} "
      "({:.1f} B/minute), hour {:.0f}\n",
      raw_cd, raw_cd / kValuesPerDay, minute_cd, minute_cd / 1440, hour_cd);
  const history::RetentionPolicy retention;
  const double largest_channels = 32.0 * (120 * 4 + 4);
  const double raw_days = static_cast<double>(retention.raw_ms) / 86'400'000;
  const double year_raw = largest_channels * raw_cd * raw_days;
  const double year_minute = largest_channels * minute_cd * 365;
  const double year_hour = largest_channels * hour_cd * 365;
  fmt::print(
      "disk, largest gateway ({:.0f} ch, 1 Hz) after 1 year, default retention: {:.1f} GB "
      "(raw {:.0f} days {:.1f} GB + minute {:.1f} GB + hour {:.1f} GB); minute tier grows to "
      "{:.1f} GB at 2 years\n",
      largest_channels, (year_raw + year_minute + year_hour) / 1e9, raw_days, year_raw / 1e9,
      year_minute / 1e9, year_hour / 1e9, 2 * year_minute / 1e9);
  // Discharges keep their strings' raw data for life: one 30-minute discharge of one string.
  fmt::print("  each 30-min discharge of a 120-battery string keeps {:.1f} MB of raw for life\n",
             (120 * 4 + 4) * raw_cd / kValuesPerDay * 1800 / 1e6);
}

void bench_day_of_40_batteries(const std::string& dir) {
  const std::string path = dir + "/bench_history_day.db";
  remove_db(path);
  StringPlant plant(40);
  double rate = 0;
  std::uint64_t values = 0;
  {
    auto store = history::open_sqlite_store(path, bench_options());
    rate = ingest(*store, plant, kT0, 86'400);
    values = store->stats().values_written;
    if (store->stats().snapshots_dropped != 0) fmt::print("WARNING: snapshots dropped\n");
  }  // closing checkpoints the WAL into the file
  const auto file_bytes = std::filesystem::file_size(path);
  const auto blob_bytes = raw_blob_bytes(path);
  fmt::print(
      "ingest, 40-battery string at 1 Hz, commit every second: {:>8.3f} M values/s offered\n",
      rate / 1e6);
  fmt::print(
      "day of a 40-battery string:          {} values stored of {} offered, file {:.1f} MB\n",
      values, 86'400ULL * plant.directory->size(), file_bytes / 1e6);
  const double per_value = static_cast<double>(blob_bytes) / values;
  fmt::print(
      "  raw chunks only:                   {:>10.3f} B/stored value (target <= 2 B; SQLite row "
      "~23 B)",
      per_value);
  verdict(per_value <= 2.0);
  fmt::print("  whole file (raw + rollups + index): {:>9.3f} B/value\n",
             static_cast<double>(file_bytes) / values);
  year_disk_of_largest_gateway(path, plant.directory->size());
  remove_db(path);
}

void bench_year_query(const std::string& dir) {
  const std::string path = dir + "/bench_history_year.db";
  remove_db(path);
  { history::open_sqlite_store(path); }  // creates the schema
  {
    // A year of hour rollups of one channel (the tier that answers), written directly.
    history::SqliteDb db(path);
    db.exec("INSERT INTO channels(id, name, unit) VALUES(1, 'battery/1/1/voltage', 'V')");
    db.exec("BEGIN");
    for (const char* table : {"rollups_hour"}) {
      const std::int64_t step = table[8] == 'm' ? 60'000 : 3'600'000;
      history::SqliteStmt insert(
          db, fmt::format("INSERT INTO {}(channel, bucket_ms, min, max, sum, count) "
                          "VALUES(1, ?, ?, ?, ?, ?)",
                          table)
                  .c_str());
      const std::int64_t per_bucket = step / 1000;
      for (std::int64_t t = kT0; t < kT0 + 365LL * 86'400'000; t += step) {
        const double v = 13.6 + 0.01 * std::sin(static_cast<double>(t) / 8.64e7);
        insert.bind(1, t).bind(2, v - 0.002).bind(3, v + 0.002).bind(4, v * per_bucket);
        insert.bind(5, per_bucket).run();
      }
    }
    db.exec("COMMIT");
  }
  auto store = history::open_sqlite_store(path);
  std::vector<double> times_ms;
  std::size_t buckets = 0;
  for (int run = 0; run < 20; ++run) {
    const auto start = Clock::now();
    const auto result = store->query({"battery/1/1/voltage"}, kT0, kT0 + 365LL * 86'400'000, 1000);
    times_ms.push_back(seconds_since(start) * 1e3);
    buckets = result.at(0).buckets.size();
  }
  std::sort(times_ms.begin(), times_ms.end());
  fmt::print(
      "query 1 year of 1 channel, 1000 pts: {:>10.2f} ms median ({} buckets, hour tier)   (target "
      "< 50 ms)",
      times_ms[times_ms.size() / 2], buckets);
  verdict(times_ms[times_ms.size() / 2] < 50.0);
  store.reset();
  remove_db(path);
}

void bench_latest_hour_120(const std::string& dir) {
  const std::string path = dir + "/bench_history_hour.db";
  remove_db(path);
  StringPlant plant(120);
  auto store = history::open_sqlite_store(path, bench_options());
  ingest(*store, plant, kT0, 2 * 3600);
  store->flush();
  std::vector<std::string> names;
  for (int p = 1; p <= 120; ++p) names.push_back(fmt::format("battery/1/{}/voltage", p));
  const std::int64_t to_ms = kT0 + 2 * 3'600'000;
  for (const int points : {360, 60}) {
    std::vector<double> times_ms;
    std::size_t buckets = 0;
    for (int run = 0; run < 5; ++run) {
      const auto start = Clock::now();
      const auto result = store->query(names, to_ms - 3'600'000, to_ms, points);
      times_ms.push_back(seconds_since(start) * 1e3);
      buckets = 0;
      for (const auto& series : result) buckets += series.buckets.size();
    }
    std::sort(times_ms.begin(), times_ms.end());
    fmt::print(
        "latest hour, 120 battery voltages, {} pts each: {:>8.2f} ms median ({} buckets, {} "
        "tier)\n",
        points, times_ms[times_ms.size() / 2], buckets, points == 360 ? "raw" : "minute");
  }
  store.reset();
  remove_db(path);
}

// PostgreSQL ingest on its own throwaway server (fsync off, Unix socket): one hour of a
// 40-battery string.
void bench_postgres_ingest() {
  std::unique_ptr<btms::testing::PostgresServer> server;
  try {
    server = std::make_unique<btms::testing::PostgresServer>();
  } catch (const std::exception& error) {
    fmt::print("postgres ingest: not measured ({})\n", error.what());
    return;
  }
  StringPlant plant(40);
  auto store = history::open_postgres_store(server->create_database("bench"), bench_options());
  const double rate = ingest(*store, plant, kT0, 3600);
  const auto stats = store->stats();
  fmt::print(
      "postgres ingest, 40-battery string: {:>10.2f} M values/s   ({} values, database {:.1f} "
      "MB incl. empty schema; writer thread + server)\n",
      rate / 1e6, stats.values_written, stats.bytes_on_disk / 1e6);
  if (stats.snapshots_dropped != 0) fmt::print("WARNING: snapshots dropped\n");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : std::filesystem::temp_directory_path().string();
  bench_real_time_ingest(dir);
  bench_day_of_40_batteries(dir);
  bench_year_query(dir);
  bench_latest_hour_120(dir);
  bench_postgres_ingest();
  fmt::print("{}\n", failures == 0 ? "ALL PASS" : fmt::format("{} MISS", failures));
  return failures == 0 ? 0 : 1;
}
