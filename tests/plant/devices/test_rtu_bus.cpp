// Modbus RTU on the pseudo-terminal, through libmodbus's RTU client.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <modbus/modbus.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>

#include "devices/register_map.hpp"
#include "modbus_client.hpp"
#include "plant/modbus_pdu.hpp"
#include "plant/virtual_plant.hpp"
#include "test_site.hpp"

namespace btms::plant::test {
namespace {

namespace dev = btms::devices;

class RtuBus : public ::testing::Test {
 protected:
  void SetUp() override {
    PlantOptions options;
    options.tcp_pick_free_ports = true;
    options.rtu_turnaround_ms = 2;
    plant_ = std::make_unique<VirtualPlant>(two_string_site(/*rtu_string2=*/true), options);
    plant_->start();
    for (const auto& bus : plant_->served_buses()) {
      if (bus.bus_name == "bus2") device_ = bus.device;
    }
    ASSERT_FALSE(device_.empty());
    client_.emplace(ModbusClient::rtu(device_, 115200));
  }
  void TearDown() override {
    client_.reset();
    plant_->stop();
  }

  std::unique_ptr<VirtualPlant> plant_;
  std::string device_;
  std::optional<ModbusClient> client_;
};

TEST_F(RtuBus, ReadsBatterySensorOverThePty) {
  const auto& map = dev::bm_cs_map();
  const auto fast = client_->read_input(21, map.fast.start, map.fast.count);
  ASSERT_TRUE(fast) << modbus_strerror(client_->last_errno());
  const auto v = dev::decode_from_block(map.reg("voltage"), 0, *fast);
  ASSERT_TRUE(v);
  EXPECT_GE(*v, 13.4);
  EXPECT_LE(*v, 13.9);
  const auto id = client_->read_input(24, dev::common::kDeviceType, 1);
  ASSERT_TRUE(id);
  EXPECT_EQ((*id)[0], static_cast<std::uint16_t>(dev::DeviceType::bm_cs));
  // A device of the other bus is not on this line.
  EXPECT_FALSE(client_->read_input(1, 0, 8));
  EXPECT_EQ(client_->last_errno(), ETIMEDOUT);
}

TEST_F(RtuBus, SiteForGatewayPointsAtThePty) {
  const model::Site site = plant_->site_for_gateway();
  const model::Bus* bus = site.find_bus("bus2");
  ASSERT_NE(bus, nullptr);
  EXPECT_EQ(bus->device, device_);
}

TEST_F(RtuBus, NoiseCorruptsCrcAndTheMasterRejectsIt) {
  plant_->set_bus_noise("bus2", 1.0);
  EXPECT_FALSE(client_->read_input(21, 0, 8));
  EXPECT_EQ(client_->last_errno(), EMBBADCRC);
  plant_->set_bus_noise("bus2", 0.0);
  modbus_flush(client_->raw());
  EXPECT_TRUE(client_->read_input(21, 0, 8));
}

TEST_F(RtuBus, WritesReachTheDeviceAndSilentDeviceTimesOut) {
  ASSERT_TRUE(client_->write(22, dev::bm_cs::kBalanceTimeout, 321));
  const auto h = client_->read_holding(22, dev::bm_cs::kBalanceTimeout, 1);
  ASSERT_TRUE(h);
  EXPECT_EQ((*h)[0], 321);
  plant_->set_device_silent("bus2", 22, true);
  EXPECT_FALSE(client_->read_input(22, 0, 8));
  EXPECT_EQ(client_->last_errno(), ETIMEDOUT);
}

// Raw bytes on the line: a frame with a bad CRC gets no answer, the same frame with a good CRC
// gets a well-formed reply that took at least its transmission time at the bus's baud rate.
TEST_F(RtuBus, BadCrcIsIgnoredGoodFrameIsAnsweredAtLineSpeed) {
  client_.reset();  // the raw port below is the only master now
  const int fd = ::open(device_.c_str(), O_RDWR | O_NOCTTY);
  ASSERT_GE(fd, 0);
  termios tio{};
  ::tcgetattr(fd, &tio);
  ::cfmakeraw(&tio);
  ::tcsetattr(fd, TCSANOW, &tio);
  auto read_reply = [&](int wait_ms) {
    std::vector<std::uint8_t> got;
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, wait_ms) > 0) {
      std::uint8_t buf[64];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.insert(got.end(), buf, buf + n);
      wait_ms = 20;  // the rest of the frame follows at once
    }
    return got;
  };
  // Unit 21, read input registers 1..2.
  std::vector<std::uint8_t> frame{21, 0x04, 0x00, 0x01, 0x00, 0x02};
  const std::uint16_t crc = modbus_crc16(frame);
  frame.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  frame.push_back(static_cast<std::uint8_t>(crc >> 8));

  auto bad = frame;
  bad.back() ^= 0xFF;
  ASSERT_EQ(::write(fd, bad.data(), bad.size()), static_cast<ssize_t>(bad.size()));
  EXPECT_TRUE(read_reply(150).empty());

  const auto sent = std::chrono::steady_clock::now();
  ASSERT_EQ(::write(fd, frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
  const auto reply = read_reply(500);
  const auto elapsed = std::chrono::steady_clock::now() - sent;
  ::close(fd);
  ASSERT_EQ(reply.size(), 9u);  // unit, fn, byte count, 2 registers, CRC
  EXPECT_EQ(reply[0], 21);
  EXPECT_EQ(reply[1], 0x04);
  EXPECT_EQ(reply[2], 4);
  EXPECT_EQ(modbus_crc16(std::span(reply.data(), 7)), reply[7] | (reply[8] << 8));
  // 9 bytes x 11 bits at 115200 baud plus the 2 ms turnaround: at least 2.8 ms.
  EXPECT_GE(elapsed, std::chrono::microseconds(2800));
}

// Back-to-back transactions as a real master polls: none may beat the physical line, so the
// total is at least (13 + 2K)·11/baud + 2·t3.5 + turnaround per transaction (ANCHORS.md), less
// the one gap before the very first request. A bus that delivered requests instantly would be
// about 8 · 11 / 115200 s = 0.76 ms per transaction under this floor.
TEST_F(RtuBus, TransactionsNeverBeatThePhysicalLine) {
  const auto& map = dev::bm_cs_map();
  const int registers = map.fast.count;
  constexpr int kTransactions = 20;
  constexpr double kBaud = 115200.0;
  constexpr double kT35_s = 0.00175;  // fixed above 19200 baud
  constexpr double kTurnaround_s = 0.002;
  ASSERT_TRUE(client_->read_input(21, map.fast.start, registers));  // line idle from here
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kTransactions; ++i) {
    ASSERT_TRUE(client_->read_input(21 + i % 4, map.fast.start, registers))
        << modbus_strerror(client_->last_errno());
  }
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double per_transaction_s =
      (13.0 + 2.0 * registers) * 11.0 / kBaud + 2.0 * kT35_s + kTurnaround_s;
  EXPECT_GE(elapsed_s, kTransactions * per_transaction_s - kT35_s)
      << "per transaction " << elapsed_s / kTransactions * 1000.0 << " ms, floor "
      << per_transaction_s * 1000.0 << " ms";
}

}  // namespace
}  // namespace btms::plant::test
