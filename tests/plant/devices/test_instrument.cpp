// The virtual plant as a test instrument: the scenario events that drive it (UPS load, room
// temperature, a heat source, ageing), the [expect] table, its clock and speed limit, and the
// truth endpoint that tells what the plant really is.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "plant/scenario.hpp"
#include "plant/truth_server.hpp"
#include "plant/virtual_plant.hpp"
#include "test_site.hpp"

namespace btms::plant::test {
namespace {

TEST(ScenarioInstrument, ParsesLoadAmbientHeatAgeAndExpect) {
  const auto result = parse_scenario_string(R"(
[[event]]
at_s = 0
type = "ups_load"
ups = 1
kW = 12.5

[[event]]
at_s = 5
type = "ups_load"
ups = 1
current_A = 150

[[event]]
at_s = 10
type = "ambient"
th = 1
temperature_C = 35

[[event]]
at_s = 20
type = "heat_source"
string = 2
position = 3
watts = 25

[[event]]
at_s = 30
type = "age"
years = 4.5

[expect]
run_s = 600
raised = ["battery_temperature_warning@battery/2/3"]
not_raised = ["string_thermal_runaway"]
tripped = []
discharges = [1]
)",
                                            two_string_site());
  for (const auto& e : result.errors) ADD_FAILURE() << e.line << ": " << e.reason;
  ASSERT_TRUE(result.ok());
  const auto& ev = result.scenario->events;
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[0].kind, ScenarioEventKind::ups_load);
  EXPECT_DOUBLE_EQ(ev[0].load_kW, 12.5);
  EXPECT_LT(ev[0].load_A, 0.0);
  EXPECT_DOUBLE_EQ(ev[1].load_A, 150.0);
  EXPECT_LT(ev[1].load_kW, 0.0);
  EXPECT_EQ(ev[2].kind, ScenarioEventKind::ambient);
  EXPECT_EQ(ev[2].th, 1);
  EXPECT_DOUBLE_EQ(ev[2].temperature_C, 35.0);
  EXPECT_LT(ev[2].humidity_pct, 0.0);  // unchanged
  EXPECT_EQ(ev[3].kind, ScenarioEventKind::heat_source);
  EXPECT_DOUBLE_EQ(ev[3].watts, 25.0);
  EXPECT_EQ(ev[4].kind, ScenarioEventKind::age);
  EXPECT_DOUBLE_EQ(ev[4].years, 4.5);
  const auto& x = result.scenario->expect;
  EXPECT_TRUE(x.present);
  EXPECT_DOUBLE_EQ(x.run_s, 600.0);
  EXPECT_EQ(x.raised, std::vector<std::string>{"battery_temperature_warning@battery/2/3"});
  EXPECT_EQ(x.not_raised, std::vector<std::string>{"string_thermal_runaway"});
  EXPECT_TRUE(x.tripped.empty());
  EXPECT_EQ(x.discharges, std::vector<int>{1});
}

struct BadCase {
  const char* name;
  const char* toml;
  const char* reason_part;
};

class BadInstrumentScenario : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInstrumentScenario, IsRefusedWithTheReason) {
  const auto result = parse_scenario_string(GetParam().toml, two_string_site(), "s.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.errors.front().reason.find(GetParam().reason_part), std::string::npos)
      << result.errors.front().reason;
  EXPECT_GT(result.errors.front().line, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadInstrumentScenario,
    ::testing::Values(
        BadCase{"LoadBoth", "[[event]]\nat_s=0\ntype=\"ups_load\"\nups=1\nkW=1\ncurrent_A=2\n",
                "exactly one"},
        BadCase{"LoadNone", "[[event]]\nat_s=0\ntype=\"ups_load\"\nups=1\n", "exactly one"},
        BadCase{"LoadNegative", "[[event]]\nat_s=0\ntype=\"ups_load\"\nups=1\nkW=-3\n", ">= 0"},
        BadCase{"LoadNoUps", "[[event]]\nat_s=0\ntype=\"ups_load\"\nups=9\nkW=3\n",
                "does not exist"},
        BadCase{"AmbientNoSensor", "[[event]]\nat_s=0\ntype=\"ambient\"\nth=7\ntemperature_C=30\n",
                "does not exist"},
        BadCase{"AmbientTooHot", "[[event]]\nat_s=0\ntype=\"ambient\"\nth=1\ntemperature_C=95\n",
                "-40..80"},
        BadCase{"AmbientHumidity",
                "[[event]]\nat_s=0\ntype=\"ambient\"\nth=1\ntemperature_C=30\nhumidity_pct=120\n",
                "0..100"},
        BadCase{"HeatTooMuch",
                "[[event]]\nat_s=0\ntype=\"heat_source\"\nstring=1\nposition=1\nwatts=5000\n",
                "0..1000"},
        BadCase{"HeatNoBattery",
                "[[event]]\nat_s=0\ntype=\"heat_source\"\nstring=1\nposition=9\nwatts=5\n",
                "has no battery"},
        BadCase{"AgeZero", "[[event]]\nat_s=0\ntype=\"age\"\nyears=0\n", "years"},
        BadCase{"ExpectNoRun", "[expect]\nraised=[]\n", "run_s"},
        BadCase{"ExpectBadKey", "[expect]\nrun_s=5\nraised=[\"battery_voltage_low\"]\n",
                "rule@source"},
        BadCase{"ExpectNoString", "[expect]\nrun_s=5\ntripped=[7]\n", "no such string"},
        BadCase{"ExpectUnknown", "[expect]\nrun_s=5\nfoo=1\n", "unknown key"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(PlantInstrument, SpeedAboveTheLimitIsRefused) {
  PlantOptions options;
  options.speed = kMaxSpeed * 1.01;
  EXPECT_THROW(VirtualPlant(two_string_site(), options), std::invalid_argument);
  options.speed = 0.0;
  EXPECT_THROW(VirtualPlant(two_string_site(), options), std::invalid_argument);
}

TEST(PlantInstrument, ClockReadsStartTimePlusSimulatedTime) {
  PlantOptions options;
  options.speed = 600.0;
  options.tcp_pick_free_ports = true;
  options.start_unix_ms = 1'700'000'000'000;
  VirtualPlant plant(two_string_site(), options);
  plant.start();
  const auto clock = plant.clock();
  EXPECT_DOUBLE_EQ(clock->rate(), 600.0);
  EXPECT_EQ(plant.start_unix_ms(), 1'700'000'000'000);
  // Plant time and the clock advance together (within a 10 ms simulation tick at x600 = 6 s).
  ASSERT_TRUE(eventually([&] { return plant.sim_time_s() > 60.0; }));
  const double clock_s = static_cast<double>(clock->now_ms() - plant.start_unix_ms()) / 1000.0;
  EXPECT_NEAR(clock_s, plant.sim_time_s(), 15.0);
  plant.stop();
}

TEST(PlantInstrument, ConstantCurrentLoadIsSharedByTheStrings) {
  PlantOptions options;
  VirtualPlant plant(two_string_site(), options);
  plant.with_model([](PlantModel& m) {
    m.set_ups_load_current_A(1, 100.0);
    m.set_mains(1, false);
    m.step(60.0);
    EXPECT_NEAR(m.string(1).current_A + m.string(2).current_A, -100.0, 0.01);
    EXPECT_NEAR(m.ups(1).load_current_A, 100.0, 1e-9);
    EXPECT_NEAR(m.string(1).discharged_Ah + m.string(2).discharged_Ah, 100.0 / 60.0, 0.01);
  });
}

std::string http_get(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\n\r\n";
  ::send(fd, request.data(), request.size(), 0);
  std::string response;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
    response.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return response;
}

TEST(PlantInstrument, TruthEndpointServesTheClockAndTheTruth) {
  PlantOptions options;
  options.speed = 60.0;
  options.tcp_pick_free_ports = true;
  VirtualPlant plant(two_string_site(), options);
  plant.start();
  plant.with_model([](PlantModel& m) { m.set_mains(1, false); });
  TruthServer truth(plant, "127.0.0.1", 0);
  truth.start();
  ASSERT_GT(truth.port(), 0);
  ASSERT_TRUE(eventually([&] { return plant.sim_time_s() > 30.0; }));
  const std::string clock = http_get(truth.port(), "/clock");
  EXPECT_EQ(clock.rfind("HTTP/1.1 200", 0), 0u) << clock;
  EXPECT_NE(clock.find("\"speed\":60"), std::string::npos) << clock;
  EXPECT_NE(clock.find("\"now_unix_ms\":"), std::string::npos);
  const std::string body = http_get(truth.port(), "/truth");
  EXPECT_EQ(body.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_NE(body.find("\"mains_on\":false"), std::string::npos);
  EXPECT_NE(body.find("\"discharged_Ah\":"), std::string::npos);
  EXPECT_NE(body.find("\"soc_pct\":"), std::string::npos);
  EXPECT_NE(body.find("\"position\":4"), std::string::npos);
  // Ah really delivered: on battery for 30+ s, so more than nothing.
  const auto at = body.find("\"discharged_Ah\":");
  EXPECT_GT(std::stod(body.substr(at + 16)), 0.01);
  EXPECT_EQ(http_get(truth.port(), "/nothing").rfind("HTTP/1.1 404", 0), 0u);
  truth.stop();
  plant.stop();
}

}  // namespace
}  // namespace btms::plant::test
