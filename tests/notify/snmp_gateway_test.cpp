// End to end: a real `btms demo` process with [notify.snmp_agent] registers as an AgentX
// subagent with an snmpd started by the test (AgentX socket in a temporary folder, SNMP on a
// free loopback UDP port). snmpwalk of BTMS-MIB's battery table gives the same values that
// /api/v1/live of the same gateway reports: each within one resolution step of a live read
// taken just before or just after the walk (the plant moves on between the two reads).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/e2e/http_client.hpp"
#include "tests/e2e/process.hpp"

namespace {

using btms::e2e::ChildProcess;
using btms::e2e::TempFolder;
using nlohmann::json;

int free_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string run(const std::string& command) {
  std::string out;
  if (FILE* f = ::popen((command + " 2>&1").c_str(), "r")) {
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
    ::pclose(f);
  }
  return out;
}

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
  const int snmp_port = free_udp_port();
  const auto socket = dir.path() + "/agentx.sock";
  const auto conf = dir.path() + "/snmpd.conf";
  std::ofstream(conf) << "master agentx\n"
                      << "agentXSocket " << socket << "\n"
                      << "agentaddress udp:127.0.0.1:" << snmp_port << "\n"
                      << "rocommunity public 127.0.0.1\n";
  ChildProcess snmpd({"/usr/sbin/snmpd", "-f", "-Lf", dir.path() + "/snmpd.log", "-C", "-c", conf,
                      "-p", dir.path() + "/snmpd.pid", "--persistentDir=" + dir.path(), "-I",
                      "-system_mib,ifTable,ipAddressTable"});
  // The gateway connects at start; with no socket yet it would retry only 5 s later.
  for (int i = 0; i < 100 && !std::filesystem::exists(socket); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(std::filesystem::exists(socket)) << "snmpd did not open its AgentX socket";

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

  const std::string walk =
      "snmpwalk -v2c -c public -On -m '' -M /dev/null -t 1 -r 0 udp:127.0.0.1:" +
      std::to_string(snmp_port) + " .1.3.6.1.4.1.99999.1.3.1.";
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
    const auto table = battery_table(run(walk + "2") + run(walk + "3") + run(walk + "4"));
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
  const auto ups =
      run("snmpget -v2c -c public -On -Oqv -m '' -M /dev/null -t 1 -r 0 "
          "udp:127.0.0.1:" +
          std::to_string(snmp_port) + " .1.3.6.1.2.1.33.1.2.4.0");
  EXPECT_NE(ups.find("No Such Object"), std::string::npos) << ups;
  EXPECT_EQ(demo.interrupt_and_wait(15'000), 0);
}

}  // namespace
