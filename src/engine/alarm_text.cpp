#include "engine/alarm_text.hpp"

#include <cstdio>

namespace btms::engine {

namespace {

std::string with_unit(const std::string& number, std::string_view unit) {
  if (unit.empty()) return number;
  if (unit == "%") return number + " %";
  return number + " " + std::string(unit);
}

}  // namespace

std::string number_text(double value, int decimals, bool trim) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string s(buf);
  if (trim && s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string alarm_text(std::string_view source, const RuleRow* row, const AlarmRuleConfig& config,
                       std::string_view own_text, double value, bool raised) {
  if (row == nullptr || !own_text.empty()) {
    const std::string what = own_text.empty() ? std::string(config.name) : std::string(own_text);
    return raised ? what : what + ": back to normal";
  }
  const std::string label = source_label(source);
  if (row->limit == nullptr) {
    const std::string what = label + " " + std::string(row->quantity);
    return raised ? what : what + ": back to normal";
  }
  const auto num = [&](double v, bool trim) {
    return with_unit(number_text(v, row->decimals, trim), row->unit);
  };
  const bool high = config.direction == Direction::high;
  const std::string quantity = label + " " + std::string(row->quantity) + " ";
  if (raised) {
    return quantity + num(value, false) + (high ? " above " : " below ") +
           std::string(row->limit_name) + " " + num(config.limit, true);
  }
  return quantity + "back to " + num(value, false) + " (" + std::string(row->limit_name) + " " +
         num(config.limit, true) + ", clears " + (high ? "at or below " : "at or above ") +
         num(config.reset, true) + ")";
}

}  // namespace btms::engine
