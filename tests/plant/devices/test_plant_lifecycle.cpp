// Broadcast sampling, binding errors, and a standard third-party master (mbpoll).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>

#include "devices/register_map.hpp"
#include "modbus_client.hpp"
#include "plant/virtual_plant.hpp"
#include "test_site.hpp"

namespace btms::plant::test {
namespace {

namespace dev = btms::devices;

int bus_port(const VirtualPlant& plant, const std::string& name) {
  for (const auto& bus : plant.served_buses()) {
    if (bus.bus_name == name) return bus.port;
  }
  return 0;
}

TEST(PlantLifecycle, BroadcastSampleNowLatchesEverySensorOnce) {
  PlantOptions options;
  options.tcp_pick_free_ports = true;
  options.speed = 0.001;  // self-sampling (every simulated second) stays out of the way
  VirtualPlant plant(two_string_site(), options);
  plant.start();
  ModbusClient client = ModbusClient::tcp(bus_port(plant, "bus1"));
  struct Sensor {
    int unit;
    std::uint16_t counter_address;
  };
  const std::vector<Sensor> sensors{
      {1, dev::bm_cs::kSampleCounter},         {2, dev::bm_cs::kSampleCounter},
      {3, dev::bm_cs::kSampleCounter},         {4, dev::bm_cs::kSampleCounter},
      {10, dev::bm_gs::kSampleCounter},        {11, dev::bm_hs::kSampleCounter},
      {kMcAddress, dev::bm_mc::kSampleCounter}};
  std::vector<std::uint16_t> before;
  for (const auto& s : sensors) {
    const auto c = client.read_input(s.unit, s.counter_address, 1);
    ASSERT_TRUE(c) << s.unit;
    before.push_back((*c)[0]);
  }
  // Broadcast: no device answers, so libmodbus may report a timeout; the write still lands.
  client.write(MODBUS_BROADCAST_ADDRESS, dev::common::kSampleNow, 1);
  for (std::size_t i = 0; i < sensors.size(); ++i) {
    const auto c = client.read_input(sensors[i].unit, sensors[i].counter_address, 1);
    ASSERT_TRUE(c);
    EXPECT_EQ((*c)[0], static_cast<std::uint16_t>(before[i] + 1)) << sensors[i].unit;
  }
  // A unicast sample_now latches just that device.
  ASSERT_TRUE(client.write(2, dev::common::kSampleNow, 1));
  EXPECT_EQ((*client.read_input(2, dev::bm_cs::kSampleCounter, 1))[0], before[1] + 2);
  EXPECT_EQ((*client.read_input(1, dev::bm_cs::kSampleCounter, 1))[0], before[0] + 1);
}

TEST(PlantLifecycle, TakenPortIsReportedWithBusAndPort) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int taken = ntohs(addr.sin_port);

  VirtualPlant plant(two_string_site(false, taken), PlantOptions{});
  try {
    plant.start();
    ADD_FAILURE() << "start() should have thrown";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bus1"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(taken)), std::string::npos) << what;
  }
  ::close(fd);
}

TEST(PlantLifecycle, SiteForGatewayRewritesPortsAndStopClosesThem) {
  PlantOptions options;
  options.tcp_pick_free_ports = true;
  VirtualPlant plant(two_string_site(), options);
  plant.start();
  const model::Site site = plant.site_for_gateway();
  const int port = bus_port(plant, "bus2");
  ASSERT_GT(port, 0);
  EXPECT_EQ(site.find_bus("bus2")->port, port);
  EXPECT_EQ(site.find_bus("bus2")->host, "127.0.0.1");
  {
    ModbusClient client = ModbusClient::tcp(port);
    EXPECT_TRUE(client.read_input(21, 0, 8));
  }
  plant.stop();
  EXPECT_THROW(ModbusClient::tcp(port), std::runtime_error);
}

TEST(PlantLifecycle, SimulatedTimeAdvancesAtSpeed) {
  PlantOptions options;
  options.tcp_pick_free_ports = true;
  options.speed = 1000.0;
  VirtualPlant plant(two_string_site(), options);
  const double t0 = plant.sim_time_s();
  plant.start();
  EXPECT_TRUE(eventually([&] { return plant.sim_time_s() > t0 + 20.0; }));
}

TEST(PlantLifecycle, MbpollReadsABatterySensor) {
  const char* mbpoll = "/usr/bin/mbpoll";
  if (!std::filesystem::exists(mbpoll)) GTEST_SKIP() << "mbpoll not installed";
  PlantOptions options;
  options.tcp_pick_free_ports = true;
  VirtualPlant plant(two_string_site(), options);
  plant.start();
  const std::string cmd = std::string(mbpoll) + " -m tcp -a 1 -t 3 -r 1 -c 8 -1 -p " +
                          std::to_string(bus_port(plant, "bus1")) + " 127.0.0.1 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  const int rc = ::pclose(pipe);
  EXPECT_EQ(rc, 0) << output;
  // mbpoll numbers registers from 1: reference [2] is input register 1, the voltage in mV;
  // -r 1 -c 8 is exactly the BM-CS fast block.
  const std::regex line(R"(\[(\d+)\]:\s+(-?\d+))");
  std::map<int, long> regs;
  for (auto it = std::sregex_iterator(output.begin(), output.end(), line);
       it != std::sregex_iterator(); ++it) {
    regs[std::stoi((*it)[1])] = std::stol((*it)[2]);
  }
  ASSERT_EQ(regs.size(), 8u) << output;
  EXPECT_GE(regs.at(2), 13400) << output;  // voltage in mV
  EXPECT_LE(regs.at(2), 13900) << output;
}

}  // namespace
}  // namespace btms::plant::test
