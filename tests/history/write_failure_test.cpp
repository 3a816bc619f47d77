// History writes failing (full disk, here a database at its size cap): nothing aborts, the
// failure is reported, events are written ahead of telemetry, and pending data is retried.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "store_fixture.hpp"

namespace btms::history {
namespace {

// Channels of no known resolution whose values change by large steps every second, so the
// data compresses badly and a small cap is reached in a few seconds of feeding.
std::shared_ptr<model::ChannelDirectory> noisy_directory() {
  auto directory = std::make_shared<model::ChannelDirectory>();
  for (int c = 0; c < 400; ++c) directory->add("test/" + std::to_string(c) + "/value", "");
  return directory;
}

double noisy(model::ChannelId id, int s) {
  return static_cast<double>((static_cast<std::uint64_t>(s) * 7919 + id * 104'729) % 1'000'003);
}

HistoryOptions capped() {
  HistoryOptions options = big_queue();
  options.max_database_bytes = 512 * 1024;
  options.chunk_max_span_ms = 60'000;  // chunks seal while the test feeds
  return options;
}

// Feeds minute after minute until a flush reports the failure; false if it never did.
bool feed_until_full(HistoryStore& store, const std::shared_ptr<model::ChannelDirectory>& dir) {
  for (int minute = 0; minute < 100; ++minute) {
    feed(store, dir, kT0 + minute * 60'000LL, 60, noisy);
    if (!store.flush()) return true;
  }
  return false;
}

// Issue 17 item 7: on SQLITE_FULL the batch was discarded, health stayed ok, nothing was logged.
TEST(HistoryWriteFailure, FullDatabaseIsReportedAndEventsAreWrittenFirst) {
  TempDb db;
  auto store = open_sqlite_store(db.path(), capped());
  const auto directory = noisy_directory();
  ASSERT_TRUE(feed_until_full(*store, directory)) << "the database cap was never reached";

  const auto health = store->health();
  EXPECT_TRUE(health.write_failing);
  EXPECT_TRUE(health.falling_behind);  // what the gateway alarms on
  EXPECT_NE(health.text.find("history writes fail"), std::string::npos) << health.text;
  EXPECT_NE(health.text.find("full"), std::string::npos) << health.text;
  EXPECT_GT(store->stats().write_failures, 0U);

  // An alarm raised while telemetry does not fit is written ahead of it.
  model::Event event;
  event.id = 4242;
  event.time_ms = kT0 + 30 * 60'000;
  event.source = "string/1";
  event.rule = "voltage_high";
  event.text = "String 1 voltage high";
  store->append_event(event);
  store->flush();  // may fail again for the telemetry; never throws
  const auto events = store->events(kT0, kT0 + 3'600'000, 10);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].id, 4242U);
  EXPECT_EQ(store->stats().events_written, 1U);
}

// Issue 17 item 6: "terminate called after throwing ... database or disk is full" at shutdown.
// The child does what the gateway's recorder does on the way out (flush, then destroy the
// store) with a full database; it must end normally.
TEST(HistoryWriteFailure, ShutdownWithAFullDatabaseEndsCleanly) {
  TempDb db;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int code = 3;
    {
      auto store = open_sqlite_store(db.path(), capped());
      const auto directory = noisy_directory();
      if (feed_until_full(*store, directory)) code = 0;
      feed(*store, directory, kT0 + 200 * 60'000LL, 5, noisy);
      store->flush();  // as the recorder does, without a try
    }                  // the destructor commits what is left: it fails again
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: the database cap was never reached";
}

}  // namespace
}  // namespace btms::history
