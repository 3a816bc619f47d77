#include "web/api_handlers.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "operator_fakes.hpp"

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

// Issue 17 item 7: history that cannot write made no difference to /api/v1/health.
class FailingHistory : public operator_test::MemoryHistory {
 public:
  std::string write_failure() const override { return failure; }
  std::string failure;
};

TEST(HealthJson, HistoryWriteFailureIsNotOk) {
  auto dir = std::make_shared<model::ChannelDirectory>();
  dir->add("string/1/voltage", "V");
  ApiContext ctx;
  auto snap = std::make_shared<model::Snapshot>();
  snap->channels = dir;
  snap->samples = {{540.0, unix_now_ms(), model::Quality::ok}};
  snap->time_ms = unix_now_ms();  // fresh: status "ok" unless something else is wrong
  auto publisher = std::make_shared<model::SnapshotPublisher>();
  publisher->publish(snap);
  ctx.plant = publisher;
  auto history = std::make_shared<FailingHistory>();
  ctx.history = history;
  auto healthy = nlohmann::json::parse(health_json(ctx));
  EXPECT_EQ(healthy["status"], "ok");
  EXPECT_EQ(healthy["history"]["ok"], true);
  history->failure = "sqlite: database or disk is full";
  auto failing = nlohmann::json::parse(health_json(ctx));
  EXPECT_EQ(failing["status"], "degraded");
  EXPECT_EQ(failing["history"]["ok"], false);
  EXPECT_EQ(failing["history"]["write_failure"], "sqlite: database or disk is full");
}

// Numbers at the sensor's resolution: each row is (channel, value as computed, text served).
TEST(LiveJson, NumbersAtTheChannelsResolution) {
  struct Row {
    const char* channel;
    double value;
    const char* text;
  };
  const Row rows[] = {
      {"string/1/voltage", 548.4300000000001, "548.43"},    // 0.01 V
      {"string/1/current", -12.000000000000002, "-12"},     // 0.01 A
      {"battery/1/1/voltage", 2.2500000000000004, "2.25"},  // 1 mV
      {"battery/1/1/voltage", 0.1 + 0.2, "0.3"},
      {"battery/1/1/temperature", 24.950000000000003, "25"},     // 0.1 °C, rounded half away
      {"battery/1/1/resistance", 0.35100000000000003, "0.351"},  // 1 µΩ in mΩ
      {"battery/1/1/soc", 99.94999, "99.9"},                     // SOC at 0.1 %
      {"string/1/state", 2.0, "2"},
      {"string/1/current", -0.001, "0"},                     // not "-0"
      {"bus/a/cycle_ms", 0.1 + 0.2, "0.30000000000000004"},  // unknown resolution: exact
  };
  for (const auto& row : rows) {
    std::string out;
    auto dir = std::make_shared<model::ChannelDirectory>();
    dir->add(row.channel, "");
    append_number(out, row.value, dir->info(0).resolution);
    EXPECT_EQ(out, row.text) << row.channel << " " << row.value;
    ApiContext ctx;
    ctx.plant = publish(dir, {{row.value, 900, model::Quality::ok}});
    const auto live = live_json(ctx, "");
    EXPECT_NE(live.find(std::string("\"value\":") + row.text + ","), std::string::npos) << live;
  }
}

}  // namespace
}  // namespace btms::web
