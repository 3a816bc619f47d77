// `btms hmi --config site.toml`, the standalone display, against real processes: a `btms sim`
// alone (the string screen's battery voltages, captured from tmux, equal the plant's truth within
// the BM-CS accuracy and resolution), and a `btms gateway` already polling the sim's bus (the
// display refuses to be a second master, exits != 0 and sends nothing: the gateway's bus error
// counters do not move). Each test starts and ends its own processes, tmux server and folder.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "process.hpp"
#include "shell_output.hpp"

namespace btms::hmi {
namespace {

using e2e::ChildProcess;
using e2e::TempFolder;
using nlohmann::json;

// A loopback port nobody listens on now (the plant binds it a moment later).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// One UPS, one string of eight batteries, its BM-GS/BM-HS and the BM-MC, all on one TCP bus.
std::string one_string_site(int bus_port) {
  std::ostringstream out;
  out << "[site]\nname = \"Standalone test\"\n\n"
         "[[battery_type]]\nname = \"VRLA 12V 100Ah\"\nnominal_voltage_V = 12\ncells = 6\n"
         "capacity_Ah = 100\nchemistry = \"vrla_agm\"\nfloat_voltage_per_cell_V = 2.27\n"
         "resistance_new_mOhm = 3.5\n\n"
         "[[bus]]\nname = \"cab\"\ntype = \"tcp\"\nhost = \"127.0.0.1\"\nport = "
      << bus_port
      << "\ntimeout_ms = 1000\n\n[[ups]]\nid = 1\nname = \"Cabinet\"\nrated_power_kW = 120\n\n"
         "[[string]]\nid = 1\nups = 1\nname = \"Row A\"\nbattery_type = \"VRLA 12V 100Ah\"\n"
         "batteries = 8\nbus = \"cab\"\nfirst_cs_address = 1\ngs_address = 201\n"
         "hs_address = 202\ncurrent_range_A = 400\n\n"
         "[mc]\nbus = \"cab\"\naddress = 240\nwatchdog_timeout_s = 10\n";
  return out.str();
}

class Standalone : public ::testing::Test {
 protected:
  void SetUp() override {
    site_file = folder.path() + "/site.toml";
    std::ofstream(site_file) << one_string_site(free_port());
  }
  void TearDown() override {
    if (!socket.empty()) e2e::shell_output("tmux -L " + socket + " kill-server 2>/dev/null");
  }

  std::string screen() {
    return e2e::shell_output("tmux -L " + socket + " capture-pane -p -t hmi");
  }

  std::string wait_for(const std::string& part) {
    std::string text;
    for (int i = 0; i < 200; ++i) {
      text = screen();
      if (text.find(part) != std::string::npos) return text;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "never shown: " << part << "\n" << text;
    return text;
  }

  TempFolder folder;
  std::string site_file;
  std::string socket;
};

TEST_F(Standalone, StringScreenShowsThePlantsVoltages) {
  ChildProcess sim({BTMS_BINARY, "sim", "--config", site_file, "--truth-port", "0"});
  const int truth_port = e2e::wait_for_port(sim, R"(Plant truth: http://127\.0\.0\.1:(\d+)/)");
  ASSERT_GT(truth_port, 0);
  socket = "btms-hmi-standalone-" + std::to_string(::getpid());
  e2e::shell_output("tmux -L " + socket + " -f /dev/null new-session -d -s hmi -x 100 -y 30 '" +
                    BTMS_BINARY + " hmi --config " + site_file + "'");
  wait_for("standalone: read-only");
  wait_for("● bus ok");
  e2e::shell_output("tmux -L " + socket + " send-keys -t hmi Enter");  // tiles -> the UPS
  wait_for("Row A");
  e2e::shell_output("tmux -L " + socket + " send-keys -t hmi Enter");  // the UPS -> its string
  // Wait until all eight batteries show a voltage ("  8  13.xyz").
  const std::regex battery_row(R"(^\s*(\d)\s+(\d+\.\d{3})\b)");
  std::map<int, double> shown;
  for (int i = 0; i < 100 && shown.size() < 8; ++i) {
    shown.clear();
    std::istringstream lines(screen());
    for (std::string line; std::getline(lines, line);) {
      std::smatch m;
      if (std::regex_search(line, m, battery_row)) shown[std::stoi(m[1])] = std::stod(m[2]);
    }
    if (shown.size() < 8) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto text = screen();
  ASSERT_EQ(shown.size(), 8u) << text;
  EXPECT_NE(text.find("standalone: read-only"), std::string::npos) << text;
  const auto truth = json::parse(e2e::http_get(truth_port, "/truth").body);
  const auto& batteries = truth.at("strings").at(0).at("batteries");
  ASSERT_EQ(batteries.size(), 8u);
  for (const auto& b : batteries) {
    const int position = b.at("position").get<int>();
    const double true_V = b.at("voltage_V").get<double>();
    // The BM-CS measures within ±0.2 % and sends 1 mV steps; the screen shows 3 decimals.
    const double allowed_V = 0.002 * true_V + 0.001 + 0.0005;
    EXPECT_NEAR(shown.at(position), true_V, allowed_V) << "battery " << position << "\n" << text;
  }
}

TEST_F(Standalone, RefusesToBeASecondMaster) {
  ChildProcess sim({BTMS_BINARY, "sim", "--config", site_file, "--truth-port", "-1"});
  ASSERT_NE(sim.read_line(20'000), "");  // the plant serves its bus
  const std::string data_dir = folder.path() + "/data";
  ChildProcess add(
      {BTMS_BINARY, "token", "add", "test", "--role", "viewer", "--data-dir", data_dir});
  const auto token = add.read_line(10'000);
  ASSERT_EQ(token.rfind("btms_", 0), 0u) << token;
  ChildProcess gateway({BTMS_BINARY, "gateway", "--config", site_file, "--port", "0",
                        "--scada-port", "0", "--tls", "off", "--data-dir", data_dir});
  const int web_port = e2e::wait_for_port(gateway, R"(API: http://127\.0\.0\.1:(\d+)/)");
  ASSERT_GT(web_port, 0);
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token}};
  const auto live = [&] {
    return e2e::http_request(web_port, "GET", "/api/v1/live?prefix=bus/cab/", "", auth);
  };
  const auto bus_counters = [&] {
    const auto reply = live();
    EXPECT_EQ(reply.status, 200) << reply.body;
    const auto channels = json::parse(reply.body).at("channels");
    return std::array<double, 3>{channels.at("bus/cab/errors").at("value").get<double>(),
                                 channels.at("bus/cab/timeouts").at("value").get<double>(),
                                 channels.at("bus/cab/crc_errors").at("value").get<double>()};
  };
  // The gateway polls (and feeds the MC heartbeat) before the display starts.
  for (int i = 0; i < 100 && live().status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto before = bus_counters();
  const auto out = e2e::shell_output(std::string(BTMS_BINARY) + " hmi --config " + site_file +
                                     " 2>&1 </dev/null; echo \"exit=$?\"");
  EXPECT_NE(out.find("bus 'cab': a gateway already polls this bus (BM-MC heartbeat changed from"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("the display would be a second master. Use --gateway URL instead."),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("exit=3"), std::string::npos) << out;
  // Let the gateway finish two more cycles: a collision or a foreign write would count by now.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(bus_counters(), before);
}

}  // namespace
}  // namespace btms::hmi
