// Plain alarm texts with units, as docs/api.md shows them: "Battery 2/7 temperature 56.3 °C
// above trip limit 55 °C". Pure formatting, no state.
#pragma once

#include <string>
#include <string_view>

#include "engine/alarm_rule.hpp"
#include "engine/rule_table.hpp"
#include "model/ids.hpp"

namespace btms::engine {

using model::source_label;  // model/ids.hpp: every consumer names sources the same way

// decimals fixed; trim = drop trailing zeros (limits read "55 °C", values keep their digits).
std::string number_text(double value, int decimals, bool trim);

// The text of a raise or clear. row: the rule table's row (nullptr for digital inputs and
// system conditions, whose own_text is the condition).
std::string alarm_text(std::string_view source, const RuleRow* row, const AlarmRuleConfig& config,
                       std::string_view own_text, double value, bool raised);

}  // namespace btms::engine
