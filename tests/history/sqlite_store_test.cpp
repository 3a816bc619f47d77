#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "history/history_store.hpp"

namespace btms::history {
namespace {

using model::Quality;

constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01 00:00:00 UTC
constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 3'600'000;

class TempDb {
 public:
  TempDb() {
    static int counter = 0;
    path_ =
        (std::filesystem::temp_directory_path() /
         ("btms_history_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".db"))
            .string();
    remove();
  }
  ~TempDb() { remove(); }
  const std::string& path() const { return path_; }

 private:
  void remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  std::string path_;
};

std::shared_ptr<model::ChannelDirectory> make_directory() {
  auto directory = std::make_shared<model::ChannelDirectory>();
  directory->add("battery/1/1/voltage", "V");
  directory->add("battery/1/1/temperature", "°C");
  directory->add("string/1/current", "A");
  return directory;
}

// One snapshot per second; value_of(channel, second) gives each sample.
template <typename ValueOf>
void feed(HistoryStore& store, const std::shared_ptr<model::ChannelDirectory>& directory,
          std::int64_t start_ms, int seconds, ValueOf value_of, std::int64_t step_ms = 1000) {
  for (int s = 0; s < seconds; ++s) {
    auto snapshot = std::make_shared<model::Snapshot>();
    snapshot->channels = directory;
    snapshot->time_ms = start_ms + s * step_ms;
    for (model::ChannelId id = 0; id < directory->size(); ++id)
      snapshot->samples.push_back({value_of(id, s), snapshot->time_ms, Quality::ok});
    store.append(std::shared_ptr<const model::Snapshot>(std::move(snapshot)));
  }
}

HistoryOptions big_queue() {
  HistoryOptions options;
  options.queue_capacity = 1'000'000;
  return options;
}

TEST(SqliteStore, RawQueryReturnsEachSampleWhenBucketsAreFine) {
  TempDb db;
  auto store = open_sqlite_store(db.path(), big_queue());
  const auto directory = make_directory();
  feed(*store, directory, kT0, 120, [](auto id, int s) { return id * 100.0 + s * 0.001; });
  store->flush();

  const auto result =
      store->query({"battery/1/1/voltage", "string/1/current"}, kT0, kT0 + 120'000, 120);
  ASSERT_EQ(result.size(), 2U);
  EXPECT_EQ(result[0].tier, Tier::raw);
  EXPECT_EQ(result[0].bucket_ms, 1000);
  ASSERT_EQ(result[0].buckets.size(), 120U);
  EXPECT_EQ(result[0].buckets[7].time_ms, kT0 + 7000);
  EXPECT_DOUBLE_EQ(result[0].buckets[7].mean, 0.007);
  EXPECT_EQ(result[0].buckets[7].count, 1U);
  EXPECT_DOUBLE_EQ(result[1].buckets[119].max, 200.119);
  EXPECT_EQ(store->stats().values_written, 360U);
}

TEST(SqliteStore, RawBucketsAggregateMinMaxMean) {
  TempDb db;
  auto store = open_sqlite_store(db.path(), big_queue());
  const auto directory = make_directory();
  feed(*store, directory, kT0, 100, [](auto, int s) { return static_cast<double>(s); });
  store->flush();
  // 100 s in 10 buckets of 10 s: bucket k holds 10k..10k+9.
  const auto result = store->query({"battery/1/1/temperature"}, kT0, kT0 + 100'000, 10);
  const auto& buckets = result.at(0).buckets;
  ASSERT_EQ(buckets.size(), 10U);
  for (int k = 0; k < 10; ++k) {
    EXPECT_EQ(buckets[k].time_ms, kT0 + k * 10'000);
    EXPECT_DOUBLE_EQ(buckets[k].min, 10.0 * k);
    EXPECT_DOUBLE_EQ(buckets[k].max, 10.0 * k + 9);
    EXPECT_DOUBLE_EQ(buckets[k].mean, 10.0 * k + 4.5);
    EXPECT_EQ(buckets[k].count, 10U);
  }
}

TEST(SqliteStore, MinuteAndHourTiersMatchKnownData) {
  TempDb db;
  auto store = open_sqlite_store(db.path(), big_queue());
  const auto directory = make_directory();
  // 3 hours at one sample per 10 s: value = minute index, plus 0..5 within the minute.
  feed(
      *store, directory, kT0, 3 * 360, [](auto, int s) { return (s / 6) * 1.0 + (s % 6) * 0.1; },
      10'000);
  store->flush();

  const auto minutes = store->query({"string/1/current"}, kT0, kT0 + 3 * kHour, 180);
  ASSERT_EQ(minutes.at(0).tier, Tier::minute);
  ASSERT_EQ(minutes[0].bucket_ms, kMinute);
  ASSERT_EQ(minutes[0].buckets.size(), 180U);
  for (int m = 0; m < 180; ++m) {
    const auto& bucket = minutes[0].buckets[m];
    EXPECT_EQ(bucket.time_ms, kT0 + m * kMinute);
    EXPECT_NEAR(bucket.min, m, 1e-9);
    EXPECT_NEAR(bucket.max, m + 0.5, 1e-9);
    EXPECT_NEAR(bucket.mean, m + 0.25, 1e-9);
    EXPECT_EQ(bucket.count, 6U);
  }

  const auto hours = store->query({"string/1/current"}, kT0, kT0 + 3 * kHour, 3);
  ASSERT_EQ(hours.at(0).tier, Tier::hour);
  ASSERT_EQ(hours[0].buckets.size(), 3U);
  for (int h = 0; h < 3; ++h) {
    const auto& bucket = hours[0].buckets[h];
    EXPECT_EQ(bucket.time_ms, kT0 + h * kHour);
    EXPECT_NEAR(bucket.min, 60.0 * h, 1e-9);
    EXPECT_NEAR(bucket.max, 60.0 * h + 59.5, 1e-9);
    EXPECT_NEAR(bucket.mean, 60.0 * h + 29.5 + 0.25, 1e-9);
    EXPECT_EQ(bucket.count, 360U);
  }

  // 5-minute buckets come from the minute tier, merged.
  const auto five = store->query({"string/1/current"}, kT0, kT0 + kHour, 12);
  ASSERT_EQ(five.at(0).tier, Tier::minute);
  ASSERT_EQ(five[0].bucket_ms, 5 * kMinute);
  ASSERT_EQ(five[0].buckets.size(), 12U);
  EXPECT_NEAR(five[0].buckets[1].min, 5.0, 1e-9);
  EXPECT_NEAR(five[0].buckets[1].max, 9.5, 1e-9);
  EXPECT_EQ(five[0].buckets[1].count, 30U);
}

TEST(SqliteStore, OnlyOkSamplesAreAggregatedAndRepeatsStoredOnce) {
  TempDb db;
  auto store = open_sqlite_store(db.path(), big_queue());
  const auto directory = make_directory();
  for (int s = 0; s < 10; ++s) {
    model::Snapshot snapshot;
    snapshot.channels = directory;
    // Sample renewed every second second: the repeat must not be stored twice.
    const std::int64_t time_ms = kT0 + (s / 2) * 1000;
    for (model::ChannelId id = 0; id < directory->size(); ++id)
      snapshot.samples.push_back(
          {s >= 8 ? 1000.0 : 1.0, time_ms, s >= 8 ? Quality::invalid : Quality::ok});
    store->append(snapshot);
  }
  store->flush();
  EXPECT_EQ(store->stats().values_written, 15U);
  const auto result = store->query({"battery/1/1/voltage"}, kT0, kT0 + 10'000, 1);
  ASSERT_EQ(result.at(0).buckets.size(), 1U);
  EXPECT_EQ(result[0].buckets[0].count, 4U);
  EXPECT_DOUBLE_EQ(result[0].buckets[0].max, 1.0);
  const auto minute = store->query({"battery/1/1/voltage"}, kT0, kT0 + kHour, 10);
  EXPECT_EQ(minute.at(0).buckets.at(0).count, 4U);
}

TEST(SqliteStore, BadQueriesThrowWithReason) {
  TempDb db;
  auto store = open_sqlite_store(db.path(), big_queue());
  feed(*store, make_directory(), kT0, 1, [](auto, int) { return 1.0; });
  store->flush();
  const std::vector<std::string> ok = {"battery/1/1/voltage"};
  struct Case {
    std::vector<std::string> channels;
    std::int64_t from_ms, to_ms;
    int points;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {{"battery/9/9/voltage"}, kT0, kT0 + 1000, 10, "unknown channel"},
      {ok, kT0, kT0, 10, "before"},
      {ok, kT0 + 1, kT0, 10, "before"},
      {ok, kT0, kT0 + 1000, 0, "points"},
      {ok, kT0, kT0 + 1000, 10'001, "points"},
      {ok, -5, kT0, 10, "range"},
      {ok, kT0, 9'000'000'000'000'000, 10, "range"},
  };
  for (const auto& c : cases) {
    try {
      store->query(c.channels, c.from_ms, c.to_ms, c.points);
      ADD_FAILURE() << "no error for " << c.reason;
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find(c.reason), std::string::npos) << error.what();
    }
  }
  EXPECT_NO_THROW(store->query(ok, kT0, kT0 + 1000, 10'000));
}

TEST(SqliteStore, EventsAreStoredAndListedNewestWithinLimit) {
  TempDb db;
  auto store = open_sqlite_store(db.path(), big_queue());
  for (int i = 0; i < 20; ++i) {
    model::Event event;
    event.id = static_cast<std::uint64_t>(i + 1);
    event.time_ms = kT0 + i * 1000;
    event.kind = model::EventKind::alarm_raised;
    event.severity = model::Severity::alarm;
    event.source = "battery/1/" + std::to_string(i);
    event.rule = "battery_voltage_high";
    event.text = "high";
    event.user = i == 3 ? "ops" : "";
    event.value = 14.5 + i;
    store->append_event(event);
  }
  store->flush();
  const auto last = store->events(kT0, kT0 + 10'000, 3);
  ASSERT_EQ(last.size(), 3U);
  EXPECT_EQ(last[0].id, 8U);
  EXPECT_EQ(last[2].id, 10U);
  EXPECT_EQ(last[2].source, "battery/1/9");
  EXPECT_EQ(last[2].kind, model::EventKind::alarm_raised);
  EXPECT_EQ(last[2].severity, model::Severity::alarm);
  EXPECT_DOUBLE_EQ(last[2].value, 23.5);
  const auto all = store->events(0, kT0 + kHour, 100);
  ASSERT_EQ(all.size(), 20U);
  EXPECT_EQ(all[3].user, "ops");
  EXPECT_EQ(store->stats().events_written, 20U);
}

TEST(SqliteStore, FullQueueDropsAndCountsWithoutBlocking) {
  const auto directory = make_directory();
  {
    // No room at all: every append is dropped and counted, nothing is written.
    TempDb db;
    HistoryOptions options;
    options.queue_capacity = 0;
    auto store = open_sqlite_store(db.path(), options);
    feed(*store, directory, kT0, 50, [](auto, int s) { return s * 1.0; });
    model::Snapshot copy;
    copy.channels = directory;
    copy.samples.assign(directory->size(), {1.0, kT0 + 100'000, Quality::ok});
    store->append(copy);
    store->append_event(model::Event{});
    store->flush();
    const auto stats = store->stats();
    EXPECT_EQ(stats.snapshots_dropped, 51U);
    EXPECT_EQ(stats.events_dropped, 1U);
    EXPECT_EQ(stats.values_written, 0U);
    EXPECT_EQ(stats.events_written, 0U);
  }
  {
    // One slot while the writer drains concurrently: every snapshot is either written or
    // counted as dropped, never lost silently.
    TempDb db;
    HistoryOptions options;
    options.queue_capacity = 1;
    auto store = open_sqlite_store(db.path(), options);
    feed(*store, directory, kT0, 2000, [](auto, int s) { return s * 1.0; });
    store->flush();
    const auto stats = store->stats();
    EXPECT_EQ(stats.values_written + stats.snapshots_dropped * 3, 6000U);
  }
}

TEST(SqliteStore, ReopenContinuesWithStableChannelIds) {
  TempDb db;
  {
    auto store = open_sqlite_store(db.path(), big_queue());
    feed(*store, make_directory(), kT0, 60, [](auto, int s) { return s * 1.0; });
  }  // closing commits
  {
    // A different directory order: names, not positions, identify channels.
    auto directory = std::make_shared<model::ChannelDirectory>();
    directory->add("string/1/current", "A");
    directory->add("battery/1/1/voltage", "V");
    auto store = open_sqlite_store(db.path(), big_queue());
    // Overlapping times are not stored twice.
    feed(*store, directory, kT0 + 30'000, 60,
         [](auto id, int s) { return id == 0 ? 1000.0 + s : 30.0 + s; });
    store->flush();
    const auto result =
        store->query({"battery/1/1/voltage", "string/1/current"}, kT0, kT0 + 90'000, 90);
    ASSERT_EQ(result.at(0).buckets.size(), 90U);
    for (int s = 0; s < 90; ++s) EXPECT_DOUBLE_EQ(result[0].buckets[s].mean, s) << s;
    EXPECT_DOUBLE_EQ(result[1].buckets[59].mean, 59.0);
    EXPECT_DOUBLE_EQ(result[1].buckets[60].mean, 1030.0);
    const auto minute = store->query({"battery/1/1/voltage"}, kT0, kT0 + 2 * kMinute, 2);
    ASSERT_EQ(minute.at(0).tier, Tier::minute);
    EXPECT_EQ(minute[0].buckets.at(0).count, 60U);
    EXPECT_DOUBLE_EQ(minute[0].buckets.at(0).mean, 29.5);
  }
}

TEST(SqliteStore, RetentionDropsOldTiers) {
  TempDb db;
  auto store = open_sqlite_store(db.path(), big_queue());
  const auto directory = make_directory();
  feed(*store, directory, kT0, 10, [](auto, int) { return 1.0; });
  store->flush();
  // 40 days later raw data is gone, minute and hour rollups remain.
  store->enforce_retention(kT0 + 40LL * 86'400'000);
  EXPECT_TRUE(store->query({"battery/1/1/voltage"}, kT0, kT0 + 10'000, 10)[0].buckets.empty());
  EXPECT_EQ(store->query({"battery/1/1/voltage"}, kT0, kT0 + kHour, 60)[0].buckets.size(), 1U);
  // 3 years later the minute tier is gone, the hour tier remains.
  store->enforce_retention(kT0 + 3LL * 366 * 86'400'000);
  EXPECT_TRUE(store->query({"battery/1/1/voltage"}, kT0, kT0 + kHour, 60)[0].buckets.empty());
  EXPECT_EQ(store->query({"battery/1/1/voltage"}, kT0, kT0 + 10 * kHour, 10)[0].buckets.size(), 1U);
  store->enforce_retention(kT0 + 11LL * 366 * 86'400'000);
  EXPECT_TRUE(store->query({"battery/1/1/voltage"}, kT0, kT0 + 10 * kHour, 10)[0].buckets.empty());
  // The store keeps working after retention.
  feed(*store, directory, kT0 + 100'000, 5, [](auto, int) { return 2.0; });
  store->flush();
  EXPECT_EQ(store->query({"battery/1/1/voltage"}, kT0, kT0 + kHour, 3600)[0].buckets.size(), 5U);
}

TEST(SqliteStore, QueriesAndRetentionRunWhileTheWriterIngests) {
  TempDb db;
  HistoryOptions options = big_queue();
  options.commit_interval_ms = 5;
  auto store = open_sqlite_store(db.path(), options);
  const auto directory = make_directory();
  feed(*store, directory, kT0, 1, [](auto, int) { return 0.0; });
  store->flush();  // the channels are known before the first query
  // jthread: joined even when an assertion returns early.
  std::jthread producer(
      [&] { feed(*store, directory, kT0 + 1000, 2999, [](auto, int s) { return s + 1.0; }); });
  std::size_t seen = 0;
  for (int i = 0; i < 50; ++i) {
    const auto result = store->query({"battery/1/1/voltage"}, kT0, kT0 + 3'000'000, 3000);
    // Committed data only grows and stays gap-free.
    const auto& buckets = result.at(0).buckets;
    EXPECT_GE(buckets.size(), seen);
    seen = buckets.size();
    for (std::size_t b = 0; b < buckets.size(); ++b) ASSERT_EQ(buckets[b].mean, b * 1.0);
    store->enforce_retention(kT0);  // nothing is old enough to go
    store->events(kT0, kT0 + 1, 10);
  }
  producer.join();
  store->flush();
  EXPECT_EQ(store->query({"battery/1/1/voltage"}, kT0, kT0 + 3'000'000, 3000)[0].buckets.size(),
            3000U);
}

TEST(SqliteStore, SurvivesSigkillDuringIngest) {
  TempDb db;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    HistoryOptions options = big_queue();
    options.commit_interval_ms = 50;
    auto store = open_sqlite_store(db.path(), options);
    const auto directory = make_directory();
    for (int s = 0;; ++s) {
      feed(*store, directory, kT0 + s * 1000LL, 1, [s](auto, int) { return s * 1.0; });
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  // Wait until the child has committed something, then kill it mid-stream.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code error;
    if (std::filesystem::file_size(db.path() + "-wal", error) > 64 * 1024 && !error) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto store = open_sqlite_store(db.path(), big_queue());
  const auto result = store->query({"battery/1/1/voltage"}, kT0, kT0 + 10'000'000, 10'000);
  const auto& buckets = result.at(0).buckets;
  ASSERT_GT(buckets.size(), 10U);
  // Everything committed is there without gaps: second s holds value s.
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    ASSERT_EQ(buckets[i].count, 1U);
    ASSERT_EQ(buckets[i].mean, static_cast<double>((buckets[i].time_ms - kT0) / 1000));
  }
  EXPECT_EQ(buckets.back().time_ms - buckets.front().time_ms,
            static_cast<std::int64_t>(buckets.size() - 1) * 1000);
  // The reopened store continues after the last stored second.
  const std::int64_t next_ms = buckets.back().time_ms + 1000;
  feed(*store, make_directory(), next_ms, 3, [](auto, int) { return -1.0; });
  store->flush();
  const auto tail = store->query({"battery/1/1/voltage"}, next_ms, next_ms + 3000, 3);
  EXPECT_EQ(tail.at(0).buckets.size(), 3U);
}

}  // namespace
}  // namespace btms::history
