// Channel resolutions (from the register map for plant channels, the table for derived ones)
// and the directory's prefix lookup.
#include "model/channel_resolution.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "model/snapshot.hpp"

namespace btms::model {
namespace {

TEST(ChannelResolution, PlantFromRegisterMapDerivedFromTable) {
  const struct {
    const char* name;
    double resolution;
  } rows[] = {
      {"battery/3/17/voltage", 0.001},
      {"battery/3/17/temperature", 0.1},
      {"battery/3/17/resistance", 0.001},
      {"battery/3/17/balancing", 1.0},
      {"string/3/voltage", 0.01},
      {"string/3/current", 0.01},
      {"string/3/insulation_pos", 1.0},
      {"ambient/1/temperature", 0.1},
      {"ambient/1/humidity", 0.1},
      {"mc/input/3", 1.0},
      {"lc/1/output/2", 1.0},
      {"battery/3/17/soc", 0.1},
      {"battery/3/17/alarm_bits", 1.0},
      {"string/3/spread", 0.001},
      {"string/3/runtime", 0.1},
      {"ups/1/voltage", 0.01},
      {"site/active_alarms", 1.0},
      {"bus/rs485-1/cycle_ms", 0.0},
      {"battery/3/17/unknown", 0.0},
      {"nonsense", 0.0},
  };
  for (const auto& row : rows)
    EXPECT_DOUBLE_EQ(channel_resolution(row.name), row.resolution) << row.name;
}

TEST(ChannelResolution, RoundingAndDifferences) {
  EXPECT_EQ(resolution_decimals(0.001), 3);
  EXPECT_EQ(resolution_decimals(0.1), 1);
  EXPECT_EQ(resolution_decimals(1.0), 0);
  EXPECT_EQ(resolution_decimals(0.0), 0);
  EXPECT_EQ(round_to_resolution(548.4300000000001, 0.01), 548.43);
  EXPECT_EQ(round_to_resolution(2.2504, 0.001), 2.25);
  EXPECT_EQ(round_to_resolution(0.1 + 0.2, 0.0), 0.1 + 0.2);
  EXPECT_FALSE(differs_at_resolution(2.2504, 2.2496, 0.001));
  EXPECT_TRUE(differs_at_resolution(2.2504, 2.2506, 0.001));
  EXPECT_TRUE(differs_at_resolution(1.0, 1.0000001, 0.0));
  EXPECT_FALSE(differs_at_resolution(std::nan(""), std::nan(""), 0.1));
  EXPECT_TRUE(differs_at_resolution(1.0, std::nan(""), 0.1));
}

TEST(ChannelDirectory, PrefixLookupIsARangeInDirectoryOrder) {
  ChannelDirectory directory;
  // Added out of name order, as the plant's channels are (string 10 before string 2).
  for (int s : {1, 10, 2})
    for (int b = 1; b <= 3; ++b)
      directory.add("battery/" + std::to_string(s) + "/" + std::to_string(b) + "/voltage", "V");
  directory.add("string/1/voltage", "V");
  const auto one = directory.with_prefix("battery/1/");
  ASSERT_EQ(one.size(), 3u);  // not battery/10/...
  EXPECT_EQ(one, (std::vector<ChannelId>{0, 1, 2}));
  EXPECT_EQ(directory.with_prefix("battery/1").size(), 6u);  // 1 and 10
  EXPECT_EQ(directory.with_prefix("").size(), directory.size());
  const auto all_batteries = directory.with_prefix("battery/");
  EXPECT_TRUE(std::is_sorted(all_batteries.begin(), all_batteries.end()));
  EXPECT_TRUE(directory.with_prefix("zzz").empty());
  EXPECT_EQ(directory.info(0).resolution, 0.001);
  EXPECT_EQ(directory.find("string/1/voltage"), ChannelId{9});
}

}  // namespace
}  // namespace btms::model
