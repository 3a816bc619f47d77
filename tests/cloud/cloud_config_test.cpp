#include "cloud/cloud_config.hpp"

#include <gtest/gtest.h>

namespace btms::cloud {
namespace {

TEST(BrokerUrl, AcceptsPlainAndTlsWithDefaultPorts) {
  struct Case {
    const char* url;
    const char* host;
    int port;
    bool tls;
  };
  for (const auto& c : {Case{"mqtt://broker.local", "broker.local", 1883, false},
                        Case{"mqtt://127.0.0.1:18830", "127.0.0.1", 18830, false},
                        Case{"mqtts://broker.example.com", "broker.example.com", 8883, true},
                        Case{"mqtts://10.0.0.5:9000/", "10.0.0.5", 9000, true},
                        Case{"mqtt://[::1]:1884", "::1", 1884, false}}) {
    std::string error;
    const auto address = parse_broker_url(c.url, &error);
    ASSERT_TRUE(address) << c.url << ": " << error;
    EXPECT_EQ(address->host, c.host) << c.url;
    EXPECT_EQ(address->port, c.port) << c.url;
    EXPECT_EQ(address->tls, c.tls) << c.url;
  }
}

TEST(BrokerUrl, RefusesWhatIsNoBrokerAddress) {
  for (const char* url : {"http://broker:1883", "broker:1883", "mqtt://", "mqtt://:1883",
                          "mqtt://host:0", "mqtt://host:65536", "mqtt://host:12a",
                          "mqtt://user@host", "mqtt://[::1", "mqtt://host/path"}) {
    std::string error;
    EXPECT_FALSE(parse_broker_url(url, &error)) << url;
    EXPECT_FALSE(error.empty()) << url;
  }
}

TEST(CloudTable, AbsentTableLeavesTheLinkOff) {
  CloudConfig config;
  EXPECT_TRUE(read_cloud_table("[site]\nname = \"x\"\n", "Room A", config).empty());
  EXPECT_FALSE(config.enabled);
  EXPECT_EQ(config.site_id, "room-a");
}

TEST(CloudTable, ReadsEverySetting) {
  CloudConfig config;
  const auto problems = read_cloud_table(R"([cloud]
broker = "mqtts://mq.example.com:8884"
site_id = "dc-1"
gateway_id = "gw_7"
client_id = "gw7"
username = "btms"
password = "secret"
ca_file = "/etc/btms/ca.pem"
cert_file = "/etc/btms/gw.pem"
key_file = "/etc/btms/gw.key"
keepalive_s = 20
reconnect_min_ms = 500
reconnect_max_ms = 30000
battery_interval_s = 120
summary_interval_s = 5
deadband_voltage_V = 0.02
deadband_temperature_C = 1
deadband_resistance_mOhm = 0.1
deadband_percent = 2.0
outbox_max_rows = 5000
outbox_max_mb = 64
outbox_max_age_h = 48
backlog_messages_per_s = 50
max_in_flight = 10
format = "json"
)",
                                         "Site", config);
  EXPECT_TRUE(problems.empty()) << problems.front().key << ": " << problems.front().reason;
  EXPECT_TRUE(config.enabled);
  EXPECT_EQ(config.broker.host, "mq.example.com");
  EXPECT_EQ(config.broker.port, 8884);
  EXPECT_TRUE(config.broker.tls);
  EXPECT_EQ(config.site_id, "dc-1");
  EXPECT_EQ(config.gateway_id, "gw_7");
  EXPECT_EQ(config.client_id, "gw7");
  EXPECT_EQ(config.username, "btms");
  EXPECT_EQ(config.password, "secret");
  EXPECT_EQ(config.ca_file, "/etc/btms/ca.pem");
  EXPECT_EQ(config.keepalive_s, 20);
  EXPECT_EQ(config.reconnect_min_ms, 500);
  EXPECT_EQ(config.reconnect_max_ms, 30000);
  EXPECT_EQ(config.battery_interval_s, 120);
  EXPECT_EQ(config.summary_interval_s, 5);
  EXPECT_DOUBLE_EQ(config.deadband_voltage_V, 0.02);
  EXPECT_DOUBLE_EQ(config.deadband_temperature_C, 1.0);
  EXPECT_DOUBLE_EQ(config.deadband_resistance_mOhm, 0.1);
  EXPECT_DOUBLE_EQ(config.deadband_percent, 2.0);
  EXPECT_EQ(config.outbox.max_rows, 5000);
  EXPECT_EQ(config.outbox.max_bytes, 64LL * 1024 * 1024);
  EXPECT_EQ(config.outbox.max_age_ms, 48LL * 3600 * 1000);
  EXPECT_EQ(config.backlog_messages_per_s, 50);
  EXPECT_EQ(config.max_in_flight, 10);
}

// Every bad value is refused with its line and key.
TEST(CloudTable, RefusesBadValuesWithLineAndKey) {
  struct Case {
    const char* body;
    const char* key;
    const char* reason_part;
  };
  for (const auto& c : {
           Case{"broker = \"http://x\"", "cloud.broker", "mqtt://"},
           Case{"broker = 5", "cloud.broker", "expected a string"},
           Case{"broker = \"mqtt://x\"\nsite_id = \"a/b\"", "cloud.site_id", "one topic level"},
           Case{"broker = \"mqtt://x\"\ngateway_id = \"#\"", "cloud.gateway_id", "topic level"},
           Case{"broker = \"mqtt://x\"\nkeepalive_s = 1", "cloud.keepalive_s", "between 5"},
           Case{"broker = \"mqtt://x\"\nkeepalive_s = \"30\"", "cloud.keepalive_s",
                "expected an integer"},
           Case{"broker = \"mqtt://x\"\nreconnect_min_ms = 5000\nreconnect_max_ms = 1000",
                "cloud.reconnect_max_ms", "not be less"},
           Case{"broker = \"mqtt://x\"\ndeadband_voltage_V = -1", "cloud.deadband_voltage_V",
                "between 0"},
           Case{"broker = \"mqtt://x\"\noutbox_max_rows = 10", "cloud.outbox_max_rows",
                "between 100"},
           Case{"broker = \"mqtt://x\"\ncert_file = \"a.pem\"", "cloud.cert_file", "key_file"},
           Case{"broker = \"mqtt://x\"\nformat = \"xml\"", "cloud.format",
                "\"json\" or \"sparkplug\""},
           Case{"broker = \"mqtt://x\"\nbrokr = \"mqtt://y\"", "cloud.brokr", "unknown key"},
           Case{"enabled = true", "cloud.broker", "required"},
       }) {
    CloudConfig config;
    const auto text = std::string("[site]\nname = \"s\"\n\n[cloud]\n") + c.body + "\n";
    const auto problems = read_cloud_table(text, "s", config);
    ASSERT_EQ(problems.size(), 1u) << c.body;
    EXPECT_EQ(problems[0].key, c.key) << c.body;
    EXPECT_NE(problems[0].reason.find(c.reason_part), std::string::npos)
        << c.body << " -> " << problems[0].reason;
    EXPECT_GE(problems[0].line, 4) << c.body;
  }
}

TEST(CloudTable, DisabledTableNeedsNoBroker) {
  CloudConfig config;
  EXPECT_TRUE(read_cloud_table("[cloud]\nenabled = false\n", "s", config).empty());
  EXPECT_FALSE(config.enabled);
}

TEST(CloudConfigLoading, CommandLineUrlEnablesAndOverrides) {
  std::vector<std::string> errors;
  const auto config = load_cloud_config("", "My Site", "mqtt://127.0.0.1:1999", &errors);
  ASSERT_TRUE(config);
  EXPECT_TRUE(config->enabled);
  EXPECT_EQ(config->broker.port, 1999);
  EXPECT_EQ(config->site_id, "my-site");
  EXPECT_EQ(config->client_id, "btms-my-site-gateway");
  EXPECT_FALSE(load_cloud_config("", "s", "tcp://x", &errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.back().rfind("--mqtt: ", 0), 0u);
}

TEST(TopicLevel, FromSiteNames) {
  EXPECT_EQ(topic_level_from_name("Battery Room A"), "battery-room-a");
  EXPECT_EQ(topic_level_from_name("  DC/1 + #2 "), "dc-1-2");
  EXPECT_EQ(topic_level_from_name("///"), "site");
  EXPECT_TRUE(is_valid_topic_level("dc_1-a"));
  EXPECT_FALSE(is_valid_topic_level(""));
  EXPECT_FALSE(is_valid_topic_level("a+b"));
}

}  // namespace
}  // namespace btms::cloud

namespace btms::cloud {
namespace {

TEST(CloudTable, HomeAssistantDiscoveryIsOffUnlessAskedAndItsPrefixIsOneTopicLevel) {
  CloudConfig config;
  EXPECT_TRUE(read_cloud_table("[cloud]\nbroker = \"mqtt://h\"\n", "A", config).empty());
  EXPECT_FALSE(config.home_assistant);
  EXPECT_EQ(config.home_assistant_prefix, "homeassistant");
  EXPECT_TRUE(read_cloud_table(
                  "[cloud]\nbroker = \"mqtt://h\"\nhome_assistant = true\nhome_assistant_prefix "
                  "= \"ha-test\"\n",
                  "A", config)
                  .empty());
  EXPECT_TRUE(config.home_assistant);
  EXPECT_EQ(config.home_assistant_prefix, "ha-test");
  for (const char* bad : {"home_assistant = \"yes\"", "home_assistant_prefix = \"a/b\"",
                          "home_assistant_prefix = \"\"", "home_assistant_prefix = \"#\""}) {
    CloudConfig c;
    const auto problems =
        read_cloud_table(std::string("[cloud]\nbroker = \"mqtt://h\"\n") + bad + "\n", "A", c);
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_EQ(problems[0].line, 3) << bad;
  }
}

}  // namespace
}  // namespace btms::cloud
