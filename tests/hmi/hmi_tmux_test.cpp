// `btms hmi` in a real terminal: tmux runs the display against a running `btms demo` of 16 UPSs;
// keys go in with send-keys, screens come out with capture-pane and are compared row by row with
// the expected ones (the clock masked, live values not compared). Each test starts and ends its
// own tmux server (its own socket), demo and data folder.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "http_client.hpp"
#include "process.hpp"
#include "security/audit_log.hpp"
#include "shell_output.hpp"

namespace btms::hmi {
namespace {

using e2e::ChildProcess;
using e2e::TempFolder;

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A 16-UPS site, one string of four batteries each, every string on its own plant bus.
std::string sixteen_ups_site() {
  std::ostringstream out;
  out << "[site]\nname = \"HMI test site\"\n\n"
         "[[battery_type]]\nname = \"VRLA 12V 100Ah\"\nnominal_voltage_V = 12\ncells = 6\n"
         "capacity_Ah = 100\nchemistry = \"vrla_agm\"\nfloat_voltage_per_cell_V = 2.27\n"
         "resistance_new_mOhm = 3.5\n\n";
  for (int k = 1; k <= 16; ++k) {
    out << "[[ups]]\nid = " << k << "\nname = \"Hall " << k << "\"\nrated_power_kW = 120\n\n"
        << "[[bus]]\nname = \"s" << k
        << "\"\ntype = \"tcp\"\nhost = \"127.0.0.1\"\nport = " << 16000 + k << "\n\n"
        << "[[string]]\nid = " << k << "\nups = " << k << "\nname = \"Row " << k
        << "\"\nbattery_type = \"VRLA 12V 100Ah\"\nbatteries = 4\nbus = \"s" << k
        << "\"\nfirst_cs_address = 1\ngs_address = 201\nhs_address = 202\n"
           "current_range_A = 400\n\n";
  }
  return out.str();
}

// A demo with its data folder, an operator token in a file, and the display in tmux.
class HmiInTmux : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(folder.path() + "/site.toml") << sixteen_ups_site();
    ChildProcess add(
        {BTMS_BINARY, "token", "add", "hmi", "--role", "operator", "--data-dir", data_dir()});
    const auto token = add.read_line(10'000);
    ASSERT_EQ(token.rfind("btms_", 0), 0u) << token;
    std::ofstream(folder.path() + "/token") << token << "\n";
  }
  void TearDown() override {
    if (!socket.empty()) e2e::shell_output("tmux -L " + socket + " kill-server 2>/dev/null");
  }

  std::string data_dir() const { return folder.path() + "/data"; }

  void start_demo(int port, const std::string& scenario = "", bool tls = false) {
    std::vector<std::string> argv{BTMS_BINARY,    "demo",
                                  "--config",     folder.path() + "/site.toml",
                                  "--port",       std::to_string(port),
                                  "--scada-port", "0",
                                  "--data-dir",   data_dir()};
    if (tls) argv.push_back("--tls");
    if (!scenario.empty()) {
      std::ofstream(folder.path() + "/scenario.toml") << scenario;
      argv.push_back("--scenario");
      argv.push_back(folder.path() + "/scenario.toml");
    }
    demo = std::make_unique<ChildProcess>(argv);
    demo_port = e2e::wait_for_port(
        *demo, tls ? R"(https://127\.0\.0\.1:(\d+)/)" : R"(http://127\.0\.0\.1:(\d+)/)");
    ASSERT_GT(demo_port, 0);
  }

  void start_hmi(int width, int height, const std::string& extra_args = "",
                 const std::string& scheme = "http") {
    if (!socket.empty()) e2e::shell_output("tmux -L " + socket + " kill-server 2>/dev/null");
    socket = "btms-hmi-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
    const std::string hmi = std::string(BTMS_BINARY) + " hmi --gateway " + scheme +
                            "://127.0.0.1:" + std::to_string(demo_port) + " --token " +
                            shell_quote(folder.path() + "/token") + extra_args;
    e2e::shell_output("tmux -L " + socket + " -f /dev/null new-session -d -s hmi -x " +
                      std::to_string(width) + " -y " + std::to_string(height) + " " +
                      shell_quote(hmi));
  }

  void keys(const std::string& names) {
    e2e::shell_output("tmux -L " + socket + " send-keys -t hmi " + names);
  }

  // The screen with the clock masked.
  std::string screen() {
    static const std::regex clock(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)");
    return std::regex_replace(e2e::shell_output("tmux -L " + socket + " capture-pane -p -t hmi"),
                              clock, "YYYY-MM-DD hh:mm:ss");
  }

  // Waits (at most 15 s) until the screen shows `part`; returns the screen it last saw.
  std::string wait_for(const std::string& part) {
    return wait_until_shown(
        [&](const std::string& text) { return text.find(part) != std::string::npos; }, part);
  }
  // A text on one row: also waits for a resize to reach the screen (the text above it may be
  // the same before and after).
  std::string wait_for_row(int index, const std::string& part) {
    return wait_until_shown(
        [&](const std::string& text) { return row(text, index).find(part) != std::string::npos; },
        part + " on row " + std::to_string(index));
  }
  std::string wait_until_shown(const std::function<bool(const std::string&)>& shown,
                               const std::string& what) {
    std::string text;
    for (int i = 0; i < 150; ++i) {
      text = screen();
      if (shown(text)) return text;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "never shown: " << what << "\n" << text;
    return text;
  }

  static std::string row(const std::string& text, int y) {
    std::istringstream in(text);
    std::string line;
    for (int i = 0; i <= y && std::getline(in, line); ++i) {
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line;
  }

  TempFolder folder;
  std::unique_ptr<ChildProcess> demo;
  int demo_port = 0;
  std::string socket;
};

TEST_F(HmiInTmux, PagesSixteenUpsTilesEntersAStringAndFollowsTheLinkDownAndUp) {
  start_demo(0);
  start_hmi(80, 24);
  auto text = wait_for("Page 1/2   UPS 1-8 of 16");
  EXPECT_EQ(row(text, 0),
            " BTMS · HMI test site › UPS overview                        YYYY-MM-DD hh:mm:ss");
  EXPECT_EQ(row(text, 2),
            "┌─ UPS 1 ─────────┐ ┌─ UPS 2 ─────────┐ ┌─ UPS 3 ─────────┐ ┌─ UPS 4 ─────────┐");
  EXPECT_EQ(row(text, 3),
            "│ Hall 1          │ │ Hall 2          │ │ Hall 3          │ │ Hall 4          │");
  EXPECT_EQ(row(text, 4),
            "│ 1 strings       │ │ 1 strings       │ │ 1 strings       │ │ 1 strings       │");
  EXPECT_EQ(row(text, 11),
            "┌─ UPS 5 ─────────┐ ┌─ UPS 6 ─────────┐ ┌─ UPS 7 ─────────┐ ┌─ UPS 8 ─────────┐");
  text = wait_for("● link ok");
  EXPECT_EQ(row(text, 22).rfind(" ● link ok │ gateway 127.0.0.1:" + std::to_string(demo_port) +
                                    " │ operator │ alarms 0 (0 unacknowledged)",
                                0),
            0u)
      << text;

  keys("PageDown");
  text = wait_for("Page 2/2   UPS 9-16 of 16");
  EXPECT_EQ(row(text, 2),
            "┌─ UPS 9 ─────────┐ ┌─ UPS 10 ────────┐ ┌─ UPS 11 ────────┐ ┌─ UPS 12 ────────┐");
  keys("Home");
  wait_for("Page 1/2   UPS 1-8 of 16");
  keys("End");
  wait_for("Page 2/2   UPS 9-16 of 16");
  keys("PageUp");
  wait_for("Page 1/2   UPS 1-8 of 16");
  keys("PageDown");
  wait_for("Page 2/2");

  keys("Right Enter");  // UPS 10
  text = wait_for("› UPS 10 Hall 10");
  EXPECT_EQ(row(text, 3).rfind(" #   Name                  State", 0), 0u) << text;
  EXPECT_EQ(row(text, 4).rfind(" 10  Row 10                float", 0), 0u) << text;
  keys("Enter");
  text = wait_for("Page 1/1  batteries 1-4 of 4");
  EXPECT_EQ(row(text, 0),
            " BTMS · HMI test site › UPS 10 Hall 10 › String 10 Row 10   YYYY-MM-DD hh:mm:ss");
  EXPECT_EQ(row(text, 3),
            "   #  Volt V    °C   R mΩ  SOC  SOH        #  Volt V    °C   R mΩ  SOC  SOH");
  EXPECT_EQ(row(text, 4).substr(0, 6), "   1  ");
  EXPECT_EQ(row(text, 7).substr(0, 6), "   4  ");

  // The gateway goes away: banner, link down, the last values stay on the screen.
  ASSERT_EQ(demo->interrupt_and_wait(10'000), 0);
  text = wait_for("LINK LOST for");
  EXPECT_NE(row(text, 22).find("○ link down"), std::string::npos) << text;
  EXPECT_EQ(row(text, 4).substr(0, 6), "   1  ");
  // ...and comes back on the same port: the display reconnects by itself.
  start_demo(demo_port);
  text = wait_for("● link ok");
  EXPECT_EQ(row(text, 1), "") << text;

  // A bigger terminal: redrawn to the new size with more batteries per page.
  e2e::shell_output("tmux -L " + socket + " resize-window -t hmi -x 132 -y 43");
  // The string's page line reads the same at 80x24, so the help line on the 43rd row is what
  // says the redraw at the new size came.
  text = wait_for_row(42, "Esc back");
  EXPECT_NE(text.find("Page 1/1  batteries 1-4 of 4"), std::string::npos) << text;
  keys("q");
}

TEST_F(HmiInTmux, AnAlarmTakesOverAcknowledgementAndRenameReachTheGateway) {
  start_demo(0, "[[event]]\nat_s = 2\ntype = \"sensor_silent\"\nstring = 3\nposition = 2\n");
  start_hmi(132, 43);
  auto text = wait_for("ALARM battery/3/2: Battery 3/2 sensor not answering");
  EXPECT_EQ(row(text, 0).rfind(" BTMS · HMI test site › Alarms", 0), 0u) << text;
  EXPECT_NE(row(text, 3).find("alarm   battery/3/2   NO   Battery 3/2 sensor not answering"),
            std::string::npos)
      << text;
  keys("Enter");
  // Not "acknowledged": that is also found in "1 unacknowledged" before the answer came.
  text = wait_for("battery/3/2   yes");
  EXPECT_NE(row(text, 3).find("battery/3/2   yes"), std::string::npos) << text;

  security::AuditLog audit(data_dir() + "/audit.sqlite");
  bool found = false;
  for (const auto& e : audit.query(0, INT64_MAX, 100)) {
    if (e.action == security::AuditAction::acknowledge && e.user == "token:hmi" &&
        e.target == "battery/3/2:battery_comm_lost") {
      found = true;
    }
  }
  EXPECT_TRUE(found) << "no acknowledgement by token:hmi in the audit log";
  keys("Escape");
  wait_for("UPS overview");

  // Renaming UPS 1 on the panel: saved on the gateway, in its topology answer and audited.
  keys("r");
  wait_for("Name of ups/1: Hall 1_");
  keys("BSpace BSpace BSpace BSpace BSpace BSpace");
  keys("-l " + shell_quote("Sál A"));
  wait_for("Name of ups/1: Sál A_");
  keys("Enter");
  text = wait_for("ups/1 renamed");
  EXPECT_NE(row(text, 3).find("│ Sál A"), std::string::npos) << text;
  const auto topology = e2e::http_get(demo_port, "/api/v1/topology");
  EXPECT_NE(topology.body.find(R"("name":"Sál A")"), std::string::npos) << topology.body;
  bool renamed = false;
  for (const auto& e : audit.query(0, INT64_MAX, 100)) {
    if (e.action == security::AuditAction::config_change && e.user == "token:hmi" &&
        e.detail.find("ups/1: 'Hall 1' -> 'Sál A'") != std::string::npos) {
      renamed = true;
    }
  }
  EXPECT_TRUE(renamed) << "no rename by token:hmi in the audit log";
  keys("q");
}

TEST_F(HmiInTmux, AcknowledgingWithAPinThrottlesWrongOnesAndAuditsTheRightOne) {
  // The PIN is stored as a hash only; `--set-pin` reads it from standard input.
  const std::string pin_file = folder.path() + "/hmi.pin";
  e2e::shell_output("echo 2468 | " + std::string(BTMS_BINARY) + " hmi --set-pin --pin-file " +
                    shell_quote(pin_file));
  std::ifstream stored(pin_file);
  std::string hash;
  std::getline(stored, hash);
  ASSERT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_EQ(hash.find("2468"), std::string::npos);

  start_demo(0, "[[event]]\nat_s = 2\ntype = \"sensor_silent\"\nstring = 3\nposition = 2\n");
  start_hmi(132, 43, " --pin-file " + shell_quote(pin_file));
  auto text = wait_for("ALARM battery/3/2: Battery 3/2 sensor not answering");
  keys("Enter");
  text = wait_for(" PIN to acknowledge battery/3/2: _   Enter confirm  Esc cancel");
  keys("1 3 5 7");
  text = wait_for(" PIN to acknowledge battery/3/2: ****_");
  EXPECT_EQ(text.find("1357"), std::string::npos) << text;
  keys("Enter");
  text = wait_for("wrong PIN (2 more before a lockout)");
  EXPECT_NE(row(text, 3).find("battery/3/2   NO"), std::string::npos) << text;
  keys("Enter");
  wait_for(" PIN to acknowledge battery/3/2: _");
  keys("2 4 6 8 Enter");
  // Not "acknowledged": that is also found in "1 unacknowledged" before the answer came.
  text = wait_for("battery/3/2   yes");
  EXPECT_NE(row(text, 3).find("battery/3/2   yes"), std::string::npos) << text;

  // The gateway's audit log names the display's token and says the PIN was used; the wrong PIN
  // never reached the gateway.
  security::AuditLog audit(data_dir() + "/audit.sqlite");
  int acknowledgements = 0;
  for (const auto& e : audit.query(0, INT64_MAX, 100)) {
    if (e.action != security::AuditAction::acknowledge) continue;
    ++acknowledgements;
    EXPECT_EQ(e.user, "token:hmi");
    EXPECT_EQ(e.target, "battery/3/2:battery_comm_lost");
    EXPECT_NE(e.detail.find("acknowledged on the HMI with its PIN"), std::string::npos) << e.detail;
  }
  EXPECT_EQ(acknowledgements, 1);
  keys("q");
}

TEST_F(HmiInTmux, OverHttpsThePinnedCertificateConnectsAndAWrongPinIsRefusedOnScreen) {
  start_demo(0, "", true);
  // The fingerprint as an operator takes it from the gateway's first-start certificate.
  auto pin = e2e::shell_output("openssl x509 -in " + shell_quote(data_dir() + "/tls-cert.pem") +
                               " -noout -fingerprint -sha256");
  pin = pin.substr(pin.find('=') + 1);
  while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) pin.pop_back();
  ASSERT_EQ(pin.size(), 95u) << pin;

  start_hmi(80, 24, " --cert-pin " + pin, "https");
  auto text = wait_for("● link ok");
  EXPECT_NE(text.find("Page 1/2   UPS 1-8 of 16"), std::string::npos) << text;
  keys("q");

  // One byte of the pin changed: refused, the banner says so and shows the start of the
  // gateway's fingerprint (the words first: at 80 columns they still show), no values shown.
  auto wrong = pin;
  wrong[0] = wrong[0] == '0' ? '1' : '0';
  start_hmi(132, 43, " --cert-pin " + wrong, "https");
  text = wait_for("certificate is not the pinned one");
  EXPECT_EQ(row(text, 1),
            " CONNECTING to the gateway 127.0.0.1:" + std::to_string(demo_port) +
                ": certificate is not the pinned one (gateway's: " + pin.substr(0, 23) + "...)")
      << text;
  EXPECT_EQ(text.find("● link ok"), std::string::npos) << text;
  EXPECT_EQ(text.find("UPS 1 "), std::string::npos) << "nothing may be read from a refused gateway";
  keys("q");
}

TEST_F(HmiInTmux, SetPinOnATerminalAsksTwiceWithoutEcho) {
  const std::string pin_file = folder.path() + "/hmi.pin";
  socket = "btms-hmi-test-" + std::to_string(::getpid()) + "-setpin";
  e2e::shell_output("tmux -L " + socket + " -f /dev/null new-session -d -s hmi -x 80 -y 24 " +
                    shell_quote(std::string(BTMS_BINARY) + " hmi --set-pin --pin-file " +
                                shell_quote(pin_file) + "; echo exit=$?; sleep 30"));
  wait_for("New PIN (4-12 digits):");
  keys("9 7 5 3 Enter");
  wait_for("The same PIN again:");
  keys("9 7 5 3 Enter");
  const auto text = wait_for("exit=0");
  EXPECT_EQ(text.find("9753"), std::string::npos) << "the PIN was echoed:\n" << text;
  std::ifstream stored(pin_file);
  std::string hash;
  std::getline(stored, hash);
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;

  // Two different PINs: nothing is written, the old hash stays.
  e2e::shell_output("tmux -L " + socket + " respawn-pane -k -t hmi " +
                    shell_quote(std::string(BTMS_BINARY) + " hmi --set-pin --pin-file " +
                                shell_quote(pin_file) + "; echo exit=$?; sleep 30"));
  wait_for("New PIN (4-12 digits):");
  keys("1 1 1 1 Enter");
  wait_for("The same PIN again:");
  keys("2 2 2 2 Enter");
  wait_for("the two PINs differ; nothing written");
  wait_for("exit=2");
  std::ifstream again(pin_file);
  std::string unchanged;
  std::getline(again, unchanged);
  EXPECT_EQ(unchanged, hash);
}

}  // namespace
}  // namespace btms::hmi
