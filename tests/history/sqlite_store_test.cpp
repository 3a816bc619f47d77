// SQLite-only behaviour (the suite both backends share is history_store_test.cpp).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "history/sqlite_db.hpp"
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

}  // namespace
}  // namespace btms::history
