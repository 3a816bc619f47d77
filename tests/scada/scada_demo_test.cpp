// SCADA against the running demo: `btms demo` is started as a child process, a third-party
// Modbus master (mbpoll) reads the string and battery registers, and the values must agree
// with the web API's /api/v1/live of the same process; bad unit IDs and addresses must give
// Modbus exceptions that mbpoll reports.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>

#include "http_client.hpp"
#include "process.hpp"

namespace {

constexpr const char* kMbpoll = "/usr/bin/mbpoll";

struct MbpollResult {
  int exit_code = -1;
  std::string output;                      // stdout and stderr together
  std::map<int, std::uint16_t> registers;  // protocol address -> raw value
};

// One read of holding registers with mbpoll (0-based addresses, one poll, 1 s timeout).
MbpollResult mbpoll_read(int port, int unit, int address, int count) {
  const std::string cmd = std::string(kMbpoll) + " -m tcp -p " + std::to_string(port) + " -a " +
                          std::to_string(unit) + " -r " + std::to_string(address) + " -c " +
                          std::to_string(count) + " -t 4 -0 -1 -o 1 127.0.0.1 2>&1";
  MbpollResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char chunk[4096];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) r.output.append(chunk, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  // Lines look like "[302]: \t54845 (-10691)": with -0 the label is the protocol address.
  static const std::regex line(R"(\[(\d+)\]:\s+(\d+))");
  for (auto it = std::sregex_iterator(r.output.begin(), r.output.end(), line);
       it != std::sregex_iterator(); ++it) {
    r.registers[std::stoi((*it)[1])] = static_cast<std::uint16_t>(std::stoul((*it)[2]));
  }
  return r;
}

std::int32_t long_at(const MbpollResult& r, int address) {  // s32, high word first
  const auto hi = static_cast<std::uint32_t>(r.registers.at(address));
  const auto lo = static_cast<std::uint32_t>(r.registers.at(address + 1));
  return static_cast<std::int32_t>((hi << 16) | lo);
}

class ScadaDemo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The demo's history goes to a folder of ours, removed afterwards.
    std::string tmpl = (std::filesystem::temp_directory_path() / "btms-scada-demo-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) data_dir_ = tmpl;
    std::vector<std::string> argv{BTMS_BINARY, "demo", "--port", "0", "--scada-port", "0"};
    if (!data_dir_.empty()) argv.insert(argv.end(), {"--data-dir", data_dir_});
    demo_ = std::make_unique<btms::e2e::ChildProcess>(argv);
    static const std::regex scada_line(R"(SCADA Modbus TCP: 127\.0\.0\.1:(\d+))");
    static const std::regex web_line(R"(Web UI: http://127\.0\.0\.1:(\d+)/)");
    for (int i = 0; i < 40 && (scada_port_ <= 0 || web_port_ <= 0); ++i) {
      const auto text = demo_->read_line(10'000);
      if (text.empty()) break;
      std::smatch m;
      if (std::regex_search(text, m, scada_line)) scada_port_ = std::stoi(m[1]);
      if (std::regex_search(text, m, web_line)) web_port_ = std::stoi(m[1]);
    }
    // Wait until both sides carry fresh values of string 1 (acquisition and image rebuilt).
    for (int i = 0; i < 100 && scada_port_ > 0 && web_port_ > 0; ++i) {
      if (live_value("string/1/voltage") &&
          mbpoll_read(scada_port_, 101, 1, 1).registers.count(1) == 1 &&
          mbpoll_read(scada_port_, 101, 1, 1).registers.at(1) == 1) {
        ready_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  static void TearDownTestSuite() {
    if (demo_) demo_->interrupt_and_wait(10'000);
    demo_.reset();
    if (!data_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(data_dir_, ignored);
    }
  }
  void SetUp() override {
    ASSERT_GT(scada_port_, 0) << "demo did not print its SCADA port";
    ASSERT_GT(web_port_, 0) << "demo did not print its web port";
    ASSERT_TRUE(ready_) << "no fresh string 1 values within 10 s";
  }

  // A channel's value from /api/v1/live when its quality is ok.
  static std::optional<double> live_value(const std::string& channel) {
    const auto response = btms::e2e::http_get(web_port_, "/api/v1/live");
    if (response.status != 200) return std::nullopt;
    const auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (json.is_discarded() || !json.contains("channels")) return std::nullopt;
    const auto& channels = json.at("channels");
    if (!channels.contains(channel)) return std::nullopt;
    const auto& sample = channels.at(channel);
    if (sample.value("quality", "") != "ok") return std::nullopt;
    return sample.at("value").get<double>();
  }

  // Reads the live value before and after an mbpoll read and accepts when the register value
  // matches either (within half its resolution); values move each cycle, so a few tries.
  template <typename Decode>
  static void expect_agrees(const std::string& channel, int unit, int address, int count,
                            double resolution, Decode decode) {
    std::string last;
    for (int attempt = 0; attempt < 10; ++attempt) {
      const auto before = live_value(channel);
      const auto read = mbpoll_read(scada_port_, unit, address, count);
      const auto after = live_value(channel);
      ASSERT_EQ(read.exit_code, 0) << read.output;
      ASSERT_TRUE(before && after) << channel << " not ok in /api/v1/live";
      const double scada = decode(read);
      const double tolerance = resolution * 0.6;
      if (std::abs(scada - *before) <= tolerance || std::abs(scada - *after) <= tolerance) return;
      last = channel + ": SCADA " + std::to_string(scada) + ", live " + std::to_string(*before) +
             " / " + std::to_string(*after);
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
    ADD_FAILURE() << "never agreed in 10 tries; last " << last;
  }

  static inline std::unique_ptr<btms::e2e::ChildProcess> demo_;
  static inline int scada_port_ = -1;
  static inline int web_port_ = -1;
  static inline bool ready_ = false;
  static inline std::string data_dir_;
};

TEST_F(ScadaDemo, StringUnitRegistersMatchTheDemo) {
  const auto read = mbpoll_read(scada_port_, 101, 0, 15);
  ASSERT_EQ(read.exit_code, 0) << read.output;
  ASSERT_EQ(read.registers.size(), 15u) << read.output;
  EXPECT_EQ(read.registers.at(0), 1) << "string 1 belongs to UPS 1 in the demo plant";
  EXPECT_EQ(read.registers.at(1), 1) << "status OK";
  EXPECT_EQ(read.registers.at(10), 40) << "the demo's strings have 40 batteries";
  expect_agrees("string/1/voltage", 101, 0, 15, 0.01,
                [](const MbpollResult& r) { return long_at(r, 2) * 0.01; });
  expect_agrees("string/1/current", 101, 0, 15, 0.01,
                [](const MbpollResult& r) { return long_at(r, 4) * 0.01; });
}

TEST_F(ScadaDemo, BatteryBlockMatchesTheDemo) {
  const auto read = mbpoll_read(scada_port_, 101, 300, 6);
  ASSERT_EQ(read.exit_code, 0) << read.output;
  ASSERT_EQ(read.registers.size(), 6u) << read.output;
  // Status is 1 OK, 3 initializing while the engine learns the battery's resistance baseline
  // after the start, or 2 before the engine's first values are in; 0 would mean not configured.
  const auto status = read.registers.at(300);
  EXPECT_TRUE(status == 1 || status == 2 || status == 3) << read.output;
  expect_agrees("battery/1/3/voltage", 101, 300, 6, 0.001,
                [](const MbpollResult& r) { return r.registers.at(301) * 0.001; });
  expect_agrees("battery/1/3/resistance", 101, 300, 6, 0.001,
                [](const MbpollResult& r) { return long_at(r, 302) * 0.001; });
  expect_agrees("battery/1/3/temperature", 101, 300, 6, 0.1, [](const MbpollResult& r) {
    return static_cast<std::int16_t>(r.registers.at(304)) * 0.1;
  });
}

TEST_F(ScadaDemo, BatteryBeyondTheStringReadsDisabled) {
  const auto read = mbpoll_read(scada_port_, 101, 4100, 2);  // battery 41 of a 40-battery string
  ASSERT_EQ(read.exit_code, 0) << read.output;
  ASSERT_EQ(read.registers.size(), 2u) << read.output;
  EXPECT_EQ(read.registers.at(4100), 0) << "status 0: no such battery";
  EXPECT_EQ(read.registers.at(4101), 0xFFFF) << "voltage not available";
}

TEST_F(ScadaDemo, ExceptionsReachTheMaster) {
  struct Case {
    int unit;
    int address;
    int count;
    const char* message;  // libmodbus's text for the exception code
  };
  const Case cases[] = {
      {250, 0, 6, "Target device failed to respond"},  // 0B: unit not in any range
      {0, 0, 1, "Target device failed to respond"},    // unit 0 is not a UPS or string
      {101, 60000, 6, "Illegal data address"},         // 02: beyond the string's space
      {101, 12010, 6, "Illegal data address"},         // 02: runs past the last address
      {1, 12, 1, "Illegal data address"},              // 02: UPS space is 0..11
  };
  for (const auto& c : cases) {
    const auto read = mbpoll_read(scada_port_, c.unit, c.address, c.count);
    EXPECT_NE(read.exit_code, 0) << "unit " << c.unit << " address " << c.address;
    EXPECT_NE(read.output.find(c.message), std::string::npos)
        << "unit " << c.unit << " address " << c.address << ": " << read.output;
    EXPECT_TRUE(read.registers.empty()) << read.output;
  }
}

}  // namespace
