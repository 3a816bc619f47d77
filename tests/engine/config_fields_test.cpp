// The engine's settings as data: the field table, the JSON codec (web settings API) and the
// site file's [limits] tables.
#include "engine/config_fields.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "plant_fixture.hpp"

namespace btms::engine {
namespace {

using nlohmann::json;

TEST(ConfigFields, TableIsConsistentWithTheDefaults) {
  const auto defaults = config_to_json(EngineConfig{});
  std::set<std::string> names;
  for (const auto& f : config_fields()) {
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate " << f.name;
    EXPECT_LT(f.min, f.max) << f.name;
    EXPECT_FALSE(f.description.empty()) << f.name;
    EXPECT_TRUE(f.type == "number" || f.type == "integer" || f.type == "boolean") << f.name;
    // Every default lies inside its own range.
    const auto dot = f.name.find('.');
    const json* v = nullptr;
    if (f.per_string) {
      v = &defaults["defaults"][f.name.substr(0, dot)][f.name.substr(dot + 1)];
    } else if (dot != std::string::npos) {
      v = &defaults[f.name.substr(0, dot)][f.name.substr(dot + 1)];
    } else {
      v = &defaults[f.name];
    }
    ASSERT_FALSE(v->is_null()) << f.name;
    const double x = v->is_boolean() ? (v->get<bool>() ? 1.0 : 0.0) : v->get<double>();
    EXPECT_GE(x, f.min) << f.name;
    EXPECT_LE(x, f.max) << f.name;
  }
  EXPECT_TRUE(names.count("battery.temperature_alarm_C"));
  EXPECT_TRUE(names.count("string.runaway_rise_K_per_h"));
  EXPECT_TRUE(names.count("debounce_count"));
  EXPECT_TRUE(names.count("equalization.max_temperature_C"));
}

TEST(ConfigJson, RoundTripsEverything) {
  EngineConfig c;
  c.defaults.battery.temperature_alarm_C = 44.0;
  c.per_string[3] = c.defaults;
  c.per_string[3].string.soc_low_pct = 40.0;
  c.debounce_count = 5;
  c.latch_trip_alarms = false;
  c.equalization.reference = EqualizationReference::mean;
  c.alarm_outputs = {{model::IoPoint{0, 5}, AlarmOutputTrigger::unacknowledged},
                     {model::IoPoint{2, 1}, AlarmOutputTrigger::ventilation}};
  const auto j = config_to_json(c);
  const auto back = config_from_json(j, EngineConfig{});
  EXPECT_EQ(config_to_json(back), j);
  EXPECT_EQ(back.per_string.at(3).string.soc_low_pct, 40.0);
  EXPECT_EQ(back.alarm_outputs, c.alarm_outputs);
  EXPECT_EQ(j["alarm_outputs"][0]["relay"], "mc:5");
  EXPECT_EQ(j["alarm_outputs"][1]["relay"], "lc2:1");
}

TEST(ConfigJson, PartialDocumentsApplyOverBase) {
  EngineConfig base;
  base.per_string[2] = base.defaults;
  base.per_string[2].battery.temperature_warning_C = 30.0;
  const auto c =
      config_from_json(json::parse(R"({"defaults": {"battery": {"temperature_alarm_C": 46}},
                      "per_string": {"3": {"string": {"soc_low_pct": 40}}, "2": null},
                      "analog_off_delay_ms": 5000})"),
                       base);
  EXPECT_EQ(c.defaults.battery.temperature_alarm_C, 46.0);
  EXPECT_EQ(c.defaults.battery.temperature_warning_C, 35.0);  // kept
  EXPECT_EQ(c.analog_off_delay_ms, 5000);
  // A new override starts from the new defaults.
  EXPECT_EQ(c.per_string.at(3).battery.temperature_alarm_C, 46.0);
  EXPECT_EQ(c.per_string.at(3).string.soc_low_pct, 40.0);
  EXPECT_EQ(c.per_string.count(2), 0u);  // removed
  // An existing override is the base of its partial document.
  const auto d = config_from_json(
      json::parse(R"({"per_string": {"2": {"battery": {"temperature_trip_C": 50}}}})"), base);
  EXPECT_EQ(d.per_string.at(2).battery.temperature_warning_C, 30.0);
  EXPECT_EQ(d.per_string.at(2).battery.temperature_trip_C, 50.0);
}

struct ErrorRow {
  const char* name;
  const char* document;
  std::vector<std::string> problems;  // each expected line (exact)
};
class ConfigJsonErrors : public ::testing::TestWithParam<ErrorRow> {};

TEST_P(ConfigJsonErrors, EveryProblemListed) {
  const auto& row = GetParam();
  try {
    config_from_json(json::parse(row.document), EngineConfig{});
    FAIL() << row.name << ": accepted";
  } catch (const ConfigValidationError& e) {
    EXPECT_EQ(e.problems(), row.problems) << row.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigJsonErrors,
    ::testing::Values(
        ErrorRow{"unknown_fields",
                 R"({"defaults": {"battery": {"colour": 1}, "cable": {}}, "speed": 3})",
                 {"defaults.battery.colour: unknown field", "defaults.cable: unknown field",
                  "speed: unknown field"}},
        ErrorRow{
            "types",
            R"({"debounce_count": "3", "latch_trip_alarms": 1,
                     "defaults": {"string": {"soc_low_pct": true}}})",
            {"defaults.string.soc_low_pct: expected a number", "debounce_count: expected a number",
             "latch_trip_alarms: expected true or false"}},
        ErrorRow{"ranges",
                 R"({"per_string": {"3": {"battery": {"temperature_trip_C": 300}}},
                     "debounce_count": 0})",
                 {"debounce_count: 0 is below the minimum 1",
                  "per_string.3.battery.temperature_trip_C: 300 is above the maximum 100"}},
        ErrorRow{"whole_numbers",
                 R"({"analog_on_delay_ms": 1.5})",
                 {"analog_on_delay_ms: 1.5 is not a whole number"}},
        ErrorRow{"warning_alarm_trip_order",
                 R"({"defaults": {"battery": {"temperature_warning_C": 50}}})",
                 {"defaults.battery.temperature_alarm_C: must lie between "
                  "temperature_warning_C (50) and temperature_trip_C (55)"}},
        ErrorRow{"resistance_and_insulation_order",
                 R"({"defaults": {"battery": {"resistance_warning_pct": 60},
                                  "string": {"insulation_alarm_ohm_per_V": 150}}})",
                 {"defaults.battery.resistance_warning_pct: must be below resistance_alarm_pct "
                  "(50)",
                  "defaults.string.insulation_alarm_ohm_per_V: must be below "
                  "insulation_warning_ohm_per_V (100): a low limit warns first"}},
        ErrorRow{"reset_on_wrong_side",
                 R"({"defaults": {"battery": {"delta_t_hysteresis_K": 12}},
                     "per_string": {"2": {"string": {"soc_low_pct": 98}}}})",
                 {"defaults.battery.delta_t_hysteresis_K: must be below delta_t_ambient_K: it "
                  "would never clear",
                  // the new override starts from the (bad) new defaults: reported for it too
                  "per_string.2.battery.delta_t_hysteresis_K: must be below delta_t_ambient_K: "
                  "it would never clear",
                  "per_string.2.string.soc_hysteresis_pct: soc_low_pct + soc_hysteresis_pct is "
                  "above 100 %: the warning would never clear"}},
        ErrorRow{"empty_voltage_band",
                 R"({"defaults": {"battery": {"voltage_low_per_cell_V": 2.39}}})",
                 {"defaults.battery.voltage_low_per_cell_V: the voltage band (low + hysteresis "
                  ".. high − hysteresis) is empty"}},
        ErrorRow{"per_string_ids",
                 R"({"per_string": {"0": {}, "x": {}, "33": {}}})",
                 {"per_string.0: not a string id (1..32)", "per_string.33: not a string id (1..32)",
                  "per_string.x: not a string id (1..32)"}},
        ErrorRow{"alarm_outputs",
                 R"({"alarm_outputs": [{"relay": "relay5", "trigger": "siren"},
                                       {"relay": "mc:6", "colour": "red"}, 7]})",
                 {"alarm_outputs.0.relay: expected \"mc:K\" or \"lcJ:K\"",
                  "alarm_outputs.0.trigger: expected common_alarm, common_warning, "
                  "unacknowledged, trip or ventilation",
                  "alarm_outputs.1.colour: unknown field", "alarm_outputs.1.trigger: missing",
                  "alarm_outputs.2: expected an object {\"relay\": \"mc:5\", \"trigger\": ...}"}},
        ErrorRow{"equalization",
                 R"({"equalization": {"reference": "highest", "off_above_mean_per_cell_V": 0.1}})",
                 {"equalization.reference: expected \"mean\" or \"lowest\"",
                  "equalization.off_above_mean_per_cell_V: must not be above "
                  "on_above_mean_per_cell_V"}},
        ErrorRow{"not_an_object", R"([1, 2])", {"expected an object"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ConfigJson, NothingAppliedOnError) {
  EngineConfig base;
  base.debounce_count = 4;
  EXPECT_THROW(config_from_json(json::parse(R"({"debounce_count": 7, "bogus": 1})"), base),
               ConfigValidationError);
  EXPECT_EQ(base.debounce_count, 4);  // base is const; and no partial result escapes
}

TEST(ConfigJson, CheckedAgainstTheSiteWhenGiven) {
  const auto site = testing::make_site();
  const auto doc = json::parse(R"({"per_string": {"9": {}},
                                   "alarm_outputs": [{"relay": "mc:1", "trigger": "trip"}]})");
  EXPECT_NO_THROW(config_from_json(doc, EngineConfig{}));  // no site: syntax only
  try {
    config_from_json(doc, EngineConfig{}, &site);
    FAIL();
  } catch (const ConfigValidationError& e) {
    EXPECT_EQ(e.problems(), (std::vector<std::string>{
                                "per_string.9: the site has no string 9",
                                "alarm_outputs.0: mc:1 is the disconnect relay of string 1"}));
  }
}

class TomlFile : public ::testing::Test {
 protected:
  TomlFile() : path_(temp_path()) {}
  static std::string temp_path() {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name) {
      if (c == '/') c = '_';
    }
    return (std::filesystem::temp_directory_path() /
            ("btms_limits_" + std::to_string(::getpid()) + "_" + name + ".toml"))
        .string();
  }
  ~TomlFile() override { std::filesystem::remove(path_); }
  const std::string& write(const std::string& text) {
    std::ofstream(path_) << text;
    return path_;
  }
  std::string path_;
};

TEST_F(TomlFile, LimitsTablesApply) {
  const auto& p = write(R"(
site_name = "ignored here"
[[string]]
id = 3

[limits.battery]
temperature_alarm_C = 46.0
resistance_test_suppression_ms = 600000

[limits.string]
discharge_current_high_C = 3.5

[limits.timing]
debounce_count = 5
latch_trip_alarms = false

[limits.equalization]
reference = "mean"

[limits.string_3.string]
soc_low_pct = 40

[[limits.alarm_output]]
relay = "mc:5"
trigger = "unacknowledged"

[[limits.alarm_output]]
relay = "lc1:2"
trigger = "ventilation"
)");
  const auto c = config_from_toml_file(p, EngineConfig{});
  EXPECT_EQ(c.defaults.battery.temperature_alarm_C, 46.0);
  EXPECT_EQ(c.defaults.battery.resistance_test_suppression_ms, 600000);
  EXPECT_EQ(c.defaults.string.discharge_current_high_C, 3.5);
  EXPECT_EQ(c.debounce_count, 5);
  EXPECT_FALSE(c.latch_trip_alarms);
  EXPECT_EQ(c.equalization.reference, EqualizationReference::mean);
  EXPECT_EQ(c.per_string.at(3).string.soc_low_pct, 40.0);
  EXPECT_EQ(c.per_string.at(3).battery.temperature_alarm_C, 46.0);  // from the new defaults
  ASSERT_EQ(c.alarm_outputs.size(), 2u);
  EXPECT_EQ(c.alarm_outputs[1].relay, (model::IoPoint{1, 2}));
  EXPECT_EQ(c.alarm_outputs[1].trigger, AlarmOutputTrigger::ventilation);
}

TEST_F(TomlFile, CheckedAgainstTheSiteWithLines) {
  const auto site = testing::make_site();
  const auto& p = write(R"([limits.string_7.battery]
temperature_alarm_C = 46.0

[[limits.alarm_output]]
relay = "mc:9"
trigger = "trip"

[[limits.alarm_output]]
relay = "mc:3"
trigger = "ventilation"
)");
  try {
    config_from_toml_file(p, EngineConfig{}, &site);
    FAIL();
  } catch (const ConfigValidationError& e) {
    EXPECT_EQ(e.problems(),
              (std::vector<std::string>{
                  p + ":1: limits.string_7: the site has no string 7",
                  p + ":8: limits.alarm_output[2]: mc:3 is the disconnect relay of string 3"}));
  }
}

TEST_F(TomlFile, NoLimitsKeepsBase) {
  EngineConfig base;
  base.debounce_count = 7;
  EXPECT_EQ(config_from_toml_file(write("[[string]]\nid = 1\n"), base).debounce_count, 7);
}

struct TomlRow {
  const char* name;
  const char* text;
  std::vector<std::string> problems;  // after "<file>:"
};
class TomlErrors : public TomlFile, public ::testing::WithParamInterface<TomlRow> {};

TEST_P(TomlErrors, FileLineKeyReason) {
  const auto& p = write(GetParam().text);
  try {
    config_from_toml_file(p, EngineConfig{});
    FAIL() << GetParam().name << ": accepted";
  } catch (const ConfigValidationError& e) {
    std::vector<std::string> expected;
    for (const auto& line : GetParam().problems) expected.push_back(p + ":" + line);
    EXPECT_EQ(e.problems(), expected) << GetParam().name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, TomlErrors,
    ::testing::Values(
        TomlRow{"range_and_unknown",
                "[limits.battery]\n"
                "temperature_alarm_C = 46.0\n"
                "temperature_trip_C = 300.0\n"
                "colour = \"red\"\n",
                {"3: limits.battery.temperature_trip_C: 300 is above the maximum 100",
                 "4: limits.battery.colour: unknown field"}},
        TomlRow{"consistency_at_table_line",
                "[limits.string_2.battery]\n"
                "temperature_warning_C = 50.0\n",
                {"1: limits.string_2.battery.temperature_alarm_C: must lie between "
                 "temperature_warning_C (50) and temperature_trip_C (55)"}},
        TomlRow{"timing_and_tables",
                "[limits.timing]\n"
                "debounce_count = 2.5\n"
                "warp = 9\n"
                "[limits.fan]\n"
                "speed = 1\n",
                {"2: limits.timing.debounce_count: 2.5 is not a whole number",
                 "3: limits.timing.warp: unknown field",
                 "4: limits.fan: unknown table (expected battery, string, timing, "
                 "equalization, string_N or alarm_output)"}},
        TomlRow{"alarm_output",
                "[[limits.alarm_output]]\n"
                "relay = \"mc:5\"\n"
                "trigger = \"siren\"\n",
                {"3: limits.alarm_output[1].trigger: expected common_alarm, common_warning, "
                 "unacknowledged, trip or ventilation"}},
        TomlRow{"syntax",
                "[limits.battery\n",
                {"1: Error while parsing table header: expected ']', saw '\\n'"}}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace btms::engine
