#include "model/plant_channels.hpp"

#include <gtest/gtest.h>

#include "model/config/demo_site.hpp"

namespace btms::model {
namespace {

TEST(PlantChannels, DemoSiteCounts) {
  const auto site = demo_site();
  const auto pc = build_plant_channels(site);
  const auto& dir = *pc.directory;
  // Per string 4 + 4 per battery; per TH 2; MC 16 inputs + 16 relays; LC 16 + 16; watchdog 1.
  const std::size_t expected = 4 * (4 + 40 * 4) + 4 * 2 + 32 + 32 + 1;
  EXPECT_EQ(dir.size(), expected);
  ASSERT_EQ(pc.strings.size(), 4u);
  EXPECT_EQ(pc.strings[2].batteries.size(), 40u);
  EXPECT_EQ(pc.ambients.size(), 4u);
  ASSERT_EQ(pc.io.size(), 2u);
  EXPECT_EQ(pc.io[1].lc, 1);
  EXPECT_EQ(pc.io[1].inputs.size(), 16u);
  EXPECT_EQ(dir.with_prefix("battery/").size(), 4u * 40u * 4u);
  EXPECT_EQ(dir.with_prefix("string/").size(), 16u);
}

TEST(PlantChannels, NamesMatchIds) {
  const auto pc = build_plant_channels(demo_site());
  const auto& dir = *pc.directory;
  const auto* s3 = pc.find_string(3);
  ASSERT_NE(s3, nullptr);
  EXPECT_EQ(dir.info(s3->batteries[16].voltage).name, "battery/3/17/voltage");
  EXPECT_EQ(dir.info(s3->batteries[16].voltage).unit, "V");
  EXPECT_EQ(dir.info(s3->batteries[16].resistance).name, "battery/3/17/resistance");
  EXPECT_EQ(dir.info(s3->current).name, "string/3/current");
  EXPECT_EQ(dir.info(pc.ambients[1].humidity).name, "ambient/2/humidity");
  EXPECT_EQ(dir.info(pc.io[0].outputs[3]).name, "mc/relay/4");
  EXPECT_EQ(dir.info(pc.io[1].outputs[0]).name, "lc/1/output/1");
  EXPECT_EQ(dir.info(pc.mc_watchdog_tripped).name, "mc/watchdog_tripped");
  EXPECT_EQ(dir.find("battery/4/40/temperature"),
            s3 ? pc.find_string(4)->batteries[39].temperature : 0);
  EXPECT_FALSE(dir.find("battery/4/41/temperature").has_value());
  EXPECT_EQ(pc.find_string(5), nullptr);
}

TEST(PlantChannels, NoMcMeansNoIoChannels) {
  auto site = demo_site();
  site.mc = MasterController{};
  const auto pc = build_plant_channels(site);
  EXPECT_TRUE(pc.ambients.empty());
  EXPECT_TRUE(pc.io.empty());
  EXPECT_FALSE(pc.directory->find("mc/watchdog_tripped").has_value());
}

}  // namespace
}  // namespace btms::model
