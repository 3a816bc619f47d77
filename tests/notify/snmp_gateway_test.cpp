// End to end: a real `btms demo` process with [notify.snmp_agent] registers as an AgentX
// subagent with an snmpd started by the test (AgentX socket in a temporary folder, SNMP on a
// free loopback UDP port). snmpwalk of BTMS-MIB's battery table gives the same values that
// /api/v1/live of the same gateway reports: each within one resolution step of a live read
// taken just before or just after the walk (the plant moves on between the two reads).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/e2e/http_client.hpp"
#include "tests/e2e/process.hpp"
#include "tests/notify/snmp_test_tools.hpp"

namespace {

using btms::e2e::ChildProcess;
using btms::e2e::TempFolder;
using btms::notify::snmp_test::Snmpd;
using nlohmann::json;

// "...99999.1.3.1.<column>.<string>.<position> = INTEGER: <n>" -> {column, position} -> n, for
// string 1.
std::map<std::pair<int, int>, long> battery_table(const std::string& walk) {
  std::map<std::pair<int, int>, long> out;
  const std::regex row(R"(\.1\.3\.6\.1\.4\.1\.99999\.1\.3\.1\.(\d+)\.1\.(\d+) = \w+: (-?\d+))");
  std::istringstream lines(walk);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      out[{std::stoi(m[1]), std::stoi(m[2])}] = std::stol(m[3]);
    }
  }
  return out;
}

json live_string_1(int web_port) {
  const auto r = btms::e2e::http_get(web_port, "/api/v1/live?prefix=battery/1/");
  return r.status == 200 ? json::parse(r.body).at("channels") : json();
}

// The live value scaled as BTMS-MIB serves it; nullopt when not fresh.
std::optional<long> scaled(const json& channels, const std::string& name, double scale) {
  if (channels.is_null() || !channels.contains(name)) return std::nullopt;
  const auto& c = channels.at(name);
  if (c.at("quality") != "ok") return std::nullopt;
  return std::lround(c.at("value").get<double>() * scale);
}

TEST(SnmpGateway, SnmpwalkOfTheBatteryTableMatchesLive) {
  TempFolder dir;
  const Snmpd snmpd;
  ASSERT_TRUE(snmpd.ready()) << "snmpd did not open its AgentX socket";
  const auto& socket = snmpd.agentx_socket();

  std::ifstream demo_site(std::string(BTMS_SOURCE_DIR) + "/config/demo-site.toml");
  std::stringstream site;
  site << demo_site.rdbuf() << "\n[notify]\n[notify.snmp_agent]\nagentx_socket = \"" << socket
       << "\"\n";
  const auto site_path = dir.path() + "/site.toml";
  std::ofstream(site_path) << site.str();
  ChildProcess demo({BTMS_BINARY, "demo", "--config", site_path, "--port", "0", "--scada-port", "0",
                     "--data-dir", dir.path() + "/data"});
  const int web_port = btms::e2e::wait_for_port(demo, R"(http://127\.0\.0\.1:(\d+)/)");
  ASSERT_GT(web_port, 0);

  const std::string walk = ".1.3.6.1.4.1.99999.1.3.1.";
  struct Column {
    int column;
    const char* channel;
    double scale;
  };
  const Column columns[] = {
      {2, "voltage", 1000.0}, {3, "temperature", 10.0}, {4, "resistance", 1000.0}};
  const int positions[] = {1, 7, 20, 40};
  bool matched = false;
  std::string report;
  // Until the first cycle is published and the subagent registered (no timing asserted), then
  // a few rounds: each value must lie within one resolution step of a live read taken just
  // before or just after the walk.
  for (int round = 0; round < 40 && !matched; ++round) {
    const auto before = live_string_1(web_port);
    const auto table =
        battery_table(snmpd.walk(walk + "2") + snmpd.walk(walk + "3") + snmpd.walk(walk + "4"));
    const auto after = live_string_1(web_port);
    int compared = 0;
    int agreeing = 0;
    report.clear();
    for (const auto& c : columns) {
      for (int p : positions) {
        const auto name = "battery/1/" + std::to_string(p) + "/" + c.channel;
        const auto a = scaled(before, name, c.scale);
        const auto b = scaled(after, name, c.scale);
        const auto it = table.find({c.column, p});
        if (!a || !b || it == table.end()) continue;
        ++compared;
        const long lo = std::min(*a, *b) - 1;
        const long hi = std::max(*a, *b) + 1;
        if (it->second >= lo && it->second <= hi) {
          ++agreeing;
        } else {
          report += name + ": snmp " + std::to_string(it->second) + ", live " + std::to_string(*a) +
                    " / " + std::to_string(*b) + "\n";
        }
      }
    }
    matched = compared == 12 && agreeing == compared;
    if (!matched) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(matched) << report;
  // The demo has two UPSs: UPS-MIB (one UPS per agent) is not served.
  const auto ups = snmpd.get(".1.3.6.1.2.1.33.1.2.4.0");
  EXPECT_NE(ups.find("No Such Object"), std::string::npos) << ups;
  EXPECT_EQ(demo.interrupt_and_wait(15'000), 0);
}

}  // namespace
