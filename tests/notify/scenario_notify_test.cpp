// The whole product: `btms demo` with a site file that has [notify], driving the thermal-runaway
// scenario (scenarios/thermal-runaway.toml) at 600x, three webhook recipients on one receiver
// that checks every HMAC signature. Expected per recipient:
// - ops (warnings and up, UPS 1): the first message names battery 2/7; later a TRIP update
//   with the thermal-runaway alarm and the string trip; nothing about any other string.
// - boss (tier 2): only after nobody acknowledged within escalate_after: reason "escalation".
// - night (quiet hours around the whole run): nothing until a trip is active (trips bypass).
// Then the delivery log through the API shows the tries and never the secrets; the admin's
// "send test message" reaches the receiver.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "tests/e2e/http_client.hpp"
#include "tests/e2e/process.hpp"

namespace {

using btms::e2e::ChildProcess;
using btms::e2e::TempFolder;
using nlohmann::json;

std::string hhmm_utc_from_now(int minutes) {
  const std::time_t t = std::time(nullptr) + minutes * 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[8];
  std::strftime(buffer, sizeof buffer, "%H:%M", &tm);
  return buffer;
}

bool has_alert(const json& body, const std::string& rule) {
  for (const auto& a : body["alerts"]) {
    if (a["labels"]["alertname"] == rule && a["status"] == "firing") return true;
  }
  return false;
}

bool any_trip(const json& body) {
  for (const auto& a : body["alerts"]) {
    if (a["labels"]["severity"] == "TRIP" && a["status"] == "firing") return true;
  }
  return false;
}

TEST(NotifyScenario, ThermalRunawayMessagesPerRecipient) {
  TempFolder dir;
  ChildProcess hook({"/usr/bin/python3", std::string(BTMS_NOTIFY_TEST_DIR) + "/webhook_receiver.py",
                     "scenario-key", "0"});
  const int hook_port = btms::e2e::wait_for_port(hook, R"(http://127\.0\.0\.1:(\d+)/)");
  ASSERT_GT(hook_port, 0);

  std::ifstream demo_site(std::string(BTMS_SOURCE_DIR) + "/config/demo-site.toml");
  std::stringstream site;
  site << demo_site.rdbuf();
  const std::string url = "http://127.0.0.1:" + std::to_string(hook_port) + "/hook";
  site << "\n[notify]\nbase_url = \"http://btms.test\"\ngroup_wait_s = 30\ngroup_interval_s = 60\n"
       << "escalate_after_s = 600\nrepeat_interval_s = 86400\n"
       << "[[notify.recipient]]\nname = \"ops\"\nchannel = \"webhook\"\nurl = \"" << url
       << "\"\nsecret = \"scenario-key\"\nlevel = \"warnings\"\nsources = [\"ups/1\"]\n"
       << "[[notify.recipient]]\nname = \"boss\"\nchannel = \"webhook\"\nurl = \"" << url
       << "\"\nsecret = \"scenario-key\"\ntier = 2\nsources = [\"ups/1\"]\n"
       << "[[notify.recipient]]\nname = \"night\"\nchannel = \"webhook\"\nurl = \"" << url
       << "\"\nsecret = \"scenario-key\"\nlevel = \"warnings\"\nsources = [\"ups/1\"]\n"
       << "quiet_hours = \"" << hhmm_utc_from_now(-120) << "-" << hhmm_utc_from_now(240) << "\"\n";
  const auto site_path = dir.path() + "/site.toml";
  std::ofstream(site_path) << site.str();

  ChildProcess demo({BTMS_BINARY, "demo", "--config", site_path, "--scenario",
                     std::string(BTMS_SOURCE_DIR) + "/scenarios/thermal-runaway.toml", "--speed",
                     "600", "--port", "0", "--scada-port", "0", "--data-dir",
                     dir.path() + "/data"});
  const int web_port = btms::e2e::wait_for_port(demo, R"(http://127\.0\.0\.1:(\d+)/)");
  ASSERT_GT(web_port, 0);

  std::map<std::string, std::vector<json>> got;  // per recipient, in arrival order
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  const auto done = [&] {
    const auto& night = got["night"];
    const auto& boss = got["boss"];
    return !night.empty() && !boss.empty() && !got["ops"].empty() &&
           any_trip(got["ops"].back()["body"]);
  };
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    const auto line = hook.read_line(1000);
    if (line.empty()) continue;
    const auto message = json::parse(line);
    EXPECT_TRUE(message["signature_ok"].get<bool>());
    got[message["body"]["receiver"].get<std::string>()].push_back(message);
  }
  ASSERT_TRUE(done()) << "ops " << got["ops"].size() << ", boss " << got["boss"].size()
                      << ", night " << got["night"].size();

  // Only string 2 (battery 2/7's runaway) is in any message.
  for (const auto& [who, messages] : got) {
    for (const auto& m : messages) {
      EXPECT_EQ(m["body"]["groupKey"], "string/2") << who;
      for (const auto& a : m["body"]["alerts"]) {
        EXPECT_EQ(a["labels"]["string"], "2") << who << " " << a.dump();
      }
    }
  }
  const auto& ops = got["ops"];
  EXPECT_EQ(ops.front()["body"]["commonAnnotations"]["reason"], "first");
  bool names_battery_7 = false;
  for (const auto& a : ops.front()["body"]["alerts"]) {
    names_battery_7 |= a["labels"]["source"] == "battery/2/7";
  }
  EXPECT_TRUE(names_battery_7) << ops.front().dump();
  EXPECT_TRUE(has_alert(ops.back()["body"], "string_thermal_runaway"));
  EXPECT_TRUE(has_alert(ops.back()["body"], "string_tripped"));
  EXPECT_EQ(ops.back()["body"]["alerts"][0]["labels"]["severity"], "TRIP");

  EXPECT_EQ(got["boss"].front()["body"]["commonAnnotations"]["reason"], "escalation");
  // Quiet hours: the night shift heard nothing until a trip was active.
  EXPECT_TRUE(any_trip(got["night"].front()["body"])) << got["night"].front().dump();

  // Delivery log through the API (the demo serves anonymous reads on loopback).
  const auto reply = btms::e2e::http_get(web_port, "/api/v1/notifications/deliveries");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body.find("scenario-key"), std::string::npos) << "a secret was returned";
  const auto log = json::parse(reply.body);
  EXPECT_EQ(log["recipients"].size(), 3u);
  EXPECT_TRUE(log["recipients"][0]["secret_set"].get<bool>());
  EXPECT_GE(log["counts"]["sent"].get<int>(), 3);
  EXPECT_FALSE(log["deliveries"].empty());

  // "Send test message" needs an admin: anonymous is refused, the first admin may.
  EXPECT_NE(
      btms::e2e::http_request(web_port, "POST", "/api/v1/notifications/test",
                              R"({"recipient":"ops"})", {{"content-type", "application/json"}})
          .status,
      202);
  btms::e2e::WebSession admin(web_port);
  ASSERT_EQ(admin.setup("admin", "a-long-admin-password").status / 100, 2);
  EXPECT_EQ(admin.post("/api/v1/notifications/test", R"({"recipient":"nobody"})").status, 404);
  EXPECT_EQ(admin.post("/api/v1/notifications/test", R"({"recipient":"ops"})").status, 202);
  bool test_seen = false;
  const auto test_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!test_seen && std::chrono::steady_clock::now() < test_deadline) {
    const auto line = hook.read_line(1000);
    if (line.empty()) continue;
    const auto message = json::parse(line);
    test_seen = has_alert(message["body"], "btms_test") && message["body"]["receiver"] == "ops";
  }
  EXPECT_TRUE(test_seen);
  EXPECT_EQ(demo.interrupt_and_wait(15000), 0);
}

}  // namespace
