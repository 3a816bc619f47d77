// The site's notifier in process, with a recording sender: gateway events fed into the merged
// site event log as the links feed it come out as messages naming the gateway, and the
// aggregator's own gateway-offline alarm is told too. Names from a gateway's topology answer.
#include "aggregator/site_notify.hpp"

#include <gtest/gtest.h>

#include "recording_sender.hpp"
#include "web/history_handlers.hpp"

namespace btms::aggregator {
namespace {

using nlohmann::json;

using notify::test_support::Recorded;
using notify::test_support::RecordingSender;

const json kTopology = json::parse(R"({
  "upses": [{"id": 1, "name": "UPS North", "strings": [1, 2]}],
  "strings": [{"id": 1, "ups_id": 1, "name": "Row A", "batteries": 40},
              {"id": 2, "ups_id": 1, "name": "Row B", "batteries": 40}]})");

TEST(SiteNotify, StringNamesComeFromTheGatewaysTopology) {
  const auto row_b = string_in_topology(kTopology, 2);
  ASSERT_TRUE(row_b);
  EXPECT_EQ(row_b->name, "Row B");
  EXPECT_EQ(row_b->ups_id, 1);
  EXPECT_EQ(row_b->ups_name, "UPS North");
  EXPECT_FALSE(string_in_topology(kTopology, 3));
  EXPECT_FALSE(string_in_topology(json(), 1));  // not read yet
}

TEST(SiteNotify, GatewayAlarmsAndTheOfflineAlarmReachTheRecipient) {
  std::vector<std::unique_ptr<GatewayLink>> links;
  for (const char* name : {"gw1", "gw2"}) {
    GatewayEntry entry;
    entry.name = name;
    entry.url = "http://127.0.0.1:9";  // never started: no topology, names without strings
    links.push_back(std::make_unique<GatewayLink>(entry, model::system_clock(), nullptr));
  }
  SiteEventLog events;
  notify::NotifySettings settings;
  settings.enabled = true;
  settings.routing.group_wait_ms = 0;
  settings.routing.group_interval_ms = 0;  // the recovery at once
  settings.routing.base_url = "http://site.test";
  notify::Recipient ops;
  ops.name = "ops";
  ops.channel = notify::ChannelKind::webhook;
  ops.address = "http://unused";
  settings.recipients = {ops};
  auto recorded = std::make_shared<Recorded>();
  auto notifier = make_site_notifier(
      settings, "Test DC", links, events, {}, model::system_clock(),
      [recorded](const notify::Recipient&) { return std::make_unique<RecordingSender>(recorded); });
  notifier->start();

  model::Event raised;
  raised.id = 77;
  raised.time_ms = model::system_clock()->now_ms();
  raised.kind = model::EventKind::alarm_raised;
  raised.severity = model::Severity::alarm;
  raised.source = "battery/2/7";
  raised.rule = "battery_voltage_high";
  raised.text = "Battery 2/7 voltage 14.620 V above high limit 14.400 V";
  raised.value = 14.62;
  const auto written = json::parse(web::events_json({raised}, web::EventsQuery{}));
  ASSERT_TRUE(events.add_gateway_event("gw2", written.at("events").at(0)));
  ASSERT_TRUE(recorded->wait_for(1));
  {
    std::lock_guard lock(recorded->mutex);
    const auto& n = recorded->sent[0];
    EXPECT_EQ(n.group, "gw2/string/2");
    ASSERT_EQ(n.alarms.size(), 1u);
    EXPECT_EQ(n.alarms[0].source, "gw2/battery/2/7");
    EXPECT_NE(n.subject.find("gw2 / String 2"), std::string::npos) << n.subject;
    EXPECT_NE(n.text.find("http://site.test/#/gw/gw2/battery/2/7"), std::string::npos) << n.text;
  }

  events.gateway_offline("gw1", model::system_clock()->now_ms(), "connection refused");
  ASSERT_TRUE(recorded->wait_for(2));
  {
    std::lock_guard lock(recorded->mutex);
    const auto& n = recorded->sent[1];
    EXPECT_EQ(n.group, "gw1");
    ASSERT_EQ(n.alarms.size(), 1u);
    EXPECT_EQ(n.alarms[0].key, "gw1:gateway_offline");
    EXPECT_NE(n.subject.find("Gateway gw1"), std::string::npos) << n.subject;
  }
  events.gateway_online("gw1", model::system_clock()->now_ms());
  ASSERT_TRUE(recorded->wait_for(3));
  {
    std::lock_guard lock(recorded->mutex);
    EXPECT_EQ(recorded->sent[2].reason, notify::Reason::recovery);
    EXPECT_EQ(recorded->sent[2].group, "gw1");
  }
  notifier->stop();
}

}  // namespace
}  // namespace btms::aggregator
