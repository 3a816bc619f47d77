// End to end: `btms demo` on free ports, read /api/v1/live, check a battery voltage, stop it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "http_client.hpp"
#include "process.hpp"

using btms::e2e::ChildProcess;
using btms::e2e::http_get;
using btms::e2e::TempFolder;
using btms::e2e::wait_for_port;

TEST(Demo, ServesPlausibleLiveBatteryVoltagesAndStopsCleanly) {
  TempFolder data;
  ChildProcess demo(
      {BTMS_BINARY, "demo", "--port", "0", "--scada-port", "0", "--data-dir", data.path()});
  const int port = wait_for_port(demo, R"(http://127\.0\.0\.1:(\d+)/)");
  ASSERT_GT(port, 0) << "btms demo did not print its web URL";

  // The first poll cycle needs a moment; wait until battery 2/17 has a fresh value.
  nlohmann::json channel;
  for (int i = 0; i < 50; ++i) {
    const auto r = http_get(port, "/api/v1/live?prefix=battery/2/17/");
    if (r.status == 503) {  // no snapshot published yet: the first cycle is still running
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    ASSERT_EQ(r.status, 200) << r.body;
    const auto live = nlohmann::json::parse(r.body);
    const auto& channels = live.at("channels");
    if (channels.contains("battery/2/17/voltage") &&
        channels["battery/2/17/voltage"].at("quality") == "ok") {
      channel = channels["battery/2/17/voltage"];
      for (const auto& [name, value] : channels.items()) {
        EXPECT_TRUE(name.starts_with("battery/2/17/")) << name << " escaped the prefix filter";
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_FALSE(channel.is_null()) << "no fresh voltage for battery/2/17";
  EXPECT_EQ(channel.at("unit"), "V");
  // A 12 V VRLA block on float: 13.5-13.8 V (2.25-2.30 V/cell), allow sensor noise.
  EXPECT_GT(channel.at("value").get<double>(), 13.2);
  EXPECT_LT(channel.at("value").get<double>(), 14.0);
  EXPECT_GT(channel.at("time_ms").get<std::int64_t>(), 0);

  EXPECT_EQ(http_get(port, "/").status, 200);
  EXPECT_EQ(demo.interrupt_and_wait(10000), 0) << "Ctrl-C must stop the demo cleanly";
}

TEST(Demo, RefusesATakenPortClearly) {
  TempFolder data1;
  TempFolder data2;
  ChildProcess first(
      {BTMS_BINARY, "demo", "--port", "0", "--scada-port", "0", "--data-dir", data1.path()});
  const int port = wait_for_port(first, R"(http://127\.0\.0\.1:(\d+)/)");
  ASSERT_GT(port, 0);
  ChildProcess second({BTMS_BINARY, "demo", "--port", std::to_string(port), "--scada-port", "0",
                       "--data-dir", data2.path()});
  // The second one must exit non-zero by itself.
  int status = -1;
  for (int i = 0; i < 100 && status < 0; ++i) {
    int raw = 0;
    if (waitpid(second.pid(), &raw, WNOHANG) == second.pid()) status = WEXITSTATUS(raw);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 1);
}
