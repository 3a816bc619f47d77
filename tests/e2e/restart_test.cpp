// A gateway restarted against a running plant comes back as it was: the alarm raised before the
// restart is still active, still acknowledged by the same user, and not raised a second time.
// The plant runs as its own process (`btms sim`), as a real battery room would go on existing.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "http_client.hpp"
#include "process.hpp"

using btms::e2e::ChildProcess;
using btms::e2e::TempFolder;
using btms::e2e::wait_for_port;
using btms::e2e::WebSession;
using nlohmann::json;

namespace {

const std::string kPassword = "correct horse battery";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "  bus string1    modbus tcp 127.0.0.1:40123" -> {"string1": 40123}, until "Press Ctrl-C".
std::map<std::string, int> read_bus_ports(ChildProcess& sim) {
  std::map<std::string, int> ports;
  const std::regex line_re(R"(bus (\S+)\s+modbus tcp 127\.0\.0\.1:(\d+))");
  for (int i = 0; i < 40; ++i) {
    const auto line = sim.read_line(500);
    std::smatch m;
    if (std::regex_search(line, m, line_re)) ports[m[1]] = std::stoi(m[2]);
    if (line.find("Press Ctrl-C") != std::string::npos) break;
  }
  return ports;
}

// The demo site file with each bus pointed at the port the plant really serves it on.
std::string site_with_ports(const std::map<std::string, int>& ports) {
  std::string text = read_file(std::string(BTMS_SOURCE_DIR) + "/config/demo-site.toml");
  for (const auto& [bus, port] : ports) {
    const std::regex block("name = \"" + bus +
                           "\"\ntype = \"tcp\"\nhost = \"127.0.0.1\"\nport = (\\d+)");
    std::smatch m;
    if (!std::regex_search(text, m, block)) continue;
    const auto at = static_cast<std::size_t>(m.position(1));
    text.replace(at, static_cast<std::size_t>(m.length(1)), std::to_string(port));
  }
  return text;
}

// The first alarm whose source is `source`, waiting up to timeout_s for it.
// The last /api/v1/alarms answer, for the failure message.
std::string last_alarms_reply;

json wait_for_alarm(const WebSession& session, const std::string& source, int timeout_s) {
  for (int i = 0; i < timeout_s * 5; ++i) {
    const auto reply = session.get("/api/v1/alarms");
    last_alarms_reply = std::to_string(reply.status) + " " + reply.body;
    if (reply.status == 200) {
      const auto answer = json::parse(reply.body);  // named: a range-for over a temporary dangles
      for (const auto& alarm : answer.at("alarms")) {
        if (alarm.at("source").get<std::string>() == source) return alarm;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return json();
}

}  // namespace

TEST(Restart, AlarmStateAndAcknowledgementSurviveAGatewayRestart) {
  TempFolder data;
  TempFolder work;
  const std::string scenario = work.path() + "/leak.toml";
  std::ofstream(scenario) << "[[event]]\nat_s = 1\ntype = \"input_change\"\npoint = \"mc:6\"\n"
                             "value = true\n";
  ChildProcess sim({BTMS_BINARY, "sim", "--config",
                    std::string(BTMS_SOURCE_DIR) + "/config/demo-site.toml", "--scenario", scenario,
                    "--free-ports"});
  const auto ports = read_bus_ports(sim);
  ASSERT_EQ(ports.size(), 5u) << "btms sim did not print its five buses";
  const std::string site = work.path() + "/site.toml";
  std::ofstream(site) << site_with_ports(ports);
  const std::vector<std::string> gateway_argv{BTMS_BINARY,    "gateway",   "--config", site,
                                              "--data-dir",   data.path(), "--port",   "0",
                                              "--scada-port", "0"};

  json before;
  {
    ChildProcess gateway(gateway_argv);
    const int port = wait_for_port(gateway, R"(API: http://127\.0\.0\.1:(\d+)/)");
    ASSERT_GT(port, 0) << "btms gateway did not print its API URL";
    WebSession session(port);
    ASSERT_EQ(session.setup("admin", kPassword).status, 201);
    const auto raised = wait_for_alarm(session, "mc/input/6", 30);
    ASSERT_FALSE(raised.is_null()) << "the water leak input raised no alarm: " << last_alarms_reply;
    const auto ack = session.post("/api/v1/alarms/acknowledge",
                                  json{{"key", raised.at("key")}, {"comment", "mopped"}}.dump());
    ASSERT_EQ(ack.status, 200) << ack.body;
    before = wait_for_alarm(session, "mc/input/6", 5);
    ASSERT_TRUE(before.at("acknowledged").get<bool>());
    EXPECT_EQ(gateway.interrupt_and_wait(15000), 0);
  }

  ChildProcess gateway(gateway_argv);
  const int port = wait_for_port(gateway, R"(API: http://127\.0\.0\.1:(\d+)/)");
  ASSERT_GT(port, 0);
  WebSession session(port);
  ASSERT_EQ(session.login("admin", kPassword).status, 200);  // sessions end with a restart
  const auto after = wait_for_alarm(session, "mc/input/6", 30);
  ASSERT_FALSE(after.is_null()) << "the alarm was forgotten by the restart: " << last_alarms_reply;
  EXPECT_EQ(after.at("key"), before.at("key"));
  EXPECT_EQ(after.at("since_ms"), before.at("since_ms"));
  EXPECT_TRUE(after.at("acknowledged").get<bool>()) << after.dump() << "\n"
                                                    << session.get("/api/v1/events").body;
  EXPECT_EQ(after.at("acknowledged_by"), "admin");

  // Give the new engine a few cycles to (wrongly) raise it again, then count the raisings.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const auto events = session.get("/api/v1/events?limit=10000");
  ASSERT_EQ(events.status, 200) << events.body;
  int raised_count = 0;
  std::set<std::uint64_t> ids;
  const auto answer = json::parse(events.body);
  for (const auto& e : answer.at("events")) {
    EXPECT_TRUE(ids.insert(e.at("id").get<std::uint64_t>()).second)
        << "event id " << e.at("id") << " used twice across the restart";
    if (e.at("kind") == "alarm_raised" && e.at("source") == "mc/input/6") ++raised_count;
  }
  EXPECT_EQ(raised_count, 1);
  EXPECT_EQ(gateway.interrupt_and_wait(15000), 0);
  EXPECT_EQ(sim.interrupt_and_wait(10000), 0);
}

// An acknowledgement answered 200 is durable: the gateway killed (SIGKILL, no shutdown at all)
// right after the answer still has it after the restart. Before the answer waited for the
// history commit, the event sat in memory for up to a second and was lost (10 of 10 runs).
TEST(Restart, AcknowledgementAnsweredIsKeptWhenTheGatewayIsKilledRightAfter) {
  TempFolder data;
  TempFolder work;
  const std::string scenario = work.path() + "/leak.toml";
  std::ofstream(scenario) << "[[event]]\nat_s = 1\ntype = \"input_change\"\npoint = \"mc:6\"\n"
                             "value = true\n";
  ChildProcess sim({BTMS_BINARY, "sim", "--config",
                    std::string(BTMS_SOURCE_DIR) + "/config/demo-site.toml", "--scenario", scenario,
                    "--free-ports"});
  const auto ports = read_bus_ports(sim);
  ASSERT_EQ(ports.size(), 5u) << "btms sim did not print its five buses";
  const std::string site = work.path() + "/site.toml";
  std::ofstream(site) << site_with_ports(ports);
  const std::vector<std::string> gateway_argv{BTMS_BINARY,    "gateway",   "--config", site,
                                              "--data-dir",   data.path(), "--port",   "0",
                                              "--scada-port", "0"};
  json raised;
  {
    ChildProcess gateway(gateway_argv);
    const int port = wait_for_port(gateway, R"(API: http://127\.0\.0\.1:(\d+)/)");
    ASSERT_GT(port, 0) << "btms gateway did not print its API URL";
    WebSession session(port);
    ASSERT_EQ(session.setup("admin", kPassword).status, 201);
    raised = wait_for_alarm(session, "mc/input/6", 30);
    ASSERT_FALSE(raised.is_null()) << "the water leak input raised no alarm: " << last_alarms_reply;
    const auto ack = session.post("/api/v1/alarms/acknowledge",
                                  json{{"key", raised.at("key")}, {"comment", "mopped"}}.dump());
    // Killed the instant the answer is in: no signal handler, no flush, no destructor runs.
    ::kill(gateway.pid(), SIGKILL);
    ASSERT_EQ(ack.status, 200) << ack.body;
    EXPECT_EQ(json::parse(ack.body).value("durable", false), true) << ack.body;
  }

  ChildProcess gateway(gateway_argv);
  const int port = wait_for_port(gateway, R"(API: http://127\.0\.0\.1:(\d+)/)");
  ASSERT_GT(port, 0);
  WebSession session(port);
  ASSERT_EQ(session.login("admin", kPassword).status, 200);
  const auto after = wait_for_alarm(session, "mc/input/6", 30);
  ASSERT_FALSE(after.is_null()) << "the alarm was forgotten by the restart: " << last_alarms_reply;
  EXPECT_EQ(after.at("key"), raised.at("key"));
  EXPECT_TRUE(after.at("acknowledged").get<bool>())
      << "the acknowledgement answered 200 was lost: " << after.dump();
  EXPECT_EQ(after.at("acknowledged_by"), "admin");
  EXPECT_EQ(gateway.interrupt_and_wait(15000), 0);
  EXPECT_EQ(sim.interrupt_and_wait(10000), 0);
}
