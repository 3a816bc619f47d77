// Alarm texts: plain words, the value and the limit with their units.
#include "engine/alarm_text.hpp"

#include <gtest/gtest.h>

namespace btms::engine {
namespace {

const RuleRow& row(std::string_view key) {
  for (const auto& r : battery_rule_table()) {
    if (r.key == key) return r;
  }
  for (const auto& r : string_rule_table()) {
    if (r.key == key) return r;
  }
  throw std::invalid_argument(std::string(key));
}

struct TextRow {
  const char* source;
  const char* key;
  double value;
  bool raised;
  const char* expect;
};
class AlarmText : public ::testing::TestWithParam<TextRow> {};

TEST_P(AlarmText, SaysWhatWhereValueAndLimit) {
  const auto& x = GetParam();
  const LimitSet limits;
  const auto& r = row(x.key);
  const auto config = rule_config(r, RuleScale{limits, 6.0, 24.0, 100.0}, EngineConfig{});
  EXPECT_EQ(alarm_text(x.source, &r, *config, "", x.value, x.raised), x.expect);
}

INSTANTIATE_TEST_SUITE_P(
    Table, AlarmText,
    ::testing::Values(
        TextRow{"battery/2/7", "battery_temperature_trip", 56.3, true,
                "Battery 2/7 temperature 56.3 °C above trip limit 55 °C"},
        TextRow{"battery/2/7", "battery_temperature_trip", 52.9, false,
                "Battery 2/7 temperature back to 52.9 °C (trip limit 55 °C, clears at or below "
                "53 °C)"},
        TextRow{"battery/1/2", "battery_voltage_low", 11.9, true,
                "Battery 1/2 voltage 11.900 V below low limit 13.08 V"},
        TextRow{"battery/1/2", "battery_resistance_alarm", 52.5, true,
                "Battery 1/2 resistance over its baseline 52.5 % above alarm limit 50 %"},
        TextRow{"string/3", "string_insulation_alarm", 41.0, true,
                "String 3 insulation resistance 41 Ω/V below alarm limit 50 Ω/V"},
        TextRow{"string/3", "string_current_low", -412.5, true,
                "String 3 current -412.50 A below discharge limit -400 A"},
        TextRow{"battery/4/1", "battery_comm_lost", 1.0, true, "Battery 4/1 sensor not answering"},
        TextRow{"battery/4/1", "battery_comm_lost", 0.0, false,
                "Battery 4/1 sensor not answering: back to normal"}));

TEST(AlarmText, OwnTextOfInputsAndLabels) {
  const auto c = flag_config("digital_input", model::Severity::alarm, 0, 0);
  EXPECT_EQ(alarm_text("mc/input/1", nullptr, *c, "Battery room door open", 1.0, true),
            "Battery room door open");
  EXPECT_EQ(alarm_text("mc/input/1", nullptr, *c, "Battery room door open", 0.0, false),
            "Battery room door open: back to normal");
  EXPECT_EQ(source_label("lc/2/input/3"), "LC 2 input 3");
  EXPECT_EQ(source_label("mc"), "Master controller");
  EXPECT_EQ(source_label("ups/4"), "UPS 4");
  EXPECT_EQ(number_text(55.0, 1, true), "55");
  EXPECT_EQ(number_text(14.28, 3, true), "14.28");
  EXPECT_EQ(number_text(-0.0001, 1, true), "0");
}

}  // namespace
}  // namespace btms::engine
