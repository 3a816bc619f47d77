// Every device type read and commanded over Modbus TCP through libmodbus.
#include <gtest/gtest.h>
#include <modbus/modbus.h>

#include <cerrno>
#include <span>

#include "devices/register_map.hpp"
#include "modbus_client.hpp"
#include "plant/virtual_plant.hpp"
#include "test_site.hpp"

namespace btms::plant::test {
namespace {

namespace dev = btms::devices;

double value(const dev::DeviceMap& map, const char* name, const std::vector<std::uint16_t>& block,
             std::uint16_t block_start = 0) {
  const auto v = dev::decode_from_block(map.reg(name), block_start, block);
  EXPECT_TRUE(v.has_value()) << name << " not available";
  return v.value_or(-1.0e9);
}

class TcpDevices : public ::testing::Test {
 protected:
  void SetUp() override {
    PlantOptions options;
    options.tcp_pick_free_ports = true;
    options.speed = 100.0;  // balancing timeouts and resistance tests pass within seconds
    plant_ = std::make_unique<VirtualPlant>(two_string_site(), options);
    plant_->start();
    for (const auto& bus : plant_->served_buses()) {
      if (bus.bus_name == "bus1") port_ = bus.port;
    }
    ASSERT_GT(port_, 0);
    client_.emplace(ModbusClient::tcp(port_));
  }
  void TearDown() override {
    client_.reset();
    plant_->stop();
  }

  std::unique_ptr<VirtualPlant> plant_;
  int port_ = 0;
  std::optional<ModbusClient> client_;
};

TEST_F(TcpDevices, BatterySensorReadsPlausibleFloatValues) {
  const auto& map = dev::bm_cs_map();
  for (int address = 1; address <= 4; ++address) {
    const auto fast = client_->read_input(address, map.fast.start, map.fast.count);
    ASSERT_TRUE(fast) << modbus_strerror(client_->last_errno());
    EXPECT_GE(value(map, "voltage", *fast), 13.4);
    EXPECT_LE(value(map, "voltage", *fast), 13.9);
    EXPECT_GT(value(map, "temperature", *fast), 10.0);
    EXPECT_LT(value(map, "temperature", *fast), 40.0);
    EXPECT_GT(value(map, "resistance", *fast), 0.5);
    EXPECT_LT(value(map, "resistance", *fast), 20.0);
    EXPECT_TRUE(value(map, "status", *fast) > 0);
    const auto id = client_->read_input(address, map.slow.start, map.slow.count);
    ASSERT_TRUE(id);
    EXPECT_EQ(value(map, "device_type", *id, map.slow.start), 1.0);
    EXPECT_GT(value(map, "serial", *id, map.slow.start), 0.0);
  }
}

TEST_F(TcpDevices, StringAndCurrentSensorsRead) {
  const auto& gs = dev::bm_gs_map();
  const auto g = client_->read_input(10, gs.fast.start, gs.fast.count);
  ASSERT_TRUE(g);
  EXPECT_NEAR(value(gs, "string_voltage", *g), 4 * 13.62, 1.5);
  EXPECT_GT(value(gs, "insulation_pos", *g), 1000.0);
  EXPECT_GT(value(gs, "insulation_neg", *g), 1000.0);
  const auto gid = client_->read_input(10, dev::common::kDeviceType, 1);
  ASSERT_TRUE(gid);
  EXPECT_EQ((*gid)[0], static_cast<std::uint16_t>(dev::DeviceType::bm_gs));

  const auto& hs = dev::bm_hs_map();
  const auto h = client_->read_input(11, hs.fast.start, hs.fast.count);
  ASSERT_TRUE(h);
  EXPECT_EQ(value(hs, "range", *h), 400.0);
  EXPECT_LT(std::abs(value(hs, "current", *h)), 20.0);  // float current of a full string
  EXPECT_EQ((*h)[dev::bm_hs::kStatus] & dev::bm_hs::kStatusDisconnected, 0);
}

TEST_F(TcpDevices, MasterControllerReportsAmbientRelaysAndFeedback) {
  const auto& mc = dev::bm_mc_map();
  const auto m = client_->read_input(kMcAddress, mc.fast.start, mc.fast.count);
  ASSERT_TRUE(m);
  EXPECT_EQ(value(mc, "th_count", *m), 1.0);
  EXPECT_EQ(value(mc, "lc_count", *m), 1.0);
  EXPECT_GT(value(mc, "th[1].temperature", *m), 5.0);
  EXPECT_LT(value(mc, "th[1].temperature", *m), 45.0);
  EXPECT_FALSE(dev::decode_from_block(mc.reg("th[2].temperature"), 0, *m).has_value());
  // Both disconnect relays energized, both feedback inputs closed.
  EXPECT_EQ((*m)[dev::bm_mc::kRelayState] & 0x3, 0x3);
  EXPECT_EQ((*m)[dev::bm_mc::kInputs] & 0x3, 0x3);
}

TEST_F(TcpDevices, BalancingCommandReachesTheModelAndTimesOut) {
  ASSERT_TRUE(client_->write(2, dev::bm_cs::kBalanceTimeout, 120));  // 1.2 s wall at speed 100
  ASSERT_TRUE(client_->write(2, dev::bm_cs::kBalanceCommand, 1));
  // The model computes the bypass current on its next step.
  auto model_current_A = [&] {
    double current_A = 0.0;
    plant_->with_model([&](PlantModel& m) { current_A = m.battery(1, 2).balance_current_A; });
    return current_A;
  };
  EXPECT_TRUE(eventually([&] { return model_current_A() > 0.0; }, std::chrono::milliseconds(800)));
  const auto on = client_->read_input(2, dev::bm_cs::kStatus, 1);
  ASSERT_TRUE(on);
  EXPECT_NE((*on)[0] & dev::bm_cs::kStatusBalancing, 0);
  ASSERT_TRUE(eventually([&] {
    const auto s = client_->read_input(2, dev::bm_cs::kStatus, 1);
    return s && ((*s)[0] & dev::bm_cs::kStatusBalanceTimeout) != 0;
  }));
  const auto s = client_->read_input(2, dev::bm_cs::kStatus, 1);
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)[0] & dev::bm_cs::kStatusBalancing, 0);
  const auto cmd = client_->read_holding(2, dev::bm_cs::kBalanceCommand, 1);
  ASSERT_TRUE(cmd);
  EXPECT_EQ((*cmd)[0], 0);
  EXPECT_TRUE(eventually([&] { return model_current_A() == 0.0; }));
}

TEST_F(TcpDevices, ResistanceTestOnRequest) {
  const auto& map = dev::bm_cs_map();
  // Let the power-on test age (speed 100: 20 simulated seconds pass in 0.2 s).
  ASSERT_TRUE(eventually([&] {
    const auto age = client_->read_input(1, dev::bm_cs::kResistanceAge, 1);
    return age && (*age)[0] >= 20 && (*age)[0] != 0xFFFF;
  }));
  ASSERT_TRUE(client_->write(1, dev::bm_cs::kResistanceTestRequest, 1));
  ASSERT_TRUE(client_->write(1, dev::common::kSampleNow, 1));
  const auto fast = client_->read_input(1, map.fast.start, map.fast.count);
  ASSERT_TRUE(fast);
  EXPECT_LT(value(map, "resistance_age", *fast), 20.0);
  double true_mOhm = 0.0;
  plant_->with_model([&](PlantModel& m) { true_mOhm = m.battery(1, 1).resistance_mOhm; });
  // Datasheet accuracy ±(1.5 % + 25 µΩ), plus drift while the test ran.
  EXPECT_NEAR(value(map, "resistance", *fast), true_mOhm, 0.05 * true_mOhm + 0.025);
}

TEST_F(TcpDevices, ReleasingTheDisconnectRelayOpensTheString) {
  ASSERT_TRUE(client_->write(kMcAddress, dev::bm_mc::kRelayCommand, 0x2));  // relay 1 released
  bool open = false;
  double current_A = 1.0;
  ASSERT_TRUE(eventually([&] {
    plant_->with_model([&](PlantModel& m) {
      open = !m.string(1).contactor_closed;
      current_A = m.string(1).current_A;
    });
    return open && current_A == 0.0;
  }));
  plant_->with_model([&](PlantModel& m) { EXPECT_TRUE(m.string(2).contactor_closed); });
  ASSERT_TRUE(eventually([&] {
    const auto in = client_->read_input(kMcAddress, dev::bm_mc::kInputs, 2);
    return in && ((*in)[0] & 0x3) == 0x2 && ((*in)[1] & 0x3) == 0x2;  // feedback, relay_state
  }));
}

TEST_F(TcpDevices, WatchdogTripsToSafeStateAndResets) {
  ASSERT_TRUE(client_->write(kMcAddress, dev::bm_mc::kRelaySafeState, 0x2));
  ASSERT_TRUE(client_->write(kMcAddress, dev::bm_mc::kHeartbeat, 7));
  ASSERT_TRUE(client_->write(kMcAddress, dev::bm_mc::kWatchdogTimeout, 1));
  auto status = [&] {
    const auto s = client_->read_input(kMcAddress, dev::bm_mc::kStatus, 3);
    return s.value_or(std::vector<std::uint16_t>{0xFFFF, 0xFFFF, 0xFFFF});
  };
  EXPECT_EQ(status()[0] & dev::bm_mc::kStatusWatchdogTripped, 0);
  ASSERT_TRUE(eventually([&] { return (status()[0] & dev::bm_mc::kStatusWatchdogTripped) != 0; }));
  EXPECT_EQ(status()[2], 0x2);  // relay_state = safe state
  ASSERT_TRUE(eventually([&] {
    bool closed = true;
    plant_->with_model([&](PlantModel& m) { closed = m.string(1).contactor_closed; });
    return !closed;
  }));
  // Disarm, then reset: commanded outputs come back.
  ASSERT_TRUE(client_->write(kMcAddress, dev::bm_mc::kWatchdogTimeout, 0));
  ASSERT_TRUE(client_->write(kMcAddress, dev::bm_mc::kWatchdogReset, 1));
  EXPECT_EQ(status()[0] & dev::bm_mc::kStatusWatchdogTripped, 0);
  EXPECT_EQ(status()[2], 0x3);
  plant_->with_model([&](PlantModel& m) { EXPECT_TRUE(m.string(1).contactor_closed); });
}

TEST_F(TcpDevices, SilentDeviceTimesOutOthersAnswer) {
  plant_->set_device_silent("bus1", 3, true);
  EXPECT_FALSE(client_->read_input(3, 0, 8));
  EXPECT_EQ(client_->last_errno(), ETIMEDOUT);
  EXPECT_TRUE(client_->read_input(4, 0, 8));
  plant_->set_device_silent("bus1", 3, false);
  EXPECT_TRUE(client_->read_input(3, 0, 8));
}

TEST_F(TcpDevices, UnknownUnitGetsNoReply) {
  EXPECT_FALSE(client_->read_input(77, 0, 8));
  EXPECT_EQ(client_->last_errno(), ETIMEDOUT);
}

TEST_F(TcpDevices, NoisyTcpBusDropsReplies) {
  plant_->set_bus_noise("bus1", 1.0);
  EXPECT_FALSE(client_->read_input(1, 0, 8));
  plant_->set_bus_noise("bus1", 0.0);
  EXPECT_TRUE(client_->read_input(1, 0, 8));
}

struct IllegalCase {
  const char* what;
  int function;  // 3, 4, 6
  int unit;
  int address;
  int count;
  int expected_errno;
};

class IllegalRequests : public TcpDevices, public ::testing::WithParamInterface<IllegalCase> {};

TEST_P(IllegalRequests, AnswerWithException) {
  const IllegalCase& c = GetParam();
  bool ok = false;
  if (c.function == 3) ok = client_->read_holding(c.unit, c.address, c.count).has_value();
  if (c.function == 4) ok = client_->read_input(c.unit, c.address, c.count).has_value();
  if (c.function == 6) ok = client_->write(c.unit, c.address, 1);
  EXPECT_FALSE(ok) << c.what;
  EXPECT_EQ(client_->last_errno(), c.expected_errno) << c.what;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, IllegalRequests,
    ::testing::Values(IllegalCase{"gap between fast and identity", 4, 1, 8, 1, EMBXILADD},
                      IllegalCase{"block overruns identity", 4, 1, 100, 6, EMBXILADD},
                      IllegalCase{"unmapped holding", 3, 1, 3, 1, EMBXILADD},
                      IllegalCase{"write beyond the holding map", 6, kMcAddress, 200, 0, EMBXILADD},
                      IllegalCase{"write unmapped", 6, 10, 0, 0, EMBXILADD},
                      IllegalCase{"MC gap", 4, kMcAddress, 82, 1, EMBXILADD}));

TEST_F(TcpDevices, IllegalFunctionAnswersException01) {
  std::uint8_t bits[8];
  modbus_set_slave(client_->raw(), 1);
  EXPECT_EQ(modbus_read_bits(client_->raw(), 0, 8, bits), -1);
  EXPECT_EQ(errno, EMBXILFUN);
}

TEST_F(TcpDevices, WriteMultipleSetsHoldingRegisters) {
  const std::uint16_t values[2] = {0, 120};
  modbus_set_slave(client_->raw(), 3);
  ASSERT_EQ(modbus_write_registers(client_->raw(), dev::bm_cs::kBalanceCommand, 2, values), 2);
  const auto h = client_->read_holding(3, dev::bm_cs::kBalanceCommand, 2);
  ASSERT_TRUE(h);
  EXPECT_EQ((*h)[1], 120);
}

}  // namespace
}  // namespace btms::plant::test
