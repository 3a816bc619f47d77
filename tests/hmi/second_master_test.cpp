// The standalone display's second-master rule: the decision table of the heartbeat and listening
// checks, the wait they use, and the RTU listening on a real pseudo-terminal (a foreign master's
// bytes written on the other side are heard; a silent line is free).
#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <optional>
#include <thread>

#include "hmi/second_master_check.hpp"

namespace btms::hmi {
namespace {

struct HeartbeatCase {
  std::optional<std::uint16_t> first, second;
  BusVerdict expected;
  const char* says;  // part of the message
};

TEST(SecondMasterCheck, HeartbeatDecisionTable) {
  const HeartbeatCase cases[] = {
      {7, 8, BusVerdict::gateway_polls, "a gateway already polls this bus"},
      {65535, 0, BusVerdict::gateway_polls, "changed from 65535 to 0"},  // wrapped around
      {0, 1, BusVerdict::gateway_polls, "Use --gateway URL instead."},
      {7, 7, BusVerdict::free, "unchanged (7)"},
      {0, 0, BusVerdict::free, "no gateway polls it"},
      {std::nullopt, std::nullopt, BusVerdict::free, "could not be read twice"},
      {7, std::nullopt, BusVerdict::free, "could not be read twice"},
      {std::nullopt, 7, BusVerdict::free, "could not be read twice"},
  };
  for (const auto& c : cases) {
    const auto check = judge_heartbeat("bus1", {c.first, c.second, 2100});
    EXPECT_EQ(check.verdict, c.expected) << check.message;
    EXPECT_NE(check.message.find(c.says), std::string::npos) << check.message;
    EXPECT_NE(check.message.find("bus 'bus1'"), std::string::npos) << check.message;
  }
  EXPECT_NE(judge_heartbeat("b", {1, 2, 2100}).message.find("in 2100 ms"), std::string::npos);
}

TEST(SecondMasterCheck, ListenDecisionTable) {
  const struct {
    std::size_t bytes;
    BusVerdict expected;
    const char* says;
  } cases[] = {
      {0, BusVerdict::free, "silent for 2500 ms"},
      {1, BusVerdict::foreign_traffic, "1 bytes of foreign traffic"},
      {8, BusVerdict::foreign_traffic, "8 bytes"},
      {4000, BusVerdict::foreign_traffic, "second master"},
  };
  for (const auto& c : cases) {
    const auto check = judge_rtu_listen("line-a", c.bytes, 2500);
    EXPECT_EQ(check.verdict, c.expected) << check.message;
    EXPECT_NE(check.message.find(c.says), std::string::npos) << check.message;
    EXPECT_NE(check.message.find("bus 'line-a'"), std::string::npos) << check.message;
  }
}

TEST(SecondMasterCheck, WaitsLongerThanTwoPollCycles) {
  model::Bus bus;
  const struct {
    int cycle_ms;
    std::int64_t spacing_ms, listen_ms;
  } cases[] = {{0, 1500, 2500}, {50, 1500, 2500}, {1000, 2000, 2500}, {2000, 4000, 4500}};
  for (const auto& c : cases) {
    bus.cycle_ms = c.cycle_ms;
    EXPECT_EQ(heartbeat_spacing_ms(bus), c.spacing_ms) << c.cycle_ms;
    EXPECT_EQ(rtu_listen_ms(bus), c.listen_ms) << c.cycle_ms;
    EXPECT_GT(heartbeat_spacing_ms(bus), bus.cycle_ms);
    EXPECT_GE(rtu_listen_ms(bus), 2 * bus.cycle_ms);
  }
}

// A pseudo-terminal stands for the RS-485 line: what is written on its master side is what the
// display's adapter receives.
class RtuLine : public ::testing::Test {
 protected:
  void SetUp() override {
    std::array<char, 128> name{};
    ASSERT_EQ(::openpty(&master, &slave, name.data(), nullptr, nullptr), 0);
    bus.name = "line-a";
    bus.kind = model::BusKind::rtu;
    bus.device = name.data();
    bus.cycle_ms = 0;
  }
  void TearDown() override {
    if (master >= 0) ::close(master);
    if (slave >= 0) ::close(slave);
  }
  int master = -1, slave = -1;
  model::Bus bus;
  model::Site site;
};

TEST_F(RtuLine, ForeignFramesAreHeardAndRefused) {
  std::thread foreign_master([this] {
    // A read request (address 1, FC 04) every 300 ms, as another master polls.
    const std::array<unsigned char, 8> frame{0x01, 0x04, 0x00, 0x00, 0x00, 0x0A, 0x70, 0x0D};
    for (int i = 0; i < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      ASSERT_EQ(::write(master, frame.data(), frame.size()), 8);
    }
  });
  const auto check = check_bus(site, bus);
  foreign_master.join();
  EXPECT_EQ(check.verdict, BusVerdict::foreign_traffic) << check.message;
  EXPECT_NE(check.message.find("24 bytes"), std::string::npos) << check.message;
}

TEST_F(RtuLine, SilentLineIsFree) {
  const auto check = check_bus(site, bus);
  EXPECT_EQ(check.verdict, BusVerdict::free) << check.message;
}

TEST(SecondMasterCheck, TcpBusWithoutMcHasNothingToCheck) {
  model::Site site;
  model::Bus bus;
  bus.name = "tcp1";
  site.buses.push_back(bus);
  const auto checks = check_site_buses(site);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].verdict, BusVerdict::free);
  EXPECT_NE(checks[0].message.find("without the BM-MC"), std::string::npos);
}

}  // namespace
}  // namespace btms::hmi
