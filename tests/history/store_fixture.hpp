// The behavioural history-store suite runs against every backend: HistoryStoreTest is
// parameterized by Backend, and each test gets a fresh database of that backend (a temporary
// SQLite file, or a new database on the test PostgreSQL server). open() may be called again
// to reopen the same database.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "history/history_store.hpp"
#include "model/snapshot.hpp"
#include "postgres_server.hpp"

namespace btms::history {

// Shared by the backend suite and the SQLite-only tests: three channels, fed one snapshot per
// step, into a store whose queue never drops.
inline constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01 00:00:00 UTC

inline std::shared_ptr<model::ChannelDirectory> make_directory() {
  auto directory = std::make_shared<model::ChannelDirectory>();
  directory->add("battery/1/1/voltage", "V");
  directory->add("battery/1/1/temperature", "°C");
  directory->add("string/1/current", "A");
  return directory;
}

inline HistoryOptions big_queue() {
  HistoryOptions options;
  options.queue_capacity = 1'000'000;
  return options;
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
      snapshot->samples.push_back({value_of(id, s), snapshot->time_ms, model::Quality::ok});
    store.append(std::shared_ptr<const model::Snapshot>(std::move(snapshot)));
  }
}

enum class Backend { sqlite, postgres };

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::sqlite ? "Sqlite" : "Postgres";
}

// One PostgreSQL server per test process, started by the first test that needs it and
// stopped (folder removed) by the global environment's TearDown, which gtest runs after the
// last test whether tests passed or failed.
class PostgresEnvironment : public ::testing::Environment {
 public:
  static btms::testing::PostgresServer& server() {
    if (!server_) server_ = std::make_unique<btms::testing::PostgresServer>();  // throws
    return *server_;
  }
  void TearDown() override { server_.reset(); }

 private:
  static inline std::unique_ptr<btms::testing::PostgresServer> server_;
};

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
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;
  const std::string& path() const { return path_; }

 private:
  void remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  std::string path_;
};

class HistoryStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::sqlite) {
      sqlite_ = std::make_unique<TempDb>();
      return;
    }
    // A missing or broken PostgreSQL fails the test with the reason; it never skips.
    try {
      static int counter = 0;
      postgres_ = PostgresEnvironment::server().create_database(
          std::string("t").append(std::to_string(counter++)));
    } catch (const std::exception& error) {
      FAIL() << "cannot start the test PostgreSQL server: " << error.what();
    }
  }

  std::unique_ptr<HistoryStore> open(HistoryOptions options = {}) {
    if (GetParam() == Backend::sqlite) return open_sqlite_store(sqlite_->path(), options);
    return open_postgres_store(postgres_, options);
  }
  const std::string& postgres_connection() const { return postgres_; }

 private:
  std::unique_ptr<TempDb> sqlite_;
  std::string postgres_;
};

}  // namespace btms::history
