#include "scada/scada_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <modbus.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "scada_fixture.hpp"

namespace btms::scada {
namespace {

class ScadaServerTest : public ::testing::Test {
 protected:
  testing::Fixture f;
  std::shared_ptr<model::SnapshotPublisher> plant = std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<model::SnapshotPublisher> derived = std::make_shared<model::SnapshotPublisher>();
  std::unique_ptr<ScadaServer> server;

  void SetUp() override {
    f.set_plant("string/1/voltage", 542.37);
    f.set_plant("string/1/current", -123.45);
    f.set_plant("battery/1/2/voltage", 13.545);
    f.set_plant("battery/1/2/resistance", 4.321);
    f.set_plant("battery/1/2/temperature", -5.3);
    f.set_derived("battery/1/2/soc", 87);
    plant->publish(f.plant);
    derived->publish(f.derived);
    ScadaOptions options;
    options.port = 0;
    server = std::make_unique<ScadaServer>(options, plant, derived, f.site);
    server->start();
  }
  void TearDown() override { server->stop(); }

  modbus_t* connect(int unit) {
    modbus_t* ctx = modbus_new_tcp("127.0.0.1", server->port());
    EXPECT_NE(ctx, nullptr);
    modbus_set_slave(ctx, unit);
    modbus_set_response_timeout(ctx, 2, 0);
    EXPECT_EQ(modbus_connect(ctx), 0);
    return ctx;
  }

  int raw_socket() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(server->port()));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }
};

TEST_F(ScadaServerTest, LibmodbusReadsStringAndBattery) {
  modbus_t* ctx = connect(101);
  std::array<std::uint16_t, 15> regs{};
  ASSERT_EQ(modbus_read_registers(ctx, 0, 15, regs.data()), 15);
  EXPECT_EQ(regs[0], 1);
  EXPECT_EQ(regs[1], 1);
  EXPECT_EQ((regs[2] << 16) | regs[3], 54237);
  EXPECT_EQ(static_cast<std::int32_t>((regs[4] << 16) | regs[5]), -12345);
  EXPECT_EQ(regs[10], 4);
  std::array<std::uint16_t, 6> battery{};
  ASSERT_EQ(modbus_read_input_registers(ctx, 200, 6, battery.data()), 6);
  EXPECT_EQ(battery[0], 1);
  EXPECT_EQ(battery[1], 13545);
  EXPECT_EQ((battery[2] << 16) | battery[3], 4321);
  EXPECT_EQ(static_cast<std::int16_t>(battery[4]), -53);
  EXPECT_EQ(battery[5], 87);
  modbus_close(ctx);
  modbus_free(ctx);
}

TEST_F(ScadaServerTest, LibmodbusExceptions) {
  std::array<std::uint16_t, 125> regs{};
  modbus_t* ctx = connect(50);
  EXPECT_EQ(modbus_read_registers(ctx, 0, 1, regs.data()), -1);
  EXPECT_EQ(errno, EMBXGTAR);
  modbus_set_slave(ctx, 101);
  EXPECT_EQ(modbus_read_registers(ctx, 12100, 20, regs.data()), -1);
  EXPECT_EQ(errno, EMBXILADD);
  EXPECT_EQ(modbus_write_register(ctx, 0, 1), -1);
  EXPECT_EQ(errno, EMBXILFUN);
  EXPECT_EQ(modbus_write_registers(ctx, 0, 2, regs.data()), -1);
  EXPECT_EQ(errno, EMBXILFUN);
  // The connection survives exceptions.
  EXPECT_EQ(modbus_read_registers(ctx, 100, 125, regs.data()), 125);
  modbus_close(ctx);
  modbus_free(ctx);
}

TEST_F(ScadaServerTest, FollowsNewSnapshots) {
  modbus_t* ctx = connect(101);
  auto next = std::make_shared<model::Snapshot>(*f.plant);
  next->samples[*next->channels->find("battery/1/2/voltage")].quality = model::Quality::stale;
  next->sequence += 1;
  plant->publish(next);
  std::uint16_t status = 0;
  for (int i = 0; i < 200 && status != 2; ++i) {
    ASSERT_EQ(modbus_read_registers(ctx, 200, 1, &status), 1);
    if (status != 2) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(status, 2);
  std::uint16_t voltage = 0;
  ASSERT_EQ(modbus_read_registers(ctx, 201, 1, &voltage), 1);
  EXPECT_EQ(voltage, 0xFFFF);
  modbus_close(ctx);
  modbus_free(ctx);
}

TEST_F(ScadaServerTest, ManyClientsAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int c = 0; c < 16; ++c) {
    threads.emplace_back([&] {
      modbus_t* ctx = connect(101);
      std::uint16_t reg = 0;
      for (int i = 0; i < 50; ++i) {
        if (modbus_read_registers(ctx, 201, 1, &reg) == 1 && reg == 13545) ++good;
      }
      modbus_close(ctx);
      modbus_free(ctx);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 16 * 50);
}

std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  ::pclose(pipe);
  return output;
}

TEST_F(ScadaServerTest, MbpollReadsStringAndBattery) {
  if (::access("/usr/bin/mbpoll", X_OK) != 0) GTEST_SKIP() << "mbpoll not installed";
  const auto port = std::to_string(server->port());
  const auto string_regs =
      run("/usr/bin/mbpoll -m tcp -a 101 -t 4 -r 1 -c 15 -0 -1 -p " + port + " 127.0.0.1");
  EXPECT_NE(string_regs.find("[1]: \t1"), std::string::npos) << string_regs;
  EXPECT_NE(string_regs.find("[10]: \t4"), std::string::npos) << string_regs;
  // Battery 2 voltage as u16 and its resistance as a 32-bit integer (mbpoll -i = high word first).
  const auto battery =
      run("/usr/bin/mbpoll -m tcp -a 101 -t 3 -r 201 -c 1 -0 -1 -p " + port + " 127.0.0.1");
  EXPECT_NE(battery.find("[201]: \t13545"), std::string::npos) << battery;
  const auto resistance =
      run("/usr/bin/mbpoll -m tcp -a 101 -t 4:int -B -r 202 -c 1 -0 -1 -p " + port + " 127.0.0.1");
  EXPECT_NE(resistance.find("4321"), std::string::npos) << resistance;
  const auto bad_unit =
      run("/usr/bin/mbpoll -m tcp -a 50 -t 4 -r 0 -c 1 -0 -1 -p " + port + " 127.0.0.1 2>&1");
  EXPECT_EQ(bad_unit.find("[0]:"), std::string::npos) << bad_unit;
}

// Garbage and huge lengths: the server closes those connections and keeps serving everyone
// else; a PDU too short for its function is answered with exception 03.
TEST_F(ScadaServerTest, MalformedFramesCloseTheConnectionOnly) {
  std::mt19937 rng(7);
  for (int round = 0; round < 60; ++round) {
    const int fd = raw_socket();
    std::vector<std::uint8_t> bytes(1 + rng() % 400);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    if (round % 3 == 1) bytes = {0, 1, 0, 0, 0xFF, 0xFF, 101, 3};  // huge length
    if (round % 3 == 2) bytes = {0, 1, 0, 0, 0, 4, 101, 3, 0, 0};  // truncated PDU
    [[maybe_unused]] auto sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (round % 3 == 1) {
      std::uint8_t buf[16];
      EXPECT_EQ(::recv(fd, buf, sizeof buf, 0), 0);  // closed by the server
    } else if (round % 3 == 2) {
      std::uint8_t buf[16];
      ASSERT_EQ(::recv(fd, buf, sizeof buf, 0), 9);
      EXPECT_EQ(buf[7], 0x83);
      EXPECT_EQ(buf[8], kIllegalDataValue);
    }
    ::close(fd);
  }
  // A truncated header that never completes just waits; the server still answers others.
  const int idle = raw_socket();
  const std::uint8_t partial[] = {0, 1, 0};
  [[maybe_unused]] auto sent = ::send(idle, partial, sizeof partial, 0);
  modbus_t* ctx = connect(101);
  std::uint16_t reg = 0;
  EXPECT_EQ(modbus_read_registers(ctx, 201, 1, &reg), 1);
  EXPECT_EQ(reg, 13545);
  modbus_close(ctx);
  modbus_free(ctx);
  ::close(idle);
}

TEST(ScadaServer, StopsTwice) {
  testing::Fixture f;
  ScadaOptions options;
  options.port = 0;
  ScadaServer server(options, nullptr, nullptr, f.site);
  server.start();
  EXPECT_GT(server.port(), 0);
  server.stop();
  server.stop();
}

}  // namespace
}  // namespace btms::scada

namespace btms::scada {
namespace {

TEST(ScadaServer, RefusesClientsOverTheCap) {
  testing::Fixture f;
  auto plant = std::make_shared<model::SnapshotPublisher>();
  plant->publish(f.plant);
  ScadaOptions options;
  options.port = 0;
  options.max_clients = 2;
  options.evict_idle_after_ms = 600'000;  // both clients count as active: nobody is evicted
  ScadaServer server(options, plant, nullptr, f.site);
  server.start();
  std::vector<modbus_t*> clients;
  std::uint16_t reg = 0;
  for (int i = 0; i < 2; ++i) {
    clients.push_back(modbus_new_tcp("127.0.0.1", server.port()));
    modbus_set_slave(clients.back(), 101);
    ASSERT_EQ(modbus_connect(clients.back()), 0);
    ASSERT_EQ(modbus_read_registers(clients.back(), 10, 1, &reg), 1);
    EXPECT_EQ(reg, 4);
  }
  modbus_t* third = modbus_new_tcp("127.0.0.1", server.port());
  modbus_set_slave(third, 101);
  modbus_set_response_timeout(third, 1, 0);
  ASSERT_EQ(modbus_connect(third), 0);  // the kernel accepts; the server then closes it
  EXPECT_EQ(modbus_read_registers(third, 10, 1, &reg), -1);
  modbus_close(third);
  modbus_free(third);
  // Once a client leaves, a new one is served.
  modbus_close(clients[0]);
  modbus_free(clients[0]);
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    modbus_t* next = modbus_new_tcp("127.0.0.1", server.port());
    modbus_set_slave(next, 101);
    served = modbus_connect(next) == 0 && modbus_read_registers(next, 10, 1, &reg) == 1;
    modbus_close(next);
    modbus_free(next);
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(served);
  EXPECT_EQ(modbus_read_registers(clients[1], 10, 1, &reg), 1);
  modbus_close(clients[1]);
  modbus_free(clients[1]);
  server.stop();
}

}  // namespace
}  // namespace btms::scada
