// SQLite-only behaviour (the suite both backends share is history_store_test.cpp).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "history/sqlite_db.hpp"
#include "history_v2_layout.hpp"
#include "store_fixture.hpp"

namespace btms::history {
namespace {

using model::Quality;

// A database written before discharges existed (channels without string_id) is upgraded in
// place, and its channels are protected by discharges afterwards.
TEST(SqliteStore, OpensADatabaseOfThePreviousSchema) {
  TempDb db;
  {
    SqliteDb old(db.path());
    old.exec(
        "CREATE TABLE channels(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, unit TEXT NOT "
        "NULL); INSERT INTO channels(name, unit) VALUES('battery/3/1/voltage', 'V'), "
        "('site/temperature', '°C')");
  }
  auto store = open_sqlite_store(db.path(), big_queue());
  store->flush();
  SqliteDb check(db.path());
  SqliteStmt select(check, "SELECT name, string_id FROM channels ORDER BY id");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_text(0), "battery/3/1/voltage");
  EXPECT_EQ(select.column_int(1), 3);
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_int(1), 0);
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
  feed(*store, make_directory(), next_ms, 3, [](auto, int s) { return -1.0 - s; });
  store->flush();
  const auto tail = store->query({"battery/1/1/voltage"}, next_ms, next_ms + 3000, 3);
  EXPECT_EQ(tail.at(0).buckets.size(), 3U);
}

std::int64_t count_rows(const std::string& path, const char* table) {
  SqliteDb db(path);
  SqliteStmt select(db, fmt::format("SELECT count(*) FROM {}", table).c_str());
  select.step();
  return select.column_int(0);
}

// Sealed chunks wait in memory (and in the journal) until sealed_write_interval_ms of data has
// passed, then go to the tables in one commit; queries see them all along.
TEST(SqliteStore, WritesSealedChunksInBatchesByDataTime) {
  TempDb db;
  HistoryOptions options = big_queue();
  options.chunk_max_points = 10;
  options.sealed_write_interval_ms = 60'000;
  auto store = open_sqlite_store(db.path(), options);
  const auto directory = make_directory();
  // Second t holds value t (feed counts s from 0 in each call).
  const auto from = [](int first) { return [first](auto, int s) { return first + s * 1.0; }; };
  feed(*store, directory, kT0, 1, from(0));
  store->flush();  // the batch interval starts with the first data
  feed(*store, directory, kT0 + 1000, 40, from(1));
  store->flush();
  // Four chunks of each channel are sealed by now, none written.
  EXPECT_EQ(count_rows(db.path(), "chunks"), 0);
  auto result = store->query({"battery/1/1/voltage"}, kT0, kT0 + 41'000, 41);
  EXPECT_EQ(result.at(0).buckets.size(), 41U);
  feed(*store, directory, kT0 + 41'000, 20, from(41));  // data time reaches 60 s
  store->flush();
  // 60 points per channel: 6 sealed chunks each, written together.
  EXPECT_EQ(count_rows(db.path(), "chunks"), 3 * 6);
  result = store->query({"battery/1/1/voltage"}, kT0, kT0 + 61'000, 61);
  ASSERT_EQ(result.at(0).buckets.size(), 61U);
  for (std::size_t i = 0; i < 61; ++i) EXPECT_EQ(result[0].buckets[i].mean, static_cast<double>(i));
}

// A process killed while sealed chunks wait for their batch loses nothing committed: their
// points are in the journal and come back on the next start.
TEST(SqliteStore, HeldSealedChunksSurviveSigkill) {
  TempDb db;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    HistoryOptions options = big_queue();
    options.chunk_max_points = 100;
    options.sealed_write_interval_ms = 10'000'000;  // never due within the test
    auto store = open_sqlite_store(db.path(), options);
    const auto directory = make_directory();
    for (int s = 0; s < 350; ++s) {
      feed(*store, directory, kT0 + s * 1000LL, 1, [s](auto, int) { return s * 1.0; });
      store->flush();
    }
    const char byte = 1;
    (void)!::write(ready[1], &byte, 1);
    for (;;) ::pause();
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  ASSERT_TRUE(WIFSIGNALED(status));
  // Three chunks of each channel were sealed and none written: the journal holds them.
  EXPECT_EQ(count_rows(db.path(), "chunks"), 0);
  EXPECT_GT(count_rows(db.path(), "journal"), 0);

  {
    auto store = open_sqlite_store(db.path(), big_queue());
    const auto result = store->query({"battery/1/1/voltage"}, kT0, kT0 + 350'000, 350);
    const auto& buckets = result.at(0).buckets;
    ASSERT_EQ(buckets.size(), 350U);
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      ASSERT_EQ(buckets[i].count, 1U) << i;
      ASSERT_EQ(buckets[i].mean, static_cast<double>(i)) << i;
    }
  }
  // A clean stop wrote them: one chunk per channel (the default 1,024 points per chunk), and
  // no point twice.
  EXPECT_EQ(count_rows(db.path(), "chunks"), 3);
  auto store = open_sqlite_store(db.path(), big_queue());
  const auto again = store->query({"battery/1/1/voltage"}, kT0, kT0 + 350'000, 350);
  ASSERT_EQ(again.at(0).buckets.size(), 350U);
  for (const auto& bucket : again[0].buckets) EXPECT_EQ(bucket.count, 1U);
}

// A version 2 file (channel-first keys) is brought to version 3 (time-first keys) with every
// tier answering as before: raw, minute and hour rollups over two hours.
TEST(SqliteStore, MigratesChannelFirstKeysToTimeFirst) {
  TempDb db;
  const auto directory = make_directory();
  const auto value = [](model::ChannelId id, int s) { return id * 100.0 + (s % 97) * 0.5; };
  constexpr int kSeconds = 2 * 3600;
  const auto ask = [&](HistoryStore& store) {
    std::vector<std::vector<Bucket>> out;
    for (const int points : {kSeconds, 2 * 60, 2}) {
      auto series = store.query({"battery/1/1/voltage", "string/1/current"}, kT0,
                                kT0 + kSeconds * 1000LL, points);
      for (auto& one : series) out.push_back(std::move(one.buckets));
    }
    return out;
  };
  std::vector<std::vector<Bucket>> before;
  {
    HistoryOptions options = big_queue();
    options.heartbeat_ms = 1000;
    auto store = open_sqlite_store(db.path(), options);
    feed(*store, directory, kT0, kSeconds, value);
    store->flush();
  }
  {
    auto store = open_sqlite_store(db.path(), big_queue());
    before = ask(*store);
  }
  ASSERT_EQ(before.at(0).size(), static_cast<std::size_t>(kSeconds));
  // Back to the version 2 layout, as an older BTMS wrote it.
  {
    SqliteDb old(db.path());
    old.exec(test::kBackToVersion2Layout);
  }
  auto store = open_sqlite_store(db.path(), big_queue());
  const auto after = ask(*store);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t series = 0; series < before.size(); ++series) {
    ASSERT_EQ(after[series].size(), before[series].size()) << series;
    for (std::size_t i = 0; i < before[series].size(); ++i) {
      EXPECT_EQ(after[series][i].time_ms, before[series][i].time_ms);
      EXPECT_EQ(after[series][i].count, before[series][i].count);
      EXPECT_DOUBLE_EQ(after[series][i].mean, before[series][i].mean);
    }
  }
  SqliteDb check(db.path());
  SqliteStmt version(check, "SELECT version FROM schema_version WHERE part = 'history'");
  ASSERT_TRUE(version.step());
  EXPECT_EQ(version.column_int(0), kSqliteHistorySchemaVersion);
}

}  // namespace
}  // namespace btms::history
