#include "web/api_handlers.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

namespace btms::web {
namespace {

std::shared_ptr<model::SnapshotPublisher> publish(std::shared_ptr<model::ChannelDirectory> dir,
                                                  std::vector<model::Sample> samples) {
  auto snap = std::make_shared<model::Snapshot>();
  snap->channels = std::move(dir);
  snap->samples = std::move(samples);
  snap->sequence = 7;
  snap->time_ms = 1000;
  auto pub = std::make_shared<model::SnapshotPublisher>();
  pub->publish(snap);
  return pub;
}

TEST(LiveJson, ValidJsonForOddNamesUnitsAndValues) {
  auto dir = std::make_shared<model::ChannelDirectory>();
  dir->add("a/quote", "\"q\"\\");
  dir->add("a/ctrl", std::string("x\x01y"));
  dir->add("a/ohm", "mΩ");
  dir->add("a/big", "");
  dir->add("a/nan", "V");
  ApiContext ctx;
  ctx.plant = publish(dir, {{1.5, 900, model::Quality::ok},
                            {-2.25, 900, model::Quality::stale},
                            {0.1, 900, model::Quality::invalid},
                            {1e20, 900, model::Quality::ok},
                            {std::nan(""), 900, model::Quality::comm_lost}});
  const auto j = nlohmann::json::parse(live_json(ctx, ""));
  EXPECT_EQ(j["sequence"], 7);
  EXPECT_EQ(j["time_ms"], 1000);
  EXPECT_TRUE(j["derived_sequence"].is_null());
  const auto& ch = j["channels"];
  EXPECT_EQ(ch["a/quote"]["unit"], "\"q\"\\");
  EXPECT_EQ(ch["a/ctrl"]["unit"], std::string("x\x01y"));
  EXPECT_EQ(ch["a/ohm"]["unit"], "mΩ");
  EXPECT_DOUBLE_EQ(ch["a/big"]["value"].get<double>(), 1e20);
  EXPECT_DOUBLE_EQ(ch["a/quote"]["value"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(ch["a/ctrl"]["value"].get<double>(), -2.25);
  EXPECT_TRUE(ch["a/nan"]["value"].is_null());
  EXPECT_EQ(ch["a/nan"]["quality"], "comm_lost");
  EXPECT_EQ(ch["a/ctrl"]["quality"], "stale");
  EXPECT_EQ(ch["a/quote"]["time_ms"], 900);
}

TEST(LiveJson, DerivedAddsChannelsAndNameAppearsOnce) {
  auto plant_dir = std::make_shared<model::ChannelDirectory>();
  plant_dir->add("string/1/voltage", "V");
  auto derived_dir = std::make_shared<model::ChannelDirectory>();
  derived_dir->add("string/1/soc", "%");
  derived_dir->add("string/1/voltage", "V");  // same name: the plant's measurement is kept
  ApiContext ctx;
  ctx.plant = publish(plant_dir, {{540.0, 900, model::Quality::ok}});
  ctx.derived =
      publish(derived_dir, {{80.0, 900, model::Quality::ok}, {1.0, 900, model::Quality::ok}});
  const auto text = live_json(ctx, "string/1/");
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["channels"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["channels"]["string/1/voltage"]["value"].get<double>(), 540.0);
  EXPECT_EQ(text.find("string/1/voltage"), text.rfind("string/1/voltage"));
  EXPECT_EQ(j["derived_sequence"], 7);
}

}  // namespace
}  // namespace btms::web
