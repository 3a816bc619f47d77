// `btms demo --mqtt mqtt://127.0.0.1:PORT` against a real mosquitto started here: the messages a
// real subscriber receives parse and match the gateway's own /api/v1/live, and /metrics shows the
// link's health. The same for `--mqtt-format sparkplug`, decoded with the generated classes.
#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>
#include <thread>

#include "cloud/sparkplug_b.pb.h"
#include "http_client.hpp"
#include "mqtt_test_broker.hpp"
#include "process.hpp"

namespace btms::cloud {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TEST(CloudDemo, MessagesMatchTheLiveApiAndMetricsShowTheLink) {
  e2e::TempFolder broker_dir;
  e2e::TempFolder data;
  test::MosquittoBroker broker(broker_dir.path(), {});
  test::Subscriber sub(broker.port(), "btms/#", "demo-test-sub");
  ASSERT_TRUE(sub.wait_connected(5s));
  e2e::ChildProcess demo({BTMS_BINARY, "demo", "--port", "0", "--scada-port", "0", "--data-dir",
                          data.path(), "--mqtt",
                          "mqtt://127.0.0.1:" + std::to_string(broker.port())});
  const int port = e2e::wait_for_port(demo, R"(http://127\.0\.0\.1:(\d+)/)");
  ASSERT_GT(port, 0);

  ASSERT_TRUE(sub.wait_for(
      [](const auto& all) {
        for (const auto& m : all)
          if (m.topic.ends_with("/string/2/battery/17")) return true;
        return false;
      },
      30s));
  // The last message of battery 2/17 holds what /api/v1/live holds, within the deadband (a
  // smaller move is not sent) and with the same quality.
  bool matched = false;
  std::string last_problem;
  for (int attempt = 0; attempt < 50 && !matched; ++attempt) {
    json message;
    for (const auto& m : sub.messages())
      if (m.topic.ends_with("/string/2/battery/17")) message = json::parse(m.payload);
    const auto r = e2e::http_get(port, "/api/v1/live?prefix=battery/2/17/");
    ASSERT_EQ(r.status, 200);
    const auto live = json::parse(r.body)["channels"];
    matched = true;
    for (const auto& [field, deadband] : {std::pair<std::string, double>{"voltage", 0.01},
                                          {"temperature", 0.5},
                                          {"resistance", 0.05},
                                          {"soc", 1.0},
                                          {"soh", 1.0}}) {
      const auto& l = live["battery/2/17/" + field];
      const auto& m = message[field];
      if (l["quality"] != m["quality"] ||
          std::abs(l["value"].get<double>() - m["value"].get<double>()) > deadband + 1e-9) {
        matched = false;
        last_problem = field + ": live " + l.dump() + " vs message " + m.dump();
      }
      EXPECT_LE(m["ts"].get<std::int64_t>(), l["time_ms"].get<std::int64_t>());
    }
    if (!matched) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(matched) << last_problem;

  // The retained status is "online".
  bool online = false;
  for (const auto& m : sub.messages())
    online |= m.topic.ends_with("/status") && m.payload == "online";
  EXPECT_TRUE(online);
  const auto metrics = e2e::http_get(port, "/metrics");
  EXPECT_NE(metrics.body.find("btms_cloud_connected 1\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("btms_cloud_outbox_messages "), std::string::npos);
  EXPECT_EQ(demo.interrupt_and_wait(10000), 0);
  // A clean stop leaves "offline" retained.
  ASSERT_TRUE(sub.wait_for(
      [](const auto& all) {
        return !all.empty() && all.back().topic.ends_with("/status") &&
               all.back().payload == "offline";
      },
      5s));
}

// Sparkplug B from the demo: the value of battery 2/17 a host application holds (its DBIRTH,
// then every DDATA by alias) is what /api/v1/live holds, within the deadband, same quality.
TEST(CloudDemo, SparkplugValuesMatchTheLiveApi) {
  e2e::TempFolder broker_dir;
  e2e::TempFolder data;
  test::MosquittoBroker broker(broker_dir.path(), {});
  test::Subscriber sub(broker.port(), "spBv1.0/#", "demo-sparkplug-sub");
  ASSERT_TRUE(sub.wait_connected(5s));
  e2e::ChildProcess demo(
      {BTMS_BINARY, "demo", "--port", "0", "--scada-port", "0", "--data-dir", data.path(), "--mqtt",
       "mqtt://127.0.0.1:" + std::to_string(broker.port()), "--mqtt-format", "sparkplug"});
  const int port = e2e::wait_for_port(demo, R"(http://127\.0\.0\.1:(\d+)/)");
  ASSERT_GT(port, 0);
  const std::string device_suffix = "/gateway/string-2";
  ASSERT_TRUE(sub.wait_for(
      [&](const auto& all) {
        for (const auto& m : all)
          if (m.topic.find("/DBIRTH/") != std::string::npos && m.topic.ends_with(device_suffix))
            return true;
        return false;
      },
      30s));
  struct Held {
    double value = 0;
    std::string quality;
  };
  bool matched = false;
  std::string last_problem;
  for (int attempt = 0; attempt < 50 && !matched; ++attempt) {
    std::map<std::uint64_t, std::string> names;
    std::map<std::string, Held> held;
    for (const auto& m : sub.messages()) {
      if (!m.topic.ends_with(device_suffix)) continue;
      org::eclipse::tahu::protobuf::Payload p;
      ASSERT_TRUE(p.ParseFromString(m.payload)) << m.topic;
      const bool birth = m.topic.find("/DBIRTH/") != std::string::npos;
      for (const auto& metric : p.metrics()) {
        if (birth) names[metric.alias()] = metric.name();
        const auto it = names.find(metric.alias());
        ASSERT_NE(it, names.end()) << "DDATA alias " << metric.alias() << " not in the DBIRTH";
        ASSERT_EQ(metric.properties().keys(0), "quality");
        held[it->second] = {metric.double_value(), metric.properties().values(0).string_value()};
      }
    }
    const auto r = e2e::http_get(port, "/api/v1/live?prefix=battery/2/17/");
    ASSERT_EQ(r.status, 200);
    const auto live = json::parse(r.body)["channels"];
    matched = true;
    for (const auto& [field, deadband] : {std::pair<std::string, double>{"voltage", 0.01},
                                          {"temperature", 0.5},
                                          {"resistance", 0.05},
                                          {"soc", 1.0},
                                          {"soh", 1.0}}) {
      const auto& l = live["battery/2/17/" + field];
      const auto h = held.find("battery/17/" + field);
      if (h == held.end()) {
        matched = false;
        last_problem = "no metric battery/17/" + field;
        continue;
      }
      if (l["quality"] != h->second.quality ||
          std::abs(l["value"].get<double>() - h->second.value) > deadband + 1e-9) {
        matched = false;
        last_problem = field + ": live " + l.dump() + " vs held " +
                       std::to_string(h->second.value) + " " + h->second.quality;
      }
    }
    if (!matched) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(matched) << last_problem;
  EXPECT_EQ(demo.interrupt_and_wait(10000), 0);
  // A clean stop sends the NDEATH itself.
  ASSERT_TRUE(sub.wait_for(
      [](const auto& all) {
        return !all.empty() && all.back().topic.find("/NDEATH/") != std::string::npos;
      },
      5s));
}

}  // namespace
}  // namespace btms::cloud
