#include "cloud/telemetry_tree.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cloud_fixture.hpp"

namespace btms::cloud {
namespace {

using nlohmann::json;

CloudConfig test_config() {
  CloudConfig config;
  config.site_id = "dc1";
  config.gateway_id = "gw1";
  return config;
}

std::vector<OutgoingMessage> with_topic_part(const std::vector<OutgoingMessage>& all,
                                             std::string_view part) {
  std::vector<OutgoingMessage> out;
  for (const auto& m : all)
    if (m.topic.find(part) != std::string::npos) out.push_back(m);
  return out;
}

TEST(TelemetryTree, FirstStepSendsEveryBatteryAndSummaryWithValuesAndQuality) {
  const auto site = test::make_site(2, 3);
  test::BundleMaker maker(site);
  TelemetryTree tree(test_config(), site);
  const auto messages = tree.on_step(*maker.make(1, 1'000'000));
  const auto batteries = with_topic_part(messages, "/battery/");
  const auto summaries = with_topic_part(messages, "/summary");
  ASSERT_EQ(batteries.size(), 6u);
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(batteries[0].topic, "btms/dc1/gw1/string/1/battery/1");
  const auto j = json::parse(batteries[1].payload);
  EXPECT_EQ(j["battery"], "1/2");
  EXPECT_EQ(j["ts"], 1'000'000);
  EXPECT_DOUBLE_EQ(j["voltage"]["value"].get<double>(), 13.07);  // 13 + 0.02 + 0.05
  EXPECT_EQ(j["voltage"]["quality"], "ok");
  EXPECT_EQ(j["voltage"]["ts"], 1'000'000);
  EXPECT_DOUBLE_EQ(j["temperature"]["value"].get<double>(), 25.0);
  EXPECT_DOUBLE_EQ(j["resistance"]["value"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(j["soc"]["value"].get<double>(), 90.0);
  EXPECT_DOUBLE_EQ(j["soh"]["value"].get<double>(), 100.0);
  EXPECT_FALSE(batteries[0].retain);
  EXPECT_EQ(batteries[0].kind, MessageKind::telemetry);
  const auto s = json::parse(summaries[0].payload);
  EXPECT_EQ(s["string"], 1);
  EXPECT_DOUBLE_EQ(s["current"]["value"].get<double>(), 1.5);
  EXPECT_TRUE(s.contains("state"));
  EXPECT_TRUE(s.contains("soc"));
}

// The UPS topic: the UPS's strings together, sent in the steps its strings' summaries go out.
// A string whose status is not fresh makes the UPS's status not fresh (worst quality, oldest ts).
TEST(TelemetryTree, UpsTopicJoinsItsStringsWithTheWorstQuality) {
  auto site = test::make_site(3, 1);
  site.strings[2].ups_id = 2;  // strings 1 and 2 on UPS 1, string 3 on UPS 2
  test::BundleMaker maker(site);
  TelemetryTree tree(test_config(), site);
  const auto with_status = [&](std::int64_t time_ms, double status_1) {
    auto bundle = std::make_shared<engine::StepBundle>(*maker.make(1, time_ms));
    auto derived = std::make_shared<model::Snapshot>(*bundle->derived);
    const auto set = [&](const std::string& name, model::Sample sample) {
      derived->samples[*derived->channels->find(name)] = sample;
    };
    set("string/1/status", {status_1, time_ms, model::Quality::ok});
    set("string/2/status", {2, time_ms, model::Quality::ok});  // error
    set("string/3/status", {1, time_ms - 30'000, model::Quality::stale});
    bundle->derived = derived;
    return bundle;
  };
  const auto upses = with_topic_part(tree.on_step(*with_status(1'000'000, 1)), "/ups/");
  ASSERT_EQ(upses.size(), 2u);
  EXPECT_EQ(upses[0].topic, "btms/dc1/gw1/ups/1");
  EXPECT_FALSE(upses[0].retain);
  const auto u1 = json::parse(upses[0].payload);
  EXPECT_EQ(u1["ups"], 1);
  EXPECT_EQ(u1["strings"], 2);
  EXPECT_EQ(u1["status"]["value"], 2) << "error wins over ok";
  EXPECT_EQ(u1["status"]["quality"], "ok");
  EXPECT_EQ(u1["strings_in_error"]["value"], 1);
  EXPECT_DOUBLE_EQ(u1["current"]["value"].get<double>(), 3.0);  // 1.5 A + 1.5 A
  EXPECT_EQ(u1["current"]["quality"], "ok");
  EXPECT_EQ(upses[1].topic, "btms/dc1/gw1/ups/2");
  const auto u2 = json::parse(upses[1].payload);
  EXPECT_EQ(u2["strings"], 1);
  EXPECT_EQ(u2["status"]["quality"], "stale") << "a stale string is never a fresh UPS";
  EXPECT_EQ(u2["status"]["ts"], 1'000'000 - 30'000);
  EXPECT_EQ(u2["strings_in_error"]["quality"], "stale");
  EXPECT_DOUBLE_EQ(u2["current"]["value"].get<double>(), 1.5);

  // Nothing changed within the summary interval: no UPS message; string 1's status changes:
  // only its UPS goes out again.
  EXPECT_TRUE(with_topic_part(tree.on_step(*with_status(1'001'000, 1)), "/ups/").empty());
  const auto again = with_topic_part(tree.on_step(*with_status(1'002'000, 2)), "/ups/");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].topic, "btms/dc1/gw1/ups/1");
  EXPECT_EQ(json::parse(again[0].payload)["strings_in_error"]["value"], 2);
}

// Deadband and interval, row by row: what changed between two steps -> sent or not.
TEST(TelemetryTree, BatteryDeadbandIntervalAndQualityChange) {
  const auto site = test::make_site(1, 1);
  test::BundleMaker maker(site);
  struct Row {
    const char* what;
    std::uint64_t second_step;    // voltage = 13.01 + 0.05 * (step % 20)
    std::int64_t second_time_ms;  // first step at 0 ms
    model::Quality second_quality;
    bool sent;
  };
  for (const auto& r : {
           Row{"same value, within interval", 20, 59'999, model::Quality::ok, false},
           Row{"same value, interval reached", 20, 60'000, model::Quality::ok, true},
           Row{"beyond the deadband (0.05 V > 0.01 V)", 1, 1'000, model::Quality::ok, true},
           Row{"same value, gone stale", 20, 1'000, model::Quality::stale, true},
           Row{"same value, comm lost", 20, 1'000, model::Quality::comm_lost, true},
       }) {
    TelemetryTree tree(test_config(), site);
    ASSERT_EQ(with_topic_part(tree.on_step(*maker.make(0, 0)), "/battery/").size(), 1u);
    const auto second = with_topic_part(
        tree.on_step(*maker.make(r.second_step, r.second_time_ms, r.second_quality)), "/battery/");
    EXPECT_EQ(second.size(), r.sent ? 1u : 0u) << r.what;
    if (!second.empty() && r.second_quality != model::Quality::ok) {
      // A stale value carries its quality: never sent as fresh.
      const auto j = json::parse(second[0].payload);
      EXPECT_EQ(j["voltage"]["quality"], std::string(model::to_string(r.second_quality))) << r.what;
    }
  }
}

TEST(TelemetryTree, DeadbandIsConfigurable) {
  const auto site = test::make_site(1, 1);
  test::BundleMaker maker(site);
  auto config = test_config();
  config.deadband_voltage_V = 0.1;  // a 0.05 V step is no news now
  TelemetryTree tree(config, site);
  tree.on_step(*maker.make(0, 0));
  EXPECT_TRUE(with_topic_part(tree.on_step(*maker.make(1, 1000)), "/battery/").empty());
  EXPECT_EQ(with_topic_part(tree.on_step(*maker.make(3, 2000)), "/battery/").size(), 1u);
}

TEST(TelemetryTree, SummaryAtIntervalOrOnStateChange) {
  const auto site = test::make_site(1, 1);
  test::BundleMaker maker(site);
  TelemetryTree tree(test_config(), site);
  EXPECT_EQ(with_topic_part(tree.on_step(*maker.make(0, 0)), "/summary").size(), 1u);
  EXPECT_TRUE(with_topic_part(tree.on_step(*maker.make(1, 9'999)), "/summary").empty());
  EXPECT_EQ(with_topic_part(tree.on_step(*maker.make(2, 10'000)), "/summary").size(), 1u);
}

TEST(TelemetryTree, AlarmRaisedAcknowledgedCleared) {
  const auto site = test::make_site(1, 1);
  test::BundleMaker maker(site);
  TelemetryTree tree(test_config(), site);
  engine::ActiveAlarm alarm;
  alarm.key = "battery/1/1:battery_voltage_high";
  alarm.source = "battery/1/1";
  alarm.rule = "battery_voltage_high";
  alarm.text = "Battery 1/1 voltage high: 14.62 V > 14.40 V";
  alarm.since_ms = 5000;
  alarm.value = 14.62;
  auto list = std::make_shared<engine::AlarmList>();
  list->time_ms = 5000;
  list->alarms.push_back(alarm);
  auto raised =
      with_topic_part(tree.on_step(*maker.make(1, 5000, model::Quality::ok, list)), "/alarm/");
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].topic, "btms/dc1/gw1/alarm/battery/1/1/battery_voltage_high");
  EXPECT_TRUE(raised[0].retain);
  EXPECT_EQ(raised[0].kind, MessageKind::alarm);
  auto j = json::parse(raised[0].payload);
  EXPECT_EQ(j["active"], true);
  EXPECT_EQ(j["severity"], "alarm");
  EXPECT_EQ(j["acknowledged"], false);
  // Unchanged: nothing new.
  list->time_ms = 6000;
  EXPECT_TRUE(
      with_topic_part(tree.on_step(*maker.make(2, 6000, model::Quality::ok, list)), "/alarm/")
          .empty());
  // Acknowledged: sent again.
  list->alarms[0].acknowledged = true;
  list->alarms[0].acknowledged_by = "op";
  auto acked =
      with_topic_part(tree.on_step(*maker.make(3, 7000, model::Quality::ok, list)), "/alarm/");
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(json::parse(acked[0].payload)["acknowledged_by"], "op");
  // Cleared: a not retained message, then the retained copy deleted.
  auto cleared = with_topic_part(
      tree.on_step(*maker.make(4, 8000, model::Quality::ok, std::make_shared<engine::AlarmList>())),
      "/alarm/");
  ASSERT_EQ(cleared.size(), 2u);
  EXPECT_EQ(json::parse(cleared[0].payload)["active"], false);
  EXPECT_FALSE(cleared[0].retain);
  EXPECT_TRUE(cleared[1].payload.empty());
  EXPECT_TRUE(cleared[1].retain);
}

TEST(TelemetryTree, EventsInOrderWithEscapedText) {
  const auto site = test::make_site(1, 1);
  TelemetryTree tree(test_config(), site);
  std::vector<model::Event> events(2);
  events[0].id = 7;
  events[0].time_ms = 1000;
  events[0].kind = model::EventKind::string_tripped;
  events[0].severity = model::Severity::trip;
  events[0].source = "string/1";
  events[0].text = "Tripped \"now\"\n";
  events[1].id = 8;
  events[1].kind = model::EventKind::alarm_acknowledged;
  const auto out = tree.on_events(events);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].topic, "btms/dc1/gw1/event");
  EXPECT_EQ(out[0].kind, MessageKind::event);
  const auto j = json::parse(out[0].payload);
  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j["kind"], "string_tripped");
  EXPECT_EQ(j["severity"], "trip");
  EXPECT_EQ(j["text"], "Tripped \"now\"\n");
  EXPECT_EQ(json::parse(out[1].payload)["id"], 8);
}

TEST(JsonNumber, AtResolutionLikeTheApi) {
  struct Row {
    double value, resolution;
    const char* text;
  };
  for (const auto& r :
       {Row{13.520000000001, 0.001, "13.52"}, Row{2.25, 0.01, "2.25"}, Row{100.0, 0.1, "100"},
        Row{-0.0001, 0.01, "0"}, Row{std::nan(""), 0.01, "null"}, Row{1.5, 0.0, "1.5"}}) {
    std::string out;
    append_json_number(out, r.value, r.resolution);
    EXPECT_EQ(out, r.text) << r.value << " at " << r.resolution;
  }
}

}  // namespace
}  // namespace btms::cloud
