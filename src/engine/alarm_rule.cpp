#include "engine/alarm_rule.hpp"

#include <cmath>
#include <stdexcept>

namespace btms::engine {

namespace {

void check(const std::shared_ptr<const AlarmRuleConfig>& config) {
  if (!config) throw std::invalid_argument("AlarmRule: null config");
  const auto& c = *config;
  if (c.debounce_count < 1)
    throw std::invalid_argument("AlarmRule " + c.name + ": debounce_count < 1");
  if (c.on_delay_ms < 0 || c.off_delay_ms < 0)
    throw std::invalid_argument("AlarmRule " + c.name + ": negative delay");
  if (!std::isfinite(c.limit) || !std::isfinite(c.reset))
    throw std::invalid_argument("AlarmRule " + c.name + ": limit not finite");
  if (c.direction == Direction::high ? c.reset > c.limit : c.reset < c.limit) {
    throw std::invalid_argument("AlarmRule " + c.name + ": reset on the wrong side of limit");
  }
}

}  // namespace

AlarmRule::AlarmRule(std::shared_ptr<const AlarmRuleConfig> config) : config_(std::move(config)) {
  check(config_);
}

void AlarmRule::reconfigure(std::shared_ptr<const AlarmRuleConfig> config) {
  check(config);
  config_ = std::move(config);
  // A latched alarm that is no longer latching must not wait for an acknowledgement forever.
  if (!config_->latching && condition_cleared_) condition_cleared_ = false;
}

void AlarmRule::restore_active(std::int64_t since_ms, double value, bool acknowledged,
                               bool waiting_for_ack) {
  state_ = AlarmState::active;
  since_ms_ = since_ms;
  last_value_ = value;
  acknowledged_ = acknowledged;
  condition_cleared_ = waiting_for_ack && !acknowledged;
  count_ = 0;
}

bool AlarmRule::out_of_limit(double v) const {
  return config_->direction == Direction::high ? v > config_->limit : v < config_->limit;
}

bool AlarmRule::in_limit(double v) const {
  return config_->direction == Direction::high ? v <= config_->reset : v >= config_->reset;
}

Transition AlarmRule::enter_normal(std::int64_t now_ms) {
  state_ = AlarmState::normal;
  since_ms_ = now_ms;
  acknowledged_ = false;
  condition_cleared_ = false;
  count_ = 0;
  return Transition::cleared;
}

Transition AlarmRule::update(std::optional<double> value, model::Quality quality,
                             std::int64_t now_ms) {
  const bool good = value.has_value() && quality == model::Quality::ok && std::isfinite(*value);
  if (!good) {
    count_ = 0;
    if (state_ == AlarmState::pending_on) {
      state_ = AlarmState::normal;
      since_ms_ = now_ms;
    } else if (state_ == AlarmState::pending_off) {
      state_ = AlarmState::active;
      since_ms_ = now_ms;
    }
    return Transition::none;
  }
  const double v = *value;
  last_value_ = v;
  const auto& c = *config_;
  switch (state_) {
    case AlarmState::normal:
      if (!out_of_limit(v)) return Transition::none;
      state_ = AlarmState::pending_on;
      since_ms_ = now_ms;
      first_ms_ = now_ms;
      count_ = 0;
      [[fallthrough]];
    case AlarmState::pending_on:
      if (!out_of_limit(v)) {
        state_ = AlarmState::normal;
        since_ms_ = now_ms;
        count_ = 0;
        return Transition::none;
      }
      ++count_;
      if (count_ >= c.debounce_count && now_ms - first_ms_ >= c.on_delay_ms) {
        state_ = AlarmState::active;
        since_ms_ = now_ms;
        acknowledged_ = false;
        condition_cleared_ = false;
        count_ = 0;
        return Transition::raised;
      }
      return Transition::none;
    case AlarmState::active:
      if (!in_limit(v)) {
        // The condition is back (or still there): a latched alarm needs a new clear.
        condition_cleared_ = false;
        return Transition::none;
      }
      if (condition_cleared_) return Transition::none;  // latched, waiting for the ack
      state_ = AlarmState::pending_off;
      since_ms_ = now_ms;
      first_ms_ = now_ms;
      count_ = 0;
      [[fallthrough]];
    case AlarmState::pending_off:
      if (!in_limit(v)) {
        state_ = AlarmState::active;
        since_ms_ = now_ms;
        count_ = 0;
        return Transition::none;
      }
      ++count_;
      if (count_ >= c.debounce_count && now_ms - first_ms_ >= c.off_delay_ms) {
        if (c.latching && !acknowledged_) {
          state_ = AlarmState::active;
          since_ms_ = now_ms;
          condition_cleared_ = true;
          count_ = 0;
          return Transition::none;
        }
        return enter_normal(now_ms);
      }
      return Transition::none;
  }
  return Transition::none;
}

Transition AlarmRule::acknowledge() {
  if (state_ == AlarmState::normal || state_ == AlarmState::pending_on) return Transition::none;
  acknowledged_ = true;
  if (condition_cleared_) return enter_normal(since_ms_);
  return Transition::none;
}

std::string_view to_string(AlarmState state) {
  switch (state) {
    case AlarmState::normal:
      return "normal";
    case AlarmState::pending_on:
      return "pending_on";
    case AlarmState::active:
      return "active";
    case AlarmState::pending_off:
      return "pending_off";
  }
  return "?";
}

}  // namespace btms::engine
