// Scenario parsing (errors with file/line/reason) and events applied by a running plant.
#include "plant/scenario.hpp"

#include <gtest/gtest.h>

#include "devices/register_map.hpp"
#include "modbus_client.hpp"
#include "plant/virtual_plant.hpp"
#include "test_site.hpp"

namespace btms::plant::test {
namespace {

namespace dev = btms::devices;

TEST(Scenario, ParsesEveryEventType) {
  const auto result = parse_scenario_string(R"(
[[event]]
at_s = 0
type = "input_change"
point = "mc:5"
value = true

[[event]]
at_s = 10
type = "mains_fail"
ups = 1

[[event]]
at_s = 10.5
type = "resistance_rise"
string = 1
position = 3
factor = 1.8

[[event]]
at_s = 20
type = "bus_noise"
bus = "bus2"
percent = 5

[[event]]
at_s = 30
type = "sensor_silent"
string = 2
position = 4

[[event]]
at_s = 40
type = "insulation_fault"
string = 1
pos_kOhm = 80
neg_kOhm = 5000

[[event]]
at_s = 50
type = "relay_welded"
string = 2

[[event]]
at_s = 60
type = "thermal_runaway"
string = 1
position = 1

[[event]]
at_s = 70
type = "open_battery"
string = 2
position = 2

[[event]]
at_s = 80
type = "mains_restore"
ups = 1
)",
                                            two_string_site());
  ASSERT_TRUE(result.ok()) << result.errors.front().line << ": " << result.errors.front().reason;
  const auto& events = result.scenario->events;
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(events[0].kind, ScenarioEventKind::input_change);
  EXPECT_EQ(events[0].point, (model::IoPoint{0, 5}));
  EXPECT_EQ(events[2].kind, ScenarioEventKind::resistance_rise);
  EXPECT_DOUBLE_EQ(events[2].at_s, 10.5);
  EXPECT_DOUBLE_EQ(events[2].factor, 1.8);
  EXPECT_EQ(events[2].position, 3);
  EXPECT_EQ(events[3].bus, "bus2");
  EXPECT_TRUE(events[4].flag);
  EXPECT_DOUBLE_EQ(events[5].pos_kOhm, 80.0);
  EXPECT_EQ(events[9].kind, ScenarioEventKind::mains_restore);
}

struct BadCase {
  const char* what;
  const char* body;  // one event table, starting on line 2
  const char* reason_contains;
};

class BadScenario : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadScenario, ReportsFileLineAndReason) {
  const BadCase& c = GetParam();
  const std::string text = std::string("[[event]]\nat_s = 1\ntype = \"mains_fail\"\nups = 1\n") +
                           "\n[[event]]\n" + c.body;
  const auto result = parse_scenario_string(text, two_string_site(), "bad.toml");
  ASSERT_FALSE(result.ok()) << c.what;
  EXPECT_FALSE(result.scenario.has_value());
  EXPECT_EQ(result.errors.front().file, "bad.toml");
  EXPECT_EQ(result.errors.front().line, 6) << c.what;
  EXPECT_NE(result.errors.front().reason.find(c.reason_contains), std::string::npos)
      << c.what << ": " << result.errors.front().reason;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadScenario,
    ::testing::Values(
        BadCase{"unknown event", "at_s = 2\ntype = \"meteor\"\n", "unknown event"},
        BadCase{"missing string", "at_s = 2\ntype = \"open_battery\"\nstring = 9\nposition = 1\n",
                "string 9 does not exist"},
        BadCase{"missing battery", "at_s = 2\ntype = \"open_battery\"\nstring = 1\nposition = 5\n",
                "no battery 5"},
        BadCase{"missing ups", "at_s = 2\ntype = \"mains_fail\"\nups = 3\n", "UPS 3"},
        BadCase{"missing bus", "at_s = 2\ntype = \"bus_noise\"\nbus = \"x\"\npercent = 1\n",
                "bus 'x'"},
        BadCase{"missing input", "at_s = 2\ntype = \"input_change\"\npoint = \"lc3:1\"\n",
                "does not exist"},
        BadCase{"negative time", "at_s = -5\ntype = \"mains_fail\"\nups = 1\n", "negative"},
        BadCase{"decreasing time", "at_s = 0.5\ntype = \"mains_fail\"\nups = 1\n", "backwards"},
        BadCase{"missing key", "at_s = 2\ntype = \"relay_welded\"\n", "missing 'string'"},
        // Issue 17 item 10: NaN and infinity were accepted, unknown keys ignored.
        BadCase{"nan time", "at_s = nan\ntype = \"mains_fail\"\nups = 1\n", "finite"},
        BadCase{"infinite time", "at_s = inf\ntype = \"mains_fail\"\nups = 1\n", "finite"},
        BadCase{"nan factor",
                "at_s = 2\ntype = \"resistance_rise\"\nstring = 1\nposition = 1\nfactor = nan\n",
                "finite"},
        BadCase{"infinite factor",
                "at_s = 2\ntype = \"resistance_rise\"\nstring = 1\nposition = 1\nfactor = inf\n",
                "finite"},
        BadCase{"unknown key", "at_s = 2\ntype = \"mains_fail\"\nups = 1\nupss = 2\n",
                "unknown key 'upss'"},
        BadCase{"key of another event", "at_s = 2\ntype = \"mains_fail\"\nups = 1\nstring = 1\n",
                "unknown key 'string'"}));

TEST(Scenario, EventThatIsNotATableIsAnError) {
  for (const char* text : {"event = 5\n", "event = [1, 2]\n"}) {
    const auto result = parse_scenario_string(text, two_string_site(), "s.toml");
    ASSERT_FALSE(result.ok()) << text;
    EXPECT_NE(result.errors.front().reason.find("array of tables"), std::string::npos) << text;
  }
}

TEST(Scenario, SyntaxErrorHasLine) {
  const auto result = parse_scenario_string("[[event]]\nat_s = = 3\n", two_string_site(), "s.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.errors.front().line, 2);
}

TEST(Scenario, MissingFileIsAnError) {
  const auto result = parse_scenario_file("/nonexistent/scenario.toml", two_string_site());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.errors.front().file, "/nonexistent/scenario.toml");
}

TEST(Scenario, RunningPlantAppliesEventsInSimulatedTime) {
  const model::Site site = two_string_site();
  auto parsed = parse_scenario_string(R"(
[[event]]
at_s = 0
type = "input_change"
point = "mc:5"

[[event]]
at_s = 30
type = "sensor_silent"
string = 1
position = 2

[[event]]
at_s = 30
type = "insulation_fault"
string = 1
pos_kOhm = 80
neg_kOhm = 5000
)",
                                      site);
  ASSERT_TRUE(parsed.ok());
  PlantOptions options;
  options.tcp_pick_free_ports = true;
  options.speed = 100.0;
  options.scenario = std::make_shared<Scenario>(*parsed.scenario);
  VirtualPlant plant(site, options);
  plant.start();
  int port = 0;
  for (const auto& bus : plant.served_buses()) {
    if (bus.bus_name == "bus1") port = bus.port;
  }
  ModbusClient client = ModbusClient::tcp(port);
  ASSERT_TRUE(eventually([&] {
    const auto in = client.read_input(kMcAddress, dev::bm_mc::kInputs, 1);
    return in && ((*in)[0] & (1u << 4)) != 0;
  }));
  ASSERT_TRUE(eventually([&] { return !client.read_input(2, 0, 8).has_value(); }));
  EXPECT_TRUE(client.read_input(1, 0, 8).has_value());
  double pos_kOhm = 0.0;
  plant.with_model([&](PlantModel& m) { pos_kOhm = m.string(1).insulation_pos_kOhm; });
  EXPECT_NEAR(pos_kOhm, 80.0, 1.0);
}

}  // namespace
}  // namespace btms::plant::test
