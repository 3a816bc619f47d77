// Every shipped scenario (scenarios/*.toml) on the demo plant, through the full path with the
// gateway on the plant's clock, checked against the outcome the file states in its [expect]
// table: the alarm rules that must fire (rule@source), the rules that must not, exactly which
// strings protection opens, and which strings record a finished discharge.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "model/config/demo_site.hpp"
#include "plant_gateway.hpp"

namespace btms::system_test {
namespace {

std::vector<std::string> scenario_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(BTMS_SCENARIO_DIR)) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class ShippedScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedScenario, ProducesItsStatedOutcome) {
  const model::Site site = model::demo_site();
  const std::string path = std::string(BTMS_SCENARIO_DIR) + "/" + GetParam();
  auto parsed = plant::parse_scenario_file(path, site);
  for (const auto& e : parsed.errors) ADD_FAILURE() << e.file << ":" << e.line << ": " << e.reason;
  ASSERT_TRUE(parsed.ok());
  const auto scenario = std::make_shared<const plant::Scenario>(*parsed.scenario);
  const plant::ScenarioExpectation& expect = scenario->expect;
  ASSERT_TRUE(expect.present) << GetParam() << " states no [expect]";

  // About half a minute of real time whatever the span (the records are in plant time).
  const double speed = std::clamp(expect.run_s / 30.0, 60.0, 1800.0);
  PlantGateway gw(site, speed, scenario);
  ASSERT_TRUE(gw.run_for(expect.run_s, 4.0 * expect.run_s / speed + 60.0))
      << "the scenario did not run its " << expect.run_s << " s in time";
  std::printf("%s: %.0f s of plant time at x%.0f, %llu engine steps\n", GetParam().c_str(),
              expect.run_s, speed, static_cast<unsigned long long>(gw.engine_steps()));
  for (const auto& e : gw.events()) {
    if (e.kind == model::EventKind::alarm_raised || e.kind == model::EventKind::string_tripped) {
      std::printf("  %8.0f s  %-28s %-14s %s\n",
                  static_cast<double>(e.time_ms - gw.plant().start_unix_ms()) / 1000.0,
                  e.rule.c_str(), e.source.c_str(), e.text.c_str());
    }
  }

  for (const auto& key : expect.raised) {
    const auto at = key.find('@');
    EXPECT_GE(count_raised(gw.events(), key.substr(0, at), key.substr(at + 1)), 1)
        << "expected alarm " << key << " was not raised";
  }
  for (const auto& rule : expect.not_raised) {
    EXPECT_EQ(count_raised(gw.events(), rule), 0) << "alarm " << rule << " was raised";
  }
  std::set<std::string> tripped;
  for (const auto& e : gw.events()) {
    if (e.kind == model::EventKind::string_tripped) tripped.insert(e.source);
  }
  std::set<std::string> wanted;
  for (int id : expect.tripped) wanted.insert("string/" + std::to_string(id));
  EXPECT_EQ(tripped, wanted) << "strings tripped by protection";
  for (int id : expect.tripped) {
    bool open = false;
    gw.plant().with_model([&](plant::PlantModel& m) { open = !m.string(id).contactor_closed; });
    EXPECT_TRUE(open) << "string " << id << " tripped but its contactor is closed";
  }
  for (int id : expect.discharges) {
    const auto record = gw.engine().last_discharge(id);
    ASSERT_TRUE(record.has_value()) << "no discharge recorded on string " << id;
    EXPECT_NE(record->end_ms, 0) << "the discharge of string " << id << " never ended";
    std::printf("  string %d discharge: %.1f min, %.1f Ah\n", id,
                static_cast<double>(record->end_ms - record->start_ms) / 60000.0, record->ah_out);
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ShippedScenario, ::testing::ValuesIn(scenario_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.size() - 5);
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace btms::system_test
