// The behavioural suite of the history store, run against SQLite and PostgreSQL alike.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <thread>

#include "store_fixture.hpp"

namespace btms::history {
namespace {

using model::Quality;

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 86'400'000;

const auto* const kPostgres = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

TEST_P(HistoryStoreTest, RawQueryReturnsEachSampleWhenBucketsAreFine) {
  auto store = open(big_queue());
  const auto directory = make_directory();
  // Each channel on its sensor's grid: 1 mV, 0.1 °C, 0.01 A.
  const double steps[] = {0.001, 0.1, 0.01};
  feed(*store, directory, kT0, 120, [&](auto id, int s) { return id * 100.0 + s * steps[id]; });
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
  EXPECT_DOUBLE_EQ(result[1].buckets[119].max, 201.19);
  EXPECT_EQ(store->stats().values_written, 360U);
}

TEST_P(HistoryStoreTest, RawBucketsAggregateMinMaxMean) {
  auto store = open(big_queue());
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

TEST_P(HistoryStoreTest, MinuteAndHourTiersMatchKnownData) {
  auto store = open(big_queue());
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

TEST_P(HistoryStoreTest, OnlyOkSamplesAreAggregatedAndUnchangedValuesStoredOnce) {
  auto store = open(big_queue());
  const auto directory = make_directory();
  for (int s = 0; s < 10; ++s) {
    model::Snapshot snapshot;
    snapshot.channels = directory;
    // Sample renewed every second second: the repeat must not be stored twice; an unchanged
    // value (1.0 for 4 s, well within the heartbeat) is stored once; a change of quality is.
    const std::int64_t time_ms = kT0 + (s / 2) * 1000;
    for (model::ChannelId id = 0; id < directory->size(); ++id)
      snapshot.samples.push_back(
          {s >= 8 ? 1000.0 : 1.0, time_ms, s >= 8 ? Quality::invalid : Quality::ok});
    store->append(snapshot);
  }
  store->flush();
  EXPECT_EQ(store->stats().values_written, 6U);    // 1.0 at 0 s, invalid at 4 s
  EXPECT_EQ(store->stats().values_unchanged, 9U);  // 1.0 at 1, 2 and 3 s
  const auto result = store->query({"battery/1/1/voltage"}, kT0, kT0 + 10'000, 1);
  ASSERT_EQ(result.at(0).buckets.size(), 1U);
  EXPECT_EQ(result[0].buckets[0].count, 1U);
  EXPECT_DOUBLE_EQ(result[0].buckets[0].max, 1.0);
  const auto minute = store->query({"battery/1/1/voltage"}, kT0, kT0 + kHour, 10);
  EXPECT_EQ(minute.at(0).buckets.at(0).count, 1U);
}

TEST_P(HistoryStoreTest, BadQueriesThrowWithReason) {
  auto store = open(big_queue());
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

TEST_P(HistoryStoreTest, EventsAreStoredAndListedNewestWithinLimit) {
  auto store = open(big_queue());
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

TEST_P(HistoryStoreTest, FullQueueDropsAndCountsWithoutBlocking) {
  const auto directory = make_directory();
  {
    // No room at all: every append is dropped and counted, nothing is written.
    HistoryOptions options;
    options.queue_capacity = 0;
    auto store = open(options);
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
    HistoryOptions options;
    options.queue_capacity = 1;
    auto store = open(options);
    // Later than the first block's data, which the same database already holds.
    feed(*store, directory, kT0 + 86'400'000, 2000, [](auto, int s) { return s * 1.0; });
    store->flush();
    const auto stats = store->stats();
    EXPECT_EQ(stats.values_written + stats.snapshots_dropped * 3, 6000U);
  }
}

TEST_P(HistoryStoreTest, ReopenContinuesWithStableChannelIds) {
  {
    auto store = open(big_queue());
    feed(*store, make_directory(), kT0, 60, [](auto, int s) { return s * 1.0; });
  }  // closing commits
  {
    // A different directory order: names, not positions, identify channels.
    auto directory = std::make_shared<model::ChannelDirectory>();
    directory->add("string/1/current", "A");
    directory->add("battery/1/1/voltage", "V");
    auto store = open(big_queue());
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

// A restart in the middle of a minute: the minute tier holds the hour in two rows (one per
// run) and the query merges them into one bucket.
TEST_P(HistoryStoreTest, MinuteSplitByARestartIsMergedInQueries) {
  const auto directory = make_directory();
  {
    feed(*open(big_queue()), directory, kT0, 30, [](auto, int s) { return s * 1.0; });
  }
  {
    auto store = open(big_queue());
    feed(*store, directory, kT0 + 30'000, 60, [](auto, int s) { return 30.0 + s; });
    store->flush();
    const auto minutes = store->query({"battery/1/1/voltage"}, kT0, kT0 + 2 * kMinute, 2);
    ASSERT_EQ(minutes.at(0).tier, Tier::minute);
    ASSERT_EQ(minutes[0].buckets.size(), 2U);
    EXPECT_EQ(minutes[0].buckets[0].count, 60U);
    EXPECT_DOUBLE_EQ(minutes[0].buckets[0].min, 0.0);
    EXPECT_DOUBLE_EQ(minutes[0].buckets[0].max, 59.0);
    EXPECT_DOUBLE_EQ(minutes[0].buckets[0].mean, 29.5);
    EXPECT_EQ(minutes[0].buckets[1].count, 30U);
  }
}

TEST_P(HistoryStoreTest, RetentionDropsOldTiers) {
  auto store = open(big_queue());
  const auto directory = make_directory();
  feed(*store, directory, kT0, 10, [](auto, int s) { return 1.0 + s; });
  store->flush();
  // 40 days later raw data is gone, minute and hour rollups remain.
  store->enforce_retention(kT0 + 40LL * 86'400'000);
  // Raw asked for is gone: the minute tier answers instead of an empty series.
  const auto fallback = store->query({"battery/1/1/voltage"}, kT0, kT0 + 10'000, 10);
  EXPECT_EQ(fallback.at(0).tier, Tier::minute);
  EXPECT_EQ(fallback[0].bucket_ms, kMinute);
  ASSERT_EQ(fallback[0].buckets.size(), 1U);
  EXPECT_EQ(fallback[0].buckets[0].count, 10U);
  EXPECT_EQ(store->query({"battery/1/1/voltage"}, kT0, kT0 + kHour, 60)[0].buckets.size(), 1U);
  // 3 years later the minute tier is gone, the hour tier remains.
  store->enforce_retention(kT0 + 3LL * 366 * 86'400'000);
  EXPECT_TRUE(store->query({"battery/1/1/voltage"}, kT0, kT0 + kHour, 60)[0].buckets.empty());
  EXPECT_EQ(store->query({"battery/1/1/voltage"}, kT0, kT0 + 10 * kHour, 10)[0].buckets.size(), 1U);
  store->enforce_retention(kT0 + 11LL * 366 * 86'400'000);
  EXPECT_TRUE(store->query({"battery/1/1/voltage"}, kT0, kT0 + 10 * kHour, 10)[0].buckets.empty());
  // The store keeps working after retention.
  feed(*store, directory, kT0 + 100'000, 5, [](auto, int s) { return 20.0 + s; });
  store->flush();
  EXPECT_EQ(store->query({"battery/1/1/voltage"}, kT0, kT0 + kHour, 3600)[0].buckets.size(), 5U);
}

TEST_P(HistoryStoreTest, QueriesAndRetentionRunWhileTheWriterIngests) {
  HistoryOptions options = big_queue();
  options.commit_interval_ms = 5;
  auto store = open(options);
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

model::DischargeRecord make_discharge(int string_id, std::int64_t start_ms, std::int64_t end_ms) {
  model::DischargeRecord record;
  record.string_id = string_id;
  record.start_ms = start_ms;
  record.end_ms = end_ms;
  record.ah_out = 12.5 + string_id;
  record.energy_out_kWh = 6.25;
  record.min_string_voltage_V = 520.125;
  record.peak_current_A = 180.5;
  record.min_battery_voltage_V = {12.01, 11.875, 0.0, 1.0 / 3.0};
  record.weakest_position = 2;
  record.predicted_runtime_min = 30.0;
  record.actual_runtime_min = 27.5;
  record.soc_start_pct = 100.0;
  record.soc_end_pct = 41.25;
  return record;
}

TEST_P(HistoryStoreTest, DischargesAreStoredWithEveryFieldAndListedByRangeStringAndLimit) {
  auto store = open(big_queue());
  for (int i = 0; i < 6; ++i)
    store->append_discharge(make_discharge(1 + i % 2, kT0 + i * kHour, kT0 + i * kHour + 60'000));
  // Re-sent when it ends: the same (string, start) is updated, not duplicated.
  auto updated = make_discharge(1, kT0 + 4 * kHour, kT0 + 4 * kHour + 90'000);
  updated.min_battery_voltage_V = {};
  store->append_discharge(updated);
  store->flush();

  const auto all = store->discharges(0, kT0 + kDay, 0, 100);
  ASSERT_EQ(all.size(), 6U);
  const auto expected = make_discharge(2, kT0 + kHour, kT0 + kHour + 60'000);
  const auto& got = all[1];
  EXPECT_EQ(got.string_id, expected.string_id);
  EXPECT_EQ(got.start_ms, expected.start_ms);
  EXPECT_EQ(got.end_ms, expected.end_ms);
  EXPECT_DOUBLE_EQ(got.ah_out, expected.ah_out);
  EXPECT_DOUBLE_EQ(got.energy_out_kWh, expected.energy_out_kWh);
  EXPECT_DOUBLE_EQ(got.min_string_voltage_V, expected.min_string_voltage_V);
  EXPECT_DOUBLE_EQ(got.peak_current_A, expected.peak_current_A);
  EXPECT_EQ(got.min_battery_voltage_V, expected.min_battery_voltage_V);  // bit-exact
  EXPECT_EQ(got.weakest_position, expected.weakest_position);
  EXPECT_DOUBLE_EQ(got.predicted_runtime_min, expected.predicted_runtime_min);
  EXPECT_DOUBLE_EQ(got.actual_runtime_min, expected.actual_runtime_min);
  EXPECT_DOUBLE_EQ(got.soc_start_pct, expected.soc_start_pct);
  EXPECT_DOUBLE_EQ(got.soc_end_pct, expected.soc_end_pct);
  EXPECT_EQ(all[4].end_ms, kT0 + 4 * kHour + 90'000);
  EXPECT_TRUE(all[4].min_battery_voltage_V.empty());

  struct Case {
    std::int64_t from_ms, to_ms;
    int string_id;
    std::size_t limit;
    std::vector<std::int64_t> starts_h;  // expected start hours, ascending
  };
  const std::vector<Case> cases = {
      {kT0, kT0 + kDay, 1, 100, {0, 2, 4}},
      {kT0, kT0 + kDay, 2, 2, {3, 5}},                 // newest two, ascending
      {kT0 + kHour, kT0 + 3 * kHour, 0, 100, {1, 2}},  // start in [from, to)
      {kT0 + kDay, kT0 + 2 * kDay, 0, 100, {}},
      {kT0, kT0 + kDay, 7, 100, {}},
  };
  for (const auto& c : cases) {
    std::vector<std::int64_t> starts_h;
    for (const auto& record : store->discharges(c.from_ms, c.to_ms, c.string_id, c.limit))
      starts_h.push_back((record.start_ms - kT0) / kHour);
    EXPECT_EQ(starts_h, c.starts_h) << "string " << c.string_id << " limit " << c.limit;
  }
}

TEST_P(HistoryStoreTest, RetentionKeepsRawOfDischargeSpansAndEveryDischarge) {
  HistoryOptions options = big_queue();
  options.chunk_max_span_ms = kMinute;  // many small chunks
  auto store = open(options);
  auto directory = std::make_shared<model::ChannelDirectory>();
  directory->add("battery/1/1/voltage", "V");
  directory->add("string/1/current", "A");
  directory->add("battery/2/1/voltage", "V");
  directory->add("site/temperature", "°C");
  feed(*store, directory, kT0, 600, [](auto id, int s) { return id * 100.0 + s; });
  // String 1 discharged in minutes 2..3; string 2 has one still running from minute 9.
  store->append_discharge(make_discharge(1, kT0 + 2 * kMinute, kT0 + 3 * kMinute - 1000));
  store->append_discharge(make_discharge(2, kT0 + 9 * kMinute + 30'000, 0));
  store->flush();

  store->enforce_retention(kT0 + 20LL * 366 * kDay);  // past every tier but discharges
  const auto span = store->query(
      {"battery/1/1/voltage", "string/1/current", "battery/2/1/voltage", "site/temperature"},
      kT0 + 2 * kMinute, kT0 + 3 * kMinute, 60);
  // String 1's channels keep their raw seconds over the discharge.
  for (int c = 0; c < 2; ++c) {
    EXPECT_EQ(span[c].tier, Tier::raw) << span[c].channel;
    ASSERT_EQ(span[c].buckets.size(), 60U) << span[c].channel;
    EXPECT_DOUBLE_EQ(span[c].buckets[5].mean, c * 100.0 + 125) << span[c].channel;
  }
  // Other strings and site channels were not discharging then: dropped (and the fallback
  // tier is dropped too after 20 years).
  for (int c = 2; c < 4; ++c) {
    EXPECT_EQ(span[c].tier, Tier::minute) << span[c].channel;
    EXPECT_TRUE(span[c].buckets.empty()) << span[c].channel;
  }
  // Outside the span string 1 lost its raw data too.
  const auto after =
      store->query({"battery/1/1/voltage"}, kT0 + 5 * kMinute, kT0 + 6 * kMinute, 60);
  EXPECT_EQ(after.at(0).tier, Tier::minute);
  EXPECT_TRUE(after[0].buckets.empty());
  // The running discharge of string 2 protects from its start on.
  const auto running =
      store->query({"battery/2/1/voltage"}, kT0 + 9 * kMinute + 30'000, kT0 + 10 * kMinute, 30);
  EXPECT_EQ(running.at(0).tier, Tier::raw);
  EXPECT_EQ(running[0].buckets.size(), 30U);
  EXPECT_EQ(store->discharges(0, kT0 + kDay, 0, 10).size(), 2U);

  // Reopened, the protection still holds (spans come from the database).
  store.reset();
  store = open(options);
  store->enforce_retention(kT0 + 21LL * 366 * kDay);
  EXPECT_EQ(store->query({"string/1/current"}, kT0 + 2 * kMinute, kT0 + 3 * kMinute, 60)
                .at(0)
                .buckets.size(),
            60U);
}

TEST_P(HistoryStoreTest, LowDiskDropsRawFirstAndSaysSo) {
  HistoryOptions options = big_queue();
  options.chunk_max_span_ms = kMinute;
  options.disk_low_free_bytes = std::numeric_limits<std::uint64_t>::max();  // always low
  auto store = open(options);
  const auto directory = make_directory();  // battery/1/1/..., string/1/current
  store->append_discharge(make_discharge(1, kT0 + 10 * kMinute, kT0 + 11 * kMinute - 1000));
  feed(*store, directory, kT0, 30 * 60, [](auto, int s) { return s * 1.0; });
  model::Event event;
  event.id = 1;
  event.time_ms = kT0;
  event.text = "kept";
  store->append_event(event);
  store->flush();

  const auto health = store->health();
  EXPECT_TRUE(health.disk_low);
  EXPECT_GT(health.disk_free_bytes, 0U);
  EXPECT_NE(health.text.find("disk low"), std::string::npos) << health.text;
  EXPECT_NE(health.text.find("dropping the oldest raw"), std::string::npos) << health.text;
  EXPECT_NE(health.text.find("raw dropped up to"), std::string::npos) << health.text;

  // Raw of the first minutes is gone; the minute tier answers it, complete.
  const auto early = store->query({"battery/1/1/voltage"}, kT0, kT0 + 5 * kMinute, 300);
  EXPECT_EQ(early.at(0).tier, Tier::minute);
  ASSERT_EQ(early[0].buckets.size(), 5U);
  EXPECT_EQ(early[0].buckets[0].count, 60U);
  EXPECT_DOUBLE_EQ(early[0].buckets[4].max, 299.0);
  // The discharge span keeps its raw seconds, hours and events stay.
  const auto span =
      store->query({"battery/1/1/voltage"}, kT0 + 10 * kMinute, kT0 + 11 * kMinute, 60);
  EXPECT_EQ(span.at(0).tier, Tier::raw);
  EXPECT_EQ(span[0].buckets.size(), 60U);
  EXPECT_EQ(store->query({"string/1/current"}, kT0, kT0 + kHour, 1).at(0).buckets.at(0).count,
            1800U);
  EXPECT_EQ(store->events(0, kT0 + kDay, 10).size(), 1U);
  EXPECT_EQ(store->discharges(0, kT0 + kDay, 0, 10).size(), 1U);
}

TEST_P(HistoryStoreTest, HealthReportsDropsOnceAndAHealthyStoreAsOk) {
  {
    HistoryOptions options;
    options.disk_low_free_bytes = 0;  // never low
    auto store = open(options);
    feed(*store, make_directory(), kT0, 3, [](auto, int) { return 1.0; });
    store->flush();
    const auto health = store->health();
    EXPECT_FALSE(health.falling_behind);
    EXPECT_FALSE(health.disk_low);
    EXPECT_GT(health.disk_free_bytes, 0U);
    EXPECT_EQ(health.text, "");
  }
  HistoryOptions options;
  options.queue_capacity = 0;  // every append dropped
  options.disk_low_free_bytes = 0;
  auto store = open(options);
  feed(*store, make_directory(), kT0 + kDay, 2, [](auto, int) { return 1.0; });
  const auto behind = store->health();
  EXPECT_TRUE(behind.falling_behind);
  EXPECT_NE(behind.text.find("falls behind: 2 items dropped"), std::string::npos) << behind.text;
  // Drops are reported since the previous call: none new, so ok again.
  const auto again = store->health();
  EXPECT_FALSE(again.falling_behind);
  EXPECT_EQ(again.text, "");
}

INSTANTIATE_TEST_SUITE_P(Backends, HistoryStoreTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres), backend_name);

}  // namespace
}  // namespace btms::history
