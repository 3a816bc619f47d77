// The rule table: every row's limit, reset, severity, latch, fatality and ventilation for the
// default limits on a 12 V 100 Ah block in a 4-block string, one table row per rule.
#include "engine/rule_table.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace btms::engine {
namespace {

using model::Severity;

struct RowExpect {
  const char* key;
  Severity severity;
  double limit;  // NaN-free; flags: 0.5
  double reset;
  bool latch, fatal, ventilation;
  std::int64_t on_delay_ms;
};

class RuleTableRow : public ::testing::TestWithParam<RowExpect> {};

const RuleRow* row_of(std::string_view key) {
  for (const auto& r : battery_rule_table()) {
    if (r.key == key) return &r;
  }
  for (const auto& r : string_rule_table()) {
    if (r.key == key) return &r;
  }
  return nullptr;
}

TEST_P(RuleTableRow, LimitsAndTimingFromTheLimitSet) {
  const auto& x = GetParam();
  const LimitSet limits;
  const EngineConfig config;
  const RuleScale scale{limits, 6.0, 24.0, 100.0};
  const auto* row = row_of(x.key);
  ASSERT_NE(row, nullptr) << x.key;
  const auto c = rule_config(*row, scale, config);
  EXPECT_EQ(c->name, x.key);
  EXPECT_EQ(c->severity, x.severity);
  EXPECT_NEAR(c->limit, x.limit, 1e-9) << x.key;
  EXPECT_NEAR(c->reset, x.reset, 1e-9) << x.key;
  EXPECT_EQ(c->latching, x.latch) << x.key;
  EXPECT_EQ(row->fatal, x.fatal) << x.key;
  EXPECT_EQ(row->ventilation, x.ventilation) << x.key;
  EXPECT_EQ(c->on_delay_ms, x.on_delay_ms) << x.key;
  // Trip rows latch only while the configuration asks for it.
  EngineConfig no_latch;
  no_latch.latch_trip_alarms = false;
  EXPECT_FALSE(rule_config(*row, scale, no_latch)->latching);
}

INSTANTIATE_TEST_SUITE_P(
    Defaults, RuleTableRow,
    ::testing::Values(
        RowExpect{"battery_voltage_high", Severity::alarm, 14.4, 14.28, false, false, false, 0},
        RowExpect{"battery_voltage_low", Severity::alarm, 13.08, 13.2, false, false, false, 0},
        RowExpect{"battery_temperature_warning", Severity::warning, 35, 33, false, false, true, 0},
        RowExpect{"battery_temperature_alarm", Severity::alarm, 45, 43, false, false, true, 0},
        RowExpect{"battery_temperature_trip", Severity::trip, 55, 53, true, false, true, 0},
        RowExpect{"battery_temperature_fatal", Severity::trip, 65, 63, true, true, true, 0},
        RowExpect{"battery_temperature_rising_past_trip", Severity::trip, 0.5, 0.5, true, true,
                  true, 0},
        RowExpect{"battery_delta_t_ambient", Severity::alarm, 10, 8, false, false, true, 0},
        RowExpect{"battery_resistance_warning", Severity::warning, 20, 15, false, false, false, 0},
        RowExpect{"battery_resistance_alarm", Severity::alarm, 50, 45, false, false, false, 0},
        RowExpect{"battery_comm_lost", Severity::alarm, 0.5, 0.5, false, false, false, 5000},
        RowExpect{"battery_soh_low", Severity::warning, 80, 82, false, false, false, 0},
        RowExpect{"string_voltage_high", Severity::alarm, 58.8, 58.32, false, false, false, 0},
        RowExpect{"string_voltage_low", Severity::alarm, 42, 42.48, false, false, false, 0},
        RowExpect{"string_current_high", Severity::alarm, 25, 23, false, false, false, 0},
        RowExpect{"string_current_low", Severity::alarm, -400, -398, false, false, false, 0},
        RowExpect{"string_insulation_warning", Severity::warning, 100, 125, false, false, false, 0},
        RowExpect{"string_insulation_alarm", Severity::alarm, 50, 62.5, false, false, false, 0},
        RowExpect{"string_thermal_runaway", Severity::trip, 0.5, 0.5, true, true, true, 60'000},
        RowExpect{"string_current_sensor_invalid", Severity::alarm, 0.5, 0.5, false, false, false,
                  5000},
        RowExpect{"string_comm_lost", Severity::alarm, 0.5, 0.5, false, false, false, 5000},
        RowExpect{"string_relay_mismatch", Severity::alarm, 0.5, 0.5, false, false, false, 0},
        RowExpect{"string_soc_low", Severity::warning, 50, 55, false, false, false, 0}),
    [](const auto& info) { return std::string(info.param.key); });

TEST(RuleTable, EveryRowIsTestedAndKeysAreUnique) {
  std::set<std::string> keys;
  for (const auto& r : battery_rule_table()) {
    EXPECT_TRUE(keys.insert(std::string(r.key)).second) << r.key;
    EXPECT_EQ(r.scope, RuleScope::battery);
    EXPECT_LT(r.fact, kBatteryFacts);
    EXPECT_NE(r.alarm_bit, 0) << r.key;
    EXPECT_FALSE(r.quantity.empty()) << r.key;
  }
  for (const auto& r : string_rule_table()) {
    EXPECT_TRUE(keys.insert(std::string(r.key)).second) << r.key;
    EXPECT_EQ(r.scope, RuleScope::string);
    EXPECT_LT(r.fact, kStringFacts);
    EXPECT_NE(r.alarm_bit, 0) << r.key;
  }
  // The parameterized table above names every row.
  EXPECT_EQ(keys.size(), 23u);
  // Every fatal rule is a trip; every trip latches by default.
  for (const auto& r : battery_rule_table()) {
    if (r.fatal) {
      EXPECT_EQ(r.severity, Severity::trip) << r.key;
    }
    if (r.severity == Severity::trip) {
      EXPECT_TRUE(r.latch) << r.key;
    }
  }
}

TEST(RuleTable, RowReadingFindsTheRuleOfAFact) {
  const auto rows = string_rule_table();
  EXPECT_EQ(rows[row_reading(rows, kFactThermalRunaway)].key, "string_thermal_runaway");
  EXPECT_EQ(rows[row_reading(rows, kFactRelayMismatch)].key, "string_relay_mismatch");
}

}  // namespace
}  // namespace btms::engine
