// Writes against the running server: libmodbus and mbpoll (a third-party master) write the
// acknowledgement registers, and the fake engine shows what was queued and for whom.
#include <gtest/gtest.h>
#include <modbus.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "fake_engine_service.hpp"
#include "scada/scada_map.hpp"
#include "scada/scada_server.hpp"
#include "scada_fixture.hpp"
#include "shell_output.hpp"

namespace btms::scada {
namespace {

constexpr const char* kMbpoll = "/usr/bin/mbpoll";

using e2e::CommandResult;
using e2e::run_command;

// mbpoll writing one holding register (0-based address), once, 1 s timeout.
CommandResult mbpoll_write(int port, int unit, int address, int value) {
  return run_command(std::string(kMbpoll) + " -m tcp -p " + std::to_string(port) + " -a " +
                     std::to_string(unit) + " -t 4 -r " + std::to_string(address) +
                     " -0 -1 -o 1 127.0.0.1 " + std::to_string(value));
}

std::string source_of(const engine::Action& action) {
  if (const auto* of = std::get_if<engine::AcknowledgeAlarmsOf>(&action)) return of->source;
  if (const auto* one = std::get_if<engine::AcknowledgeAlarm>(&action)) return one->alarm_key;
  return "?";
}

class ScadaServerWrites : public ::testing::Test {
 protected:
  testing::Fixture f;
  std::shared_ptr<model::SnapshotPublisher> plant = std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<testing::FakeEngineService> engine =
      std::make_shared<testing::FakeEngineService>();
  std::unique_ptr<ScadaServer> server;

  void start(std::vector<std::string> allow_list) {
    plant->publish(f.plant);
    ScadaOptions options;
    options.port = 0;
    options.allow_writes = true;
    options.write_allow_list = std::move(allow_list);
    server = std::make_unique<ScadaServer>(options, plant, nullptr, f.site);
    server->set_engine(engine);
    server->start();
  }
  void TearDown() override {
    if (server) server->stop();
  }
  modbus_t* connect(int unit) {
    modbus_t* ctx = modbus_new_tcp("127.0.0.1", server->port());
    modbus_set_slave(ctx, unit);
    modbus_set_response_timeout(ctx, 2, 0);
    EXPECT_EQ(modbus_connect(ctx), 0);
    return ctx;
  }
};

TEST_F(ScadaServerWrites, LibmodbusAcknowledgesAndGetsTheProperExceptions) {
  start({"127.0.0.1"});
  modbus_t* ctx = connect(101);
  EXPECT_EQ(modbus_write_register(ctx, 24, kAcknowledgeValue), 1);
  const std::uint16_t value = kAcknowledgeValue;
  EXPECT_EQ(modbus_write_registers(ctx, 24, 1, &value), 1);
  EXPECT_EQ(modbus_write_register(ctx, 24, 1), -1);
  EXPECT_EQ(errno, EMBXILVAL);
  EXPECT_EQ(modbus_write_register(ctx, 2, kAcknowledgeValue), -1);
  EXPECT_EQ(errno, EMBXILADD);
  const std::uint16_t two[] = {kAcknowledgeValue, kAcknowledgeValue};
  EXPECT_EQ(modbus_write_registers(ctx, 24, 2, two), -1);
  EXPECT_EQ(errno, EMBXILVAL);
  // The command register reads 0 and reading still works on the same connection.
  std::uint16_t reg = 0xFFFF;
  EXPECT_EQ(modbus_read_registers(ctx, 24, 1, &reg), 1);
  EXPECT_EQ(reg, 0);
  modbus_close(ctx);
  modbus_free(ctx);

  const auto submitted = engine->submitted();
  ASSERT_EQ(submitted.size(), 2u);
  for (const auto& s : submitted) {
    EXPECT_EQ(source_of(s.action), "string/1");
    EXPECT_EQ(s.actor.address, "scada 127.0.0.1");
  }
  const auto counters = server->write_counters();
  EXPECT_EQ(counters.accepted, 2u);
  EXPECT_EQ(counters.refused, 3u);
}

TEST_F(ScadaServerWrites, AnswersWithoutWaitingForTheEngine) {
  engine->hold_results(true);  // the engine never finishes the acknowledgement
  start({"127.0.0.0/8"});
  modbus_t* ctx = connect(1);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(modbus_write_register(ctx, 11, kAcknowledgeValue), 1);
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  EXPECT_EQ(engine->submitted().size(), 20u);
  EXPECT_EQ(source_of(engine->submitted()[0].action), "*");
  modbus_close(ctx);
  modbus_free(ctx);
  server->stop();
  engine->release_held();
}

TEST_F(ScadaServerWrites, MbpollWritesTheAcknowledgeRegister) {
  if (::access(kMbpoll, X_OK) != 0) GTEST_SKIP() << "mbpoll not installed";
  start({"127.0.0.1"});
  const auto ok = mbpoll_write(server->port(), 102, 24, kAcknowledgeValue);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("Written 1 references"), std::string::npos) << ok.output;
  auto submitted = engine->submitted();
  ASSERT_EQ(submitted.size(), 1u) << ok.output;
  EXPECT_EQ(source_of(submitted[0].action), "string/2");
  EXPECT_EQ(submitted[0].actor.address, "scada 127.0.0.1");

  const auto ups = mbpoll_write(server->port(), 1, 10, kAcknowledgeValue);
  EXPECT_EQ(ups.exit_code, 0) << ups.output;
  submitted = engine->submitted();
  ASSERT_EQ(submitted.size(), 4u) << ups.output;
  EXPECT_EQ(source_of(submitted[1].action), "ups/1");
  EXPECT_EQ(source_of(submitted[2].action), "string/1");
  EXPECT_EQ(source_of(submitted[3].action), "string/2");

  const auto wrong_value = mbpoll_write(server->port(), 102, 24, 1);
  EXPECT_NE(wrong_value.exit_code, 0);
  EXPECT_NE(wrong_value.output.find("Illegal data value"), std::string::npos) << wrong_value.output;
  const auto wrong_address = mbpoll_write(server->port(), 102, 23, kAcknowledgeValue);
  EXPECT_NE(wrong_address.exit_code, 0);
  EXPECT_NE(wrong_address.output.find("Illegal data address"), std::string::npos)
      << wrong_address.output;
  EXPECT_EQ(engine->submitted().size(), 4u);
}

TEST_F(ScadaServerWrites, MbpollFromAnAddressNotAllowedGetsIllegalFunction) {
  if (::access(kMbpoll, X_OK) != 0) GTEST_SKIP() << "mbpoll not installed";
  start({"10.0.0.5", "10.0.1.0/24"});  // loopback is not in the list
  const auto refused = mbpoll_write(server->port(), 101, 24, kAcknowledgeValue);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("Illegal function"), std::string::npos) << refused.output;
  EXPECT_TRUE(engine->submitted().empty());
  EXPECT_EQ(server->write_counters().refused_not_allowed, 1u);
}

TEST(ScadaServerWriteOptions, WritesNeedAValidAllowList) {
  testing::Fixture f;
  ScadaOptions options;
  options.port = 0;
  options.allow_writes = true;
  EXPECT_THROW(ScadaServer(options, nullptr, nullptr, f.site), std::invalid_argument);
  options.write_allow_list = {"10.0.0.0/40"};
  EXPECT_THROW(ScadaServer(options, nullptr, nullptr, f.site), std::invalid_argument);
  options.write_allow_list = {"127.0.0.1"};
  ScadaServer server(options, nullptr, nullptr, f.site);
  server.start();
  EXPECT_GT(server.port(), 0);
  server.stop();
}

TEST(ScadaServerWriteOptions, DisabledWritesAreCountedAsRefused) {
  testing::Fixture f;
  auto plant = std::make_shared<model::SnapshotPublisher>();
  plant->publish(f.plant);
  auto engine = std::make_shared<testing::FakeEngineService>();
  ScadaOptions options;
  options.port = 0;
  options.write_allow_list = {"127.0.0.1"};  // listed, but writes are off
  ScadaServer server(options, plant, nullptr, f.site);
  server.set_engine(engine);
  server.start();
  modbus_t* ctx = modbus_new_tcp("127.0.0.1", server.port());
  modbus_set_slave(ctx, 101);
  ASSERT_EQ(modbus_connect(ctx), 0);
  EXPECT_EQ(modbus_write_register(ctx, 24, kAcknowledgeValue), -1);
  EXPECT_EQ(errno, EMBXILFUN);
  modbus_close(ctx);
  modbus_free(ctx);
  server.stop();
  EXPECT_TRUE(engine->submitted().empty());
  EXPECT_EQ(server.write_counters().refused_disabled, 1u);
  EXPECT_EQ(server.write_counters().accepted, 0u);
}

}  // namespace
}  // namespace btms::scada
