// Home Assistant discovery against a real mosquitto broker: the config messages arrive retained
// with the device classes and units Home Assistant needs, point at the JSON tree's topics, and
// the configs of a string taken out of the site are deleted at the next start.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "cloud/cloud_link.hpp"
#include "cloud/home_assistant_discovery.hpp"
#include "cloud_fixture.hpp"
#include "link_test_bus.hpp"
#include "mqtt_test_broker.hpp"
#include "process.hpp"

namespace btms::cloud {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using test::Bus;

CloudConfig ha_config(int port) {
  auto config = test::broker_test_config(port);
  config.home_assistant = true;
  return config;
}

// The retained config messages a newly subscribing Home Assistant gets, by topic (non-empty).
std::map<std::string, json> retained_configs(int port, const std::string& client_id,
                                             std::size_t expected) {
  test::Subscriber sub(port, "homeassistant/#", client_id);
  EXPECT_TRUE(sub.wait_connected(5s));
  sub.wait_for([&](const auto& m) { return m.size() >= expected; }, 10s);
  std::this_thread::sleep_for(300ms);  // nothing more may come
  std::map<std::string, json> out;
  for (const auto& m : sub.messages()) {
    EXPECT_TRUE(m.retained) << m.topic;
    if (!m.payload.empty()) out[m.topic] = json::parse(m.payload);
  }
  return out;
}

// Runs the link on `site` until the outbox is empty (everything acknowledged), then stops it.
void run_link_once(int port, const model::Site& site, const std::string& outbox) {
  Bus bus;
  CloudLink link(ha_config(port), site, bus.sources(), outbox, model::system_clock());
  link.start();
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!(link.health().connected && link.health().outbox.rows == 0) &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(link.health().outbox.rows, 0);
  link.stop();
}

TEST(HomeAssistantBroker, ConfigsArriveRetainedWithClassesAndUnitsAndGoWithTheirString) {
  e2e::TempFolder folder;
  test::MosquittoBroker broker(folder.path(), {});
  const auto outbox = folder.path() + "/outbox.db";
  const auto two_strings = test::make_site(2, 3);
  run_link_once(broker.port(), two_strings, outbox);

  // 1 link + UPS 1 (current, strings in error, alarm) + per string 4 sensors + 1 alarm + 3
  // batteries x 5 sensors.
  const std::size_t expected = 1 + 3 + 2 * (5 + 3 * 5);
  auto configs = retained_configs(broker.port(), "ha-1", expected);
  ASSERT_EQ(configs.size(), expected);

  const auto& voltage = configs.at("homeassistant/sensor/btms_dc1_gw1/battery_2_3_voltage/config");
  EXPECT_EQ(voltage["device_class"], "voltage");
  EXPECT_EQ(voltage["unit_of_measurement"], "V");
  EXPECT_EQ(voltage["state_class"], "measurement");
  EXPECT_EQ(voltage["state_topic"], "btms/dc1/gw1/string/2/battery/3");
  EXPECT_EQ(voltage["availability_topic"], "btms/dc1/gw1/status");
  EXPECT_EQ(voltage["unique_id"], "btms_dc1_gw1_battery_2_3_voltage");
  EXPECT_EQ(voltage["expire_after"], 180);  // 3 x the 60 s battery interval
  EXPECT_EQ(voltage["value_template"],
            "{% if value_json.voltage is defined and value_json.voltage.quality == 'ok' %}"
            "{{ value_json.voltage.value }}{% else %}None{% endif %}");
  EXPECT_EQ(voltage["device"]["identifiers"][0], "btms_dc1_gw1_string_2");
  EXPECT_EQ(voltage["device"]["via_device"], "btms_dc1_gw1_ups_1");
  EXPECT_FALSE(voltage.contains("mid")) << "Home Assistant's schema has no message id";

  const auto& resistance =
      configs.at("homeassistant/sensor/btms_dc1_gw1/battery_1_1_resistance/config");
  EXPECT_FALSE(resistance.contains("device_class")) << "resistance has no class";
  EXPECT_EQ(resistance["unit_of_measurement"], "mΩ");
  const struct {
    const char* object;
    const char* device_class;
    const char* unit;
  } expected_classes[] = {
      {"battery_1_2_temperature", "temperature", "°C"},
      {"battery_1_2_soc", "battery", "%"},
      {"string_1_voltage", "voltage", "V"},
      {"string_1_current", "current", "A"},
      {"string_2_soc", "battery", "%"},
  };
  for (const auto& e : expected_classes) {
    const auto& c =
        configs.at(fmt::format("homeassistant/sensor/btms_dc1_gw1/{}/config", e.object));
    EXPECT_EQ(c["device_class"], e.device_class) << e.object;
    EXPECT_EQ(c["unit_of_measurement"], e.unit) << e.object;
  }
  EXPECT_FALSE(configs.at("homeassistant/sensor/btms_dc1_gw1/battery_1_2_soh/config")
                   .contains("device_class"));
  const auto& summary = configs.at("homeassistant/sensor/btms_dc1_gw1/string_1_current/config");
  EXPECT_EQ(summary["state_topic"], "btms/dc1/gw1/string/1/summary");
  EXPECT_EQ(summary["expire_after"], 30);  // 3 x the 10 s summary interval
  const auto& alarm = configs.at("homeassistant/binary_sensor/btms_dc1_gw1/string_2_alarm/config");
  EXPECT_EQ(alarm["device_class"], "problem");
  EXPECT_EQ(alarm["state_topic"], "btms/dc1/gw1/string/2/summary");
  // The UPS: its own device under the gateway, reading the UPS topic.
  const auto& ups_current = configs.at("homeassistant/sensor/btms_dc1_gw1/ups_1_current/config");
  EXPECT_EQ(ups_current["state_topic"], "btms/dc1/gw1/ups/1");
  EXPECT_EQ(ups_current["device_class"], "current");
  EXPECT_EQ(ups_current["unit_of_measurement"], "A");
  EXPECT_EQ(ups_current["availability_topic"], "btms/dc1/gw1/status");
  EXPECT_EQ(ups_current["device"]["identifiers"][0], "btms_dc1_gw1_ups_1");
  EXPECT_EQ(ups_current["device"]["via_device"], "btms_dc1_gw1");
  const auto& in_error =
      configs.at("homeassistant/sensor/btms_dc1_gw1/ups_1_strings_in_error/config");
  EXPECT_FALSE(in_error.contains("device_class"));
  EXPECT_FALSE(in_error.contains("unit_of_measurement")) << "a count has no unit";
  const auto& ups_alarm = configs.at("homeassistant/binary_sensor/btms_dc1_gw1/ups_1_alarm/config");
  EXPECT_EQ(ups_alarm["device_class"], "problem");
  EXPECT_EQ(ups_alarm["state_topic"], "btms/dc1/gw1/ups/1");
  const auto& link = configs.at("homeassistant/binary_sensor/btms_dc1_gw1/link/config");
  EXPECT_EQ(link["device_class"], "connectivity");
  EXPECT_EQ(link["payload_on"], "online");

  // String 2 leaves the site: its 20 configs are deleted at the next start.
  run_link_once(broker.port(), test::make_site(1, 3), outbox);
  configs = retained_configs(broker.port(), "ha-2", 1 + 3 + 5 + 15);
  EXPECT_EQ(configs.size(), 1u + 3 + 5 + 15);
  for (const auto& [topic, payload] : configs) {
    EXPECT_EQ(topic.find("string_2"), std::string::npos) << topic;
    EXPECT_EQ(topic.find("battery_2_"), std::string::npos) << topic;
  }
}

// Home Assistant (re)starting announces "online" on homeassistant/status: the running link sends
// every config again (a Home Assistant whose broker lost its retained store gets them back).
TEST(HomeAssistantBroker, ConfigsAreSentAgainWhenHomeAssistantAnnouncesOnline) {
  e2e::TempFolder folder;
  test::MosquittoBroker broker(folder.path(), {});
  const auto site = test::make_site(1, 2);
  const std::size_t expected = 1 + 3 + 5 + 2 * 5;
  Bus bus;
  CloudLink link(ha_config(broker.port()), site, bus.sources(), folder.path() + "/outbox.db",
                 model::system_clock());
  link.start();
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!(link.health().connected && link.health().outbox.rows == 0) &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(link.health().outbox.rows, 0);
  test::Subscriber sub(broker.port(), "homeassistant/sensor/#", "ha-live");
  ASSERT_TRUE(sub.wait_connected(5s));
  const std::size_t sensors = expected - 3;  // without the link, UPS and string alarms
  ASSERT_TRUE(sub.wait_for([&](const auto& m) { return m.size() >= sensors; }, 10s));
  EXPECT_EQ(link.health().home_assistant_republished, 0);

  // Another client says "offline" first: nothing is sent for it.
  for (const char* payload : {"offline", "online"}) {
    e2e::ChildProcess pub({"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p",
                           std::to_string(broker.port()), "-q", "1", "-t", "homeassistant/status",
                           "-m", payload});
    pub.read_line(5'000);  // "" once it exits
  }
  ASSERT_TRUE(sub.wait_for([&](const auto& m) { return m.size() >= 2 * sensors; }, 10s));
  std::this_thread::sleep_for(300ms);  // nothing more may come
  const auto messages = sub.messages();
  EXPECT_EQ(messages.size(), 2 * sensors) << "one set for \"online\", none for \"offline\"";
  for (std::size_t i = sensors; i < messages.size(); ++i) {
    EXPECT_FALSE(messages[i].retained) << "delivered live to a subscriber that was there";
    EXPECT_FALSE(json::parse(messages[i].payload).contains("mid")) << messages[i].topic;
  }
  EXPECT_EQ(link.health().home_assistant_republished, 1);
  EXPECT_NE(link.metrics_text().find("btms_cloud_home_assistant_republished_total 1\n"),
            std::string::npos);
  link.stop();
}

TEST(HomeAssistantDiscovery, RemovalsAreTheTopicsNoLongerBuilt) {
  CloudConfig config;
  config.site_id = "dc1";
  config.gateway_id = "gw1";
  const auto before = home_assistant_configs(config, test::make_site(2, 2));
  const auto now = home_assistant_configs(config, test::make_site(2, 1));
  std::vector<std::string> before_topics;
  for (const auto& m : before) before_topics.push_back(m.topic);
  const auto removals = home_assistant_removals(before_topics, now);
  ASSERT_EQ(removals.size(), 2u * 5);  // battery 2 of both strings, five sensors each
  for (const auto& r : removals) {
    EXPECT_TRUE(r.payload.empty());
    EXPECT_TRUE(r.retain);
    EXPECT_NE(r.topic.find("_2_"), std::string::npos) << r.topic;
  }
  EXPECT_TRUE(home_assistant_removals(before_topics, before).empty());
}

}  // namespace
}  // namespace btms::cloud
