// What the store keeps of the samples offered: a value is stored when it changed at its
// channel's resolution, changed quality, or as a heartbeat; everything else is counted as
// unchanged. Table-driven: each case is a series of samples (1 s apart) on one channel.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "store_fixture.hpp"

namespace btms::history {
namespace {

using model::Quality;

struct Offered {
  double value;
  Quality quality = Quality::ok;
};

struct FilterCase {
  const char* what;
  const char* channel;  // its resolution comes from the name
  std::vector<Offered> samples;
  std::int64_t heartbeat_ms;
  std::vector<double> stored;  // values a raw query returns, in time order
};

class IngestFilter : public ::testing::TestWithParam<FilterCase> {};

TEST_P(IngestFilter, StoresChangesAtResolutionQualityChangesAndHeartbeats) {
  const auto& c = GetParam();
  TempDb db;
  HistoryOptions options = big_queue();
  options.heartbeat_ms = c.heartbeat_ms;
  auto store = open_sqlite_store(db.path(), options);
  auto directory = std::make_shared<model::ChannelDirectory>();
  directory->add(c.channel, "");
  for (std::size_t s = 0; s < c.samples.size(); ++s) {
    model::Snapshot snapshot;
    snapshot.channels = directory;
    const std::int64_t time_ms = kT0 + static_cast<std::int64_t>(s) * 1000;
    snapshot.samples.push_back({c.samples[s].value, time_ms, c.samples[s].quality});
    store->append(snapshot);
  }
  ASSERT_TRUE(store->flush());
  const auto stats = store->stats();
  EXPECT_EQ(stats.values_written, c.stored.size());
  EXPECT_EQ(stats.values_written + stats.values_unchanged, c.samples.size());
  // A raw query at 1 s buckets returns the stored ok values (not ok ones are not aggregated).
  const auto result = store->query({c.channel}, kT0, kT0 + 1000 * 200, 200);
  std::vector<double> ok_stored;
  for (const auto& bucket : result.at(0).buckets) ok_stored.push_back(bucket.mean);
  std::vector<double> expected;
  for (std::size_t i = 0; i < c.stored.size(); ++i)
    if (!std::isnan(c.stored[i])) expected.push_back(c.stored[i]);
  EXPECT_EQ(ok_stored, expected);
}

std::vector<Offered> constant(double value, int n) {
  return std::vector<Offered>(static_cast<std::size_t>(n), Offered{value});
}

std::vector<Offered> join(std::vector<Offered> a, const std::vector<Offered>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

constexpr double kNotOk = std::numeric_limits<double>::quiet_NaN();  // stored, not aggregated

INSTANTIATE_TEST_SUITE_P(
    Cases, IngestFilter,
    ::testing::Values(
        FilterCase{
            "constant is stored once", "battery/1/1/voltage", constant(2.25, 10), 30'000, {2.25}},
        FilterCase{"heartbeat every 5 s",
                   "battery/1/1/voltage",
                   constant(2.25, 11),
                   5'000,
                   {2.25, 2.25, 2.25}},
        FilterCase{"change of one count (1 mV) is stored",
                   "battery/1/1/voltage",
                   {{2.25}, {2.251}, {2.251}, {2.25}},
                   30'000,
                   {2.25, 2.251, 2.25}},
        FilterCase{"noise under the resolution is not stored",
                   "battery/1/1/voltage",
                   {{2.25}, {2.2504}, {2.2496}, {2.25}},
                   30'000,
                   {2.25}},
        FilterCase{"derived values are stored at their resolution (SOC 0.1 %)",
                   "battery/1/1/soc",
                   {{99.99979988055553}, {99.9999}, {99.94}, {99.86}},
                   30'000,
                   {100.0, 99.9}},
        FilterCase{"string voltage at 0.01 V",
                   "string/1/voltage",
                   join(constant(548.43, 3), {{548.4300000000001}, {548.44}}),
                   30'000,
                   {548.43, 548.44}},
        FilterCase{"a quality change is stored even without a value change",
                   "string/1/current",
                   {{10.0}, {10.0, Quality::stale}, {10.0, Quality::stale}, {10.0}},
                   30'000,
                   {10.0, kNotOk, 10.0}},
        FilterCase{"unknown resolution: every change counts",
                   "bench/x/value",
                   {{1.0}, {1.0000001}, {1.0000001}},
                   30'000,
                   {1.0, 1.0000001}},
        FilterCase{"a state (resolution 1)",
                   "string/1/state",
                   {{0}, {0}, {2}, {2}, {0}},
                   30'000,
                   {0.0, 2.0, 0.0}}),
    [](const ::testing::TestParamInfo<FilterCase>& info) {
      return "case" + std::to_string(info.index);
    });

}  // namespace
}  // namespace btms::history
