#include "cloud/outbox.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace btms::cloud {
namespace {

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "btms-outbox-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/outbox.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static OutgoingMessage message(MessageKind kind, int n) {
    return {"btms/s/g/" + std::to_string(n), "{\"n\":" + std::to_string(n) + "}",
            kind == MessageKind::alarm, kind};
  }

  std::string dir_;
  std::string path_;
};

TEST(MessageId, InsertedFirst) {
  EXPECT_EQ(with_message_id("{\"a\":1}", 7), "{\"mid\":7,\"a\":1}");
  EXPECT_EQ(with_message_id("{}", 8), "{\"mid\":8}");
  EXPECT_EQ(with_message_id("", 9), "");
}

TEST_F(OutboxTest, StoresInOrderAndDeletesOnlyWhatWasAcknowledged) {
  Outbox outbox(path_, OutboxLimits{});
  const auto mids = outbox.add({message(MessageKind::telemetry, 1), message(MessageKind::event, 2),
                                message(MessageKind::alarm, 3)},
                               1000);
  ASSERT_EQ(mids, (std::vector<std::int64_t>{1, 2, 3}));
  auto all = outbox.read(0, 1'000'000, 100);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].topic, "btms/s/g/2");
  EXPECT_EQ(nlohmann::json::parse(all[1].payload)["mid"], 2);
  EXPECT_EQ(all[1].kind, MessageKind::event);
  EXPECT_TRUE(all[2].retain);
  EXPECT_EQ(all[0].created_ms, 1000);
  outbox.remove({2});
  all = outbox.read(0, 1'000'000, 100);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].mid, 1);
  EXPECT_EQ(all[1].mid, 3);
  EXPECT_EQ(outbox.read(1, 2, 100).size(), 0u);  // a range
  EXPECT_EQ(outbox.stats().rows, 2);
  EXPECT_EQ(outbox.stats().oldest_created_ms, 1000);
}

TEST_F(OutboxTest, SurvivesReopenAndNeverReusesIds) {
  {
    Outbox outbox(path_, OutboxLimits{});
    outbox.add({message(MessageKind::event, 1), message(MessageKind::event, 2)}, 0);
    outbox.remove({1, 2});  // emptied
  }
  {
    Outbox outbox(path_, OutboxLimits{});
    EXPECT_EQ(outbox.stats().rows, 0);
    const auto mids = outbox.add({message(MessageKind::event, 3)}, 0);
    EXPECT_EQ(mids, (std::vector<std::int64_t>{3}));
  }
  Outbox outbox(path_, OutboxLimits{});
  const auto stats = outbox.stats();
  EXPECT_EQ(stats.rows, 1);
  EXPECT_EQ(stats.bytes, static_cast<std::int64_t>(std::string("btms/s/g/3").size() +
                                                   std::string("{\"mid\":3,\"n\":3}").size()));
}

// Bounds, row by row: what is stored -> what is dropped (oldest telemetry first; alarms and
// events only when no telemetry is left).
TEST_F(OutboxTest, BoundsDropOldestTelemetryFirst) {
  OutboxLimits limits;
  limits.max_rows = 100;
  Outbox outbox(path_, limits);
  std::vector<OutgoingMessage> batch;
  for (int i = 1; i <= 60; ++i) batch.push_back(message(MessageKind::event, i));
  for (int i = 61; i <= 120; ++i) batch.push_back(message(MessageKind::telemetry, i));
  outbox.add(batch, 0);
  auto stats = outbox.stats();
  EXPECT_EQ(stats.rows, 100);
  EXPECT_EQ(stats.dropped_telemetry, 20);
  EXPECT_EQ(stats.dropped_priority, 0);
  // Every event kept; the newest 40 telemetry messages kept.
  const auto left = outbox.read(0, 1'000'000, 1000);
  EXPECT_EQ(left[59].mid, 60);
  EXPECT_EQ(left[60].mid, 81);
  // Only events now: the oldest event goes.
  outbox.remove([] {
    std::vector<std::int64_t> v;
    for (int i = 81; i <= 120; ++i) v.push_back(i);
    return v;
  }());
  batch.clear();
  for (int i = 121; i <= 165; ++i) batch.push_back(message(MessageKind::alarm, i));
  outbox.add(batch, 0);
  stats = outbox.stats();
  EXPECT_EQ(stats.rows, 100);
  EXPECT_EQ(stats.dropped_priority, 5);
  EXPECT_EQ(outbox.read(0, 1'000'000, 1).front().mid, 6);
}

TEST_F(OutboxTest, BoundByBytes) {
  OutboxLimits limits;
  limits.max_bytes = 1000;
  Outbox outbox(path_, limits);
  std::vector<OutgoingMessage> batch;
  for (int i = 1; i <= 100; ++i) batch.push_back(message(MessageKind::telemetry, i));
  outbox.add(batch, 0);
  const auto stats = outbox.stats();
  EXPECT_LE(stats.bytes, 1000);
  EXPECT_GT(stats.bytes, 800);  // not more dropped than needed (a tenth of the bound at most)
  EXPECT_EQ(stats.rows + stats.dropped_telemetry, 100);
}

TEST_F(OutboxTest, BoundByAgeDropsOnlyTelemetry) {
  OutboxLimits limits;
  limits.max_age_ms = 3'600'000;
  Outbox outbox(path_, limits);
  outbox.add({message(MessageKind::telemetry, 1), message(MessageKind::event, 2)}, 0);
  outbox.add({message(MessageKind::telemetry, 3)}, 3'600'000);  // the first is exactly 1 h old
  EXPECT_EQ(outbox.stats().rows, 3);
  outbox.add({message(MessageKind::telemetry, 4)}, 3'600'001);
  const auto left = outbox.read(0, 1'000'000, 10);
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0].mid, 2);  // the event stays, however old
  EXPECT_EQ(outbox.stats().dropped_telemetry, 1);
}

TEST_F(OutboxTest, DropCountersSurviveReopen) {
  OutboxLimits limits;
  limits.max_rows = 100;
  {
    Outbox outbox(path_, limits);
    std::vector<OutgoingMessage> batch;
    for (int i = 1; i <= 110; ++i) batch.push_back(message(MessageKind::telemetry, i));
    outbox.add(batch, 0);
  }
  Outbox outbox(path_, limits);
  EXPECT_EQ(outbox.stats().dropped_telemetry, 10);
}

TEST_F(OutboxTest, UnwritablePathIsRefusedWithItsName) {
  try {
    Outbox outbox(dir_ + "/missing/folder/outbox.db", OutboxLimits{});
    FAIL() << "opened";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing/folder"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace btms::cloud
