// The site's cloud link end to end: a `btms demo` gateway, a `btms aggregator` whose site file
// has a [cloud] table pointing at a real mosquitto on a free loopback port, and a real
// subscriber: the gateway's status and string summaries arrive under the site's prefix, and
// the gateway killed arrives as the site event gateway_offline on <prefix>/event; a gateway's
// event made while the aggregator was stopped reaches the broker once it is back.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "mqtt_test_broker.hpp"
#include "process.hpp"

namespace btms::aggregator {
namespace {

using e2e::ChildProcess;
using e2e::TempFolder;
using nlohmann::json;

constexpr const char* kUrlPattern = R"(http://127\.0\.0\.1:(\d+)/)";
const std::string kPrefix = "btms/test-dc/site";

// The newest message on topic parsed, or null.
json newest(const std::vector<cloud::test::ReceivedMessage>& messages, const std::string& topic) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->topic == topic) return json::parse(it->payload, nullptr, false);
  }
  return json();
}

// A real mosquitto and a subscriber to everything, one `btms demo` gateway with a token for the
// aggregator, and the site file naming it with a [cloud] table pointing at the broker.
class SiteCloudLink : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(sub.wait_connected(std::chrono::seconds(5))); }

  // The gateway (with `extra` arguments, e.g. a scenario) and the site file; the aggregator's
  // data folder is made.
  void start_gateway_and_site_file(const std::vector<std::string>& extra = {}) {
    const auto gw_dir = folder.path() + "/gw1";
    ChildProcess add(
        {BTMS_BINARY, "token", "add", "agg", "--role", "operator", "--data-dir", gw_dir});
    const auto token = add.read_line(10'000);
    ASSERT_EQ(token.rfind("btms_", 0), 0U) << token;
    std::ofstream(folder.path() + "/gw1.token") << token << "\n";
    std::vector<std::string> argv{BTMS_BINARY,    "demo", "--port",     "0",
                                  "--scada-port", "0",    "--data-dir", gw_dir};
    argv.insert(argv.end(), extra.begin(), extra.end());
    gateway = std::make_unique<ChildProcess>(argv);
    gw_port = e2e::wait_for_port(*gateway, kUrlPattern);
    ASSERT_GT(gw_port, 0);
    std::ofstream(folder.path() + "/site.toml")
        << "[site]\nname = \"Test DC\"\n\n[[gateway]]\nname = \"gw1\"\nurl = "
           "\"http://127.0.0.1:"
        << gw_port << "\"\ntoken_file = \"gw1.token\"\n\n[cloud]\nbroker = \"mqtt://127.0.0.1:"
        << broker.port() << "\"\nsummary_interval_s = 2\n";
    std::filesystem::create_directories(folder.path() + "/agg");
  }

  TempFolder folder;
  cloud::test::MosquittoBroker broker{folder.path(), {}};
  cloud::test::Subscriber sub{broker.port(), "btms/#"};
  std::unique_ptr<ChildProcess> gateway;
  int gw_port = 0;
};

TEST_F(SiteCloudLink, GatewaySummariesAndTheSiteEventsReachTheBroker) {
  start_gateway_and_site_file();
  if (HasFatalFailure()) return;
  ChildProcess aggregator({BTMS_BINARY, "aggregator", "--config", folder.path() + "/site.toml",
                           "--port", "0", "--data-dir", folder.path() + "/agg"});
  ASSERT_GT(e2e::wait_for_port(aggregator, kUrlPattern), 0);

  const auto summary_topic = kPrefix + "/gateway/gw1/string/1/summary";
  const auto status_topic = kPrefix + "/gateway/gw1/status";
  ASSERT_TRUE(sub.wait_for(
      [&](const std::vector<cloud::test::ReceivedMessage>& messages) {
        const auto s = newest(messages, summary_topic);
        const auto g = newest(messages, status_topic);
        return s.is_object() && s["channels"].contains("voltage") &&
               s["channels"]["voltage"]["quality"] == "ok" && g.is_object() &&
               g["state"] == "online";
      },
      std::chrono::seconds(20)))
      << sub.messages().size() << " messages";
  auto messages = sub.messages();
  const auto summary = newest(messages, summary_topic);
  EXPECT_EQ(summary["gateway"], "gw1");
  EXPECT_EQ(summary["fresh"], true);
  EXPECT_TRUE(summary["channels"]["voltage"]["value"].is_number()) << summary.dump();
  EXPECT_GT(summary["channels"]["voltage"]["time_ms"].get<std::int64_t>(), 0);
  EXPECT_TRUE(summary.contains("mid"));  // through the outbox
  const auto status = newest(messages, status_topic);
  EXPECT_EQ(status["fresh"], true);
  EXPECT_GT(status["string_count"].get<int>(), 0);
  bool online_said = false;
  for (const auto& m : messages)
    online_said |= m.topic == kPrefix + "/status" && m.payload == "online";
  EXPECT_TRUE(online_said);

  // The gateway killed: the aggregator's own site event, then the gateway's status offline.
  ::kill(gateway->pid(), SIGKILL);
  EXPECT_TRUE(sub.wait_for(
      [&](const std::vector<cloud::test::ReceivedMessage>& all) {
        for (const auto& m : all) {
          if (m.topic != kPrefix + "/event") continue;
          const auto e = json::parse(m.payload, nullptr, false);
          if (e.is_object() && e["rule"] == "gateway_offline" && e["kind"] == "alarm_raised" &&
              e["source"].get<std::string>().starts_with("gw1"))
            return true;
        }
        return false;
      },
      std::chrono::seconds(10)))
      << "no gateway_offline event";
  EXPECT_TRUE(sub.wait_for(
      [&](const std::vector<cloud::test::ReceivedMessage>& all) {
        const auto g = newest(all, status_topic);
        const auto s = newest(all, summary_topic);
        return g.is_object() && g["fresh"] == false && s.is_object() &&
               s["channels"]["voltage"]["quality"] == "stale";
      },
      std::chrono::seconds(10)));

  // A clean stop says "offline" (retained).
  EXPECT_EQ(aggregator.interrupt_and_wait(10'000), 0);
  EXPECT_TRUE(sub.wait_for(
      [&](const std::vector<cloud::test::ReceivedMessage>& all) {
        return !all.empty() && all.back().topic == kPrefix + "/status" &&
               all.back().payload == "offline";
      },
      std::chrono::seconds(5)));
}

// What a gateway made while the aggregator was down is caught up when it starts again: its
// place in each gateway's events is kept in its data folder. The gateway's door opens while the
// aggregator is stopped; the restarted aggregator's cloud link sends the door's event, once.
TEST_F(SiteCloudLink, ARestartedAggregatorCatchesUpWhatTheGatewayMadeWhileItWasDown) {
  // Late enough that the aggregator is up and stopped again before it opens, also on a loaded
  // machine.
  constexpr int door_open_s = 30;
  std::ofstream(folder.path() + "/door.toml")
      << "[[event]]\nat_s = " << door_open_s
      << "\ntype = \"input_change\"\npoint = \"mc:5\"\nvalue = true\n";
  start_gateway_and_site_file({"--scenario", folder.path() + "/door.toml"});
  if (HasFatalFailure()) return;
  const auto agg_dir = folder.path() + "/agg";
  const std::vector<std::string> agg_argv{
      BTMS_BINARY, "aggregator", "--config",   folder.path() + "/site.toml",
      "--port",    "0",          "--data-dir", agg_dir};
  const auto door_events = [](const std::vector<cloud::test::ReceivedMessage>& all) {
    int n = 0;
    for (const auto& m : all) {
      if (m.topic != kPrefix + "/event") continue;
      const auto e = json::parse(m.payload, nullptr, false);
      if (e.is_object() && e["kind"] == "alarm_raised" && e["source"] == "gw1/mc/input/5") ++n;
    }
    return n;
  };
  const auto status_topic = kPrefix + "/gateway/gw1/status";
  {
    ChildProcess aggregator(agg_argv);
    ASSERT_GT(e2e::wait_for_port(aggregator, kUrlPattern), 0);
    ASSERT_TRUE(sub.wait_for(
        [&](const std::vector<cloud::test::ReceivedMessage>& messages) {
          const auto g = newest(messages, status_topic);
          return g.is_object() && g["state"] == "online" && g["fresh"] == true;
        },
        std::chrono::seconds(20)))
        << "gateway 1 never online at the site";
    EXPECT_EQ(aggregator.interrupt_and_wait(10'000), 0);
  }
  EXPECT_TRUE(std::filesystem::exists(agg_dir + "/event-cursor-gw1.json"));
  ASSERT_EQ(door_events(sub.messages()), 0)
      << "the door opened before the aggregator stopped: start-up took over " << door_open_s
      << " s";

  // The door opens while the aggregator is down: seen on the gateway's own API.
  const auto door_at_gateway = [&] {
    const auto r = e2e::http_get(gw_port, "/api/v1/alarms");
    return r.status == 200 && r.body.find("mc/input/5") != std::string::npos;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(door_open_s + 20);
  while (!door_at_gateway() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(door_at_gateway()) << "gateway 1 never listed its door alarm";

  ChildProcess again(agg_argv);
  ASSERT_GT(e2e::wait_for_port(again, kUrlPattern), 0);
  EXPECT_TRUE(sub.wait_for(
      [&](const std::vector<cloud::test::ReceivedMessage>& all) { return door_events(all) > 0; },
      std::chrono::seconds(20)))
      << "the door's event, made while the aggregator was down, never reached the cloud";
  // Once: a few more seconds bring no repeat.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(door_events(sub.messages()), 1);
  EXPECT_EQ(again.interrupt_and_wait(10'000), 0);
}

}  // namespace
}  // namespace btms::aggregator
