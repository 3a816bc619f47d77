#include "scada/scada_writes.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_engine_service.hpp"
#include "scada/scada_map.hpp"
#include "scada_fixture.hpp"

namespace btms::scada {
namespace {

// "AcknowledgeAlarmsOf string/2", "AcknowledgeAlarm *": what the engine was asked, in a form a
// table can hold.
std::string describe(const engine::Action& action) {
  if (const auto* of = std::get_if<engine::AcknowledgeAlarmsOf>(&action)) {
    return "AcknowledgeAlarmsOf " + of->source;
  }
  if (const auto* one = std::get_if<engine::AcknowledgeAlarm>(&action)) {
    return "AcknowledgeAlarm " + one->alarm_key;
  }
  return "other action";
}

std::uint32_t ip(const char* text) {
  std::uint32_t address = 0;
  EXPECT_TRUE(parse_ipv4(text, address)) << text;
  return address;
}

struct WriteCase {
  const char* name;
  bool allow_writes;
  std::vector<std::string> allow_list;
  const char* client;
  int unit_id;
  std::uint16_t address;
  std::vector<std::uint16_t> values;
  std::uint8_t exception;             // 0 = accepted
  std::vector<std::string> expected;  // actions submitted, in order
};

// The fixture's site: UPS 1 with strings 1 (4 batteries) and 2 (2 batteries).
const std::vector<WriteCase> kCases = {
    {"disabled", false, {"127.0.0.1"}, "127.0.0.1", 101, 24, {kAcknowledgeValue}, 0x01, {}},
    {"address not allowed",
     true,
     {"10.0.0.5"},
     "127.0.0.1",
     101,
     24,
     {kAcknowledgeValue},
     0x01,
     {}},
    {"outside the CIDR range",
     true,
     {"10.0.1.0/24"},
     "10.0.2.1",
     101,
     24,
     {kAcknowledgeValue},
     0x01,
     {}},
    {"wrong value 1", true, {"127.0.0.1"}, "127.0.0.1", 101, 24, {1}, 0x03, {}},
    {"wrong value 0", true, {"127.0.0.1"}, "127.0.0.1", 101, 24, {0}, 0x03, {}},
    {"two registers",
     true,
     {"127.0.0.1"},
     "127.0.0.1",
     101,
     24,
     {kAcknowledgeValue, kAcknowledgeValue},
     0x03,
     {}},
    {"quantity and byte count disagree", true, {"127.0.0.1"}, "127.0.0.1", 101, 24, {}, 0x03, {}},
    {"readable, not writable",
     true,
     {"127.0.0.1"},
     "127.0.0.1",
     101,
     23,
     {kAcknowledgeValue},
     0x02,
     {}},
    {"published register", true, {"127.0.0.1"}, "127.0.0.1", 101, 1, {kAcknowledgeValue}, 0x02, {}},
    {"battery block", true, {"127.0.0.1"}, "127.0.0.1", 101, 224, {kAcknowledgeValue}, 0x02, {}},
    {"string register on a UPS unit",
     true,
     {"127.0.0.1"},
     "127.0.0.1",
     1,
     24,
     {kAcknowledgeValue},
     0x02,
     {}},
    {"string not configured",
     true,
     {"127.0.0.1"},
     "127.0.0.1",
     103,
     24,
     {kAcknowledgeValue},
     0x02,
     {}},
    {"UPS not configured", true, {"127.0.0.1"}, "127.0.0.1", 2, 10, {kAcknowledgeValue}, 0x02, {}},
    {"string 2",
     true,
     {"127.0.0.1"},
     "127.0.0.1",
     102,
     24,
     {kAcknowledgeValue},
     0,
     {"AcknowledgeAlarmsOf string/2"}},
    {"string 1 from a CIDR range",
     true,
     {"10.0.0.5", "10.0.1.0/24"},
     "10.0.1.7",
     101,
     24,
     {kAcknowledgeValue},
     0,
     {"AcknowledgeAlarmsOf string/1"}},
    {"UPS 1 and its strings",
     true,
     {"127.0.0.0/8"},
     "127.0.0.1",
     1,
     10,
     {kAcknowledgeValue},
     0,
     {"AcknowledgeAlarmsOf ups/1", "AcknowledgeAlarmsOf string/1", "AcknowledgeAlarmsOf string/2"}},
    {"whole site",
     true,
     {"127.0.0.1"},
     "127.0.0.1",
     1,
     11,
     {kAcknowledgeValue},
     0,
     {"AcknowledgeAlarm *"}},
};

TEST(ScadaWrites, TableOfCases) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    testing::Fixture f;
    auto engine = std::make_shared<testing::FakeEngineService>();
    ScadaWrites writes(c.allow_writes, AddressAllowList(c.allow_list), f.site);
    writes.set_engine(engine);
    WriteClient client{ip(c.client), false};
    EXPECT_EQ(writes.write(client, c.unit_id, c.address, c.values), c.exception);

    const auto submitted = engine->submitted();
    std::vector<std::string> asked;
    for (const auto& s : submitted) {
      asked.push_back(describe(s.action));
      EXPECT_EQ(s.actor.address, std::string("scada ") + c.client);
      EXPECT_EQ(s.actor.user, "scada");
    }
    EXPECT_EQ(asked, c.expected);

    const auto counters = writes.counters();
    EXPECT_EQ(counters.accepted, c.exception == 0 ? 1u : 0u);
    EXPECT_EQ(counters.refused, c.exception == 0 ? 0u : 1u);
    EXPECT_EQ(counters.refused_disabled, c.allow_writes ? 0u : 1u);
  }
}

TEST(ScadaWrites, NotAllowedClientIsCountedAndLoggedOncePerConnection) {
  testing::Fixture f;
  auto engine = std::make_shared<testing::FakeEngineService>();
  ScadaWrites writes(true, AddressAllowList({"10.0.0.5"}), f.site);
  writes.set_engine(engine);
  WriteClient client{ip("10.0.0.6"), false};
  const std::uint16_t value = kAcknowledgeValue;
  EXPECT_EQ(writes.write(client, 101, 24, std::span(&value, 1)), kIllegalFunction);
  EXPECT_TRUE(client.refusal_logged);
  EXPECT_EQ(writes.write(client, 101, 24, std::span(&value, 1)), kIllegalFunction);
  EXPECT_EQ(writes.counters().refused_not_allowed, 2u);
  EXPECT_EQ(writes.counters().refused, 2u);
  EXPECT_TRUE(engine->submitted().empty());
}

TEST(ScadaWrites, WithoutAnEngineAnswersDeviceFailure) {
  testing::Fixture f;
  ScadaWrites writes(true, AddressAllowList({"127.0.0.1"}), f.site);
  WriteClient client{ip("127.0.0.1"), false};
  const std::uint16_t value = kAcknowledgeValue;
  EXPECT_EQ(writes.write(client, 101, 24, std::span(&value, 1)), kServerDeviceFailure);
  auto engine = std::make_shared<testing::FakeEngineService>();
  writes.set_engine(engine);
  EXPECT_EQ(writes.write(client, 101, 24, std::span(&value, 1)), 0);
  EXPECT_EQ(engine->submitted().size(), 1u);
  writes.set_engine(nullptr);
  EXPECT_EQ(writes.write(client, 101, 24, std::span(&value, 1)), kServerDeviceFailure);
  EXPECT_EQ(writes.counters().accepted, 1u);
  EXPECT_EQ(writes.counters().refused, 2u);
}

TEST(ScadaWrites, AnEngineRefusalDoesNotChangeTheModbusAnswer) {
  // The server never waits for the engine: the reply says "queued"; a refusal is only logged.
  testing::Fixture f;
  auto engine = std::make_shared<testing::FakeEngineService>();
  engine->answer_ok(false);
  ScadaWrites writes(true, AddressAllowList({"127.0.0.1"}), f.site);
  writes.set_engine(engine);
  WriteClient client{ip("127.0.0.1"), false};
  const std::uint16_t value = kAcknowledgeValue;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(writes.write(client, 101, 24, std::span(&value, 1)), 0);
  EXPECT_EQ(engine->submitted().size(), 3u);
  EXPECT_EQ(writes.counters().accepted, 3u);
}

TEST(ScadaWrites, CommentNamesTheRegister) {
  testing::Fixture f;
  auto engine = std::make_shared<testing::FakeEngineService>();
  ScadaWrites writes(true, AddressAllowList({"127.0.0.1"}), f.site);
  writes.set_engine(engine);
  WriteClient client{ip("127.0.0.1"), false};
  const std::uint16_t value = kAcknowledgeValue;
  ASSERT_EQ(writes.write(client, 101, 24, std::span(&value, 1)), 0);
  const auto submitted = engine->submitted();
  ASSERT_EQ(submitted.size(), 1u);
  const auto& of = std::get<engine::AcknowledgeAlarmsOf>(submitted[0].action);
  EXPECT_NE(of.comment.find("acknowledge_string"), std::string::npos) << of.comment;
  EXPECT_NE(of.comment.find("101"), std::string::npos) << of.comment;
}

}  // namespace
}  // namespace btms::scada
