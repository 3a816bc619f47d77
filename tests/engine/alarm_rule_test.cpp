// Transition-by-transition tables for AlarmRule: every configuration field has its own table.
#include "engine/alarm_rule.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace btms::engine {
namespace {

using model::Quality;
constexpr auto N = AlarmState::normal;
constexpr auto PON = AlarmState::pending_on;
constexpr auto A = AlarmState::active;
constexpr auto POFF = AlarmState::pending_off;
constexpr auto none = Transition::none;
constexpr auto raised = Transition::raised;
constexpr auto cleared = Transition::cleared;

struct Step {
  std::optional<double> value;
  std::int64_t t_ms;
  Transition expect;
  AlarmState state;
  Quality quality = Quality::ok;
  bool ack_before = false;  // acknowledge before this update
};

struct Case {
  std::string label;
  AlarmRuleConfig config;
  std::vector<Step> steps;
};

AlarmRuleConfig high(double limit, double reset) {
  AlarmRuleConfig c;
  c.name = "test_high";
  c.direction = Direction::high;
  c.limit = limit;
  c.reset = reset;
  return c;
}

AlarmRuleConfig low(double limit, double reset) {
  auto c = high(limit, reset);
  c.name = "test_low";
  c.direction = Direction::low;
  return c;
}

template <typename F>
AlarmRuleConfig with(AlarmRuleConfig c, F f) {
  f(c);
  return c;
}

class AlarmRuleTable : public ::testing::TestWithParam<Case> {};

TEST_P(AlarmRuleTable, StepByStep) {
  const auto& tc = GetParam();
  AlarmRule rule(std::make_shared<AlarmRuleConfig>(tc.config));
  for (std::size_t i = 0; i < tc.steps.size(); ++i) {
    const auto& s = tc.steps[i];
    if (s.ack_before) {
      const auto tr = rule.acknowledge();
      if (tr != none) {
        EXPECT_EQ(tr, s.expect) << tc.label << " ack at step " << i;
        EXPECT_EQ(rule.state(), s.state) << tc.label << " ack at step " << i;
        continue;
      }
    }
    EXPECT_EQ(rule.update(s.value, s.quality, s.t_ms), s.expect) << tc.label << " step " << i;
    EXPECT_EQ(rule.state(), s.state)
        << tc.label << " step " << i << " is " << to_string(rule.state());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fields, AlarmRuleTable,
    ::testing::Values(
        Case{"limit_high_strict",
             high(10.0, 9.0),
             {{10.0, 0, none, N}, {10.01, 1, raised, A}, {10.0, 2, none, A}, {9.0, 3, cleared, N}}},
        Case{"reset_band_holds_high",
             high(10.0, 9.0),
             {{11.0, 0, raised, A},
              {9.5, 1, none, A},
              {9.01, 2, none, A},
              {9.0, 3, cleared, N},
              {9.5, 4, none, N}}},
        Case{"limit_low_and_reset",
             low(2.0, 2.2),
             {{2.0, 0, none, N}, {1.99, 1, raised, A}, {2.1, 2, none, A}, {2.2, 3, cleared, N}}},
        Case{"on_delay",
             with(high(10, 9), [](auto& c) { c.on_delay_ms = 1000; }),
             {{11, 0, none, PON}, {11, 999, none, PON}, {11, 1000, raised, A}}},
        Case{"on_delay_restarts_after_dip",
             with(high(10, 9), [](auto& c) { c.on_delay_ms = 1000; }),
             {{11, 0, none, PON},
              {9.5, 500, none, N},
              {11, 600, none, PON},
              {11, 1500, none, PON},
              {11, 1600, raised, A}}},
        Case{
            "off_delay",
            with(high(10, 9), [](auto& c) { c.off_delay_ms = 500; }),
            {{11, 0, raised, A}, {8, 100, none, POFF}, {8, 599, none, POFF}, {8, 600, cleared, N}}},
        Case{"off_delay_aborted_by_band_value",
             with(high(10, 9), [](auto& c) { c.off_delay_ms = 500; }),
             {{11, 0, raised, A},
              {8, 100, none, POFF},
              {9.5, 200, none, A},
              {8, 300, none, POFF},
              {8, 799, none, POFF},
              {8, 800, cleared, N}}},
        Case{"debounce_on",
             with(high(10, 9), [](auto& c) { c.debounce_count = 3; }),
             {{11, 0, none, PON},
              {11, 1, none, PON},
              {8, 2, none, N},
              {11, 3, none, PON},
              {11, 4, none, PON},
              {11, 5, raised, A}}},
        Case{"debounce_off",
             with(high(10, 9), [](auto& c) { c.debounce_count = 2; }),
             {{11, 0, none, PON},
              {11, 1, raised, A},
              {8, 2, none, POFF},
              {11, 3, none, A},
              {8, 4, none, POFF},
              {8, 5, cleared, N}}},
        Case{"debounce_and_delay_both_needed",
             with(high(10, 9),
                  [](auto& c) {
                    c.debounce_count = 2;
                    c.on_delay_ms = 100;
                  }),
             {{11, 0, none, PON}, {11, 150, raised, A}}},
        Case{"debounce_and_delay_count_first",
             with(high(10, 9),
                  [](auto& c) {
                    c.debounce_count = 3;
                    c.on_delay_ms = 100;
                  }),
             {{11, 0, none, PON}, {11, 50, none, PON}, {11, 100, raised, A}}},
        Case{"bad_quality_resets_debounce",
             with(high(10, 9), [](auto& c) { c.debounce_count = 2; }),
             {{11, 0, none, PON},
              {11, 1, none, N, Quality::stale},
              {11, 2, none, PON},
              {11, 3, raised, A}}},
        Case{"bad_quality_never_raises",
             high(10, 9),
             {{50, 0, none, N, Quality::invalid},
              {50, 1, none, N, Quality::comm_lost},
              {std::nullopt, 2, none, N}}},
        Case{"bad_quality_never_clears",
             high(10, 9),
             {{11, 0, raised, A},
              {1, 1, none, A, Quality::comm_lost},
              {1, 2, none, A, Quality::stale},
              {1, 3, cleared, N}}},
        Case{"bad_quality_aborts_pending_off",
             with(high(10, 9), [](auto& c) { c.debounce_count = 2; }),
             {{11, 0, none, PON},
              {11, 1, raised, A},
              {8, 2, none, POFF},
              {8, 3, none, A, Quality::invalid},
              {8, 4, none, POFF},
              {8, 5, cleared, N}}},
        Case{"latch_stays_until_ack",
             with(high(10, 9), [](auto& c) { c.latching = true; }),
             {{11, 0, raised, A},
              {8, 1, none, A},
              {8, 2, none, A},
              {8, 3, cleared, N, Quality::ok, true}}},
        Case{"latch_ack_while_present_then_clear",
             with(high(10, 9), [](auto& c) { c.latching = true; }),
             {{11, 0, raised, A}, {11, 1, none, A, Quality::ok, true}, {8, 2, cleared, N}}},
        Case{"latch_condition_returns_before_ack",
             with(high(10, 9), [](auto& c) { c.latching = true; }),
             {{11, 0, raised, A},
              {8, 1, none, A},
              {11, 2, none, A},
              {11, 3, none, A, Quality::ok, true},
              {8, 4, cleared, N}}},
        Case{"nonlatching_ack_does_not_clear",
             high(10, 9),
             {{11, 0, raised, A},
              {11, 1, none, A, Quality::ok, true},
              {11, 2, none, A},
              {8, 3, cleared, N}}},
        Case{"raise_again_after_clear",
             high(10, 9),
             {{11, 0, raised, A}, {8, 1, cleared, N}, {11, 2, raised, A}}}),
    [](const auto& info) { return info.param.label; });

TEST(AlarmRule, AcknowledgedFlagFollowsRaise) {
  auto cfg = std::make_shared<AlarmRuleConfig>(high(10, 9));
  AlarmRule rule(cfg);
  EXPECT_EQ(rule.acknowledge(), none);
  EXPECT_FALSE(rule.acknowledged());  // nothing to acknowledge in normal
  rule.update(11, Quality::ok, 0);
  EXPECT_FALSE(rule.acknowledged());
  rule.acknowledge();
  EXPECT_TRUE(rule.acknowledged());
  rule.update(8, Quality::ok, 1);
  rule.update(11, Quality::ok, 2);
  EXPECT_FALSE(rule.acknowledged());  // a new raise needs a new acknowledgement
  EXPECT_DOUBLE_EQ(rule.last_value(), 11.0);
}

TEST(AlarmRule, WaitingForAckReported) {
  AlarmRule rule(
      std::make_shared<AlarmRuleConfig>(with(high(10, 9), [](auto& c) { c.latching = true; })));
  rule.update(11, Quality::ok, 0);
  EXPECT_FALSE(rule.waiting_for_ack());
  rule.update(8, Quality::ok, 1);
  EXPECT_TRUE(rule.waiting_for_ack());
  EXPECT_TRUE(rule.is_active());
}

TEST(AlarmRule, ReconfigureKeepsStateAndJudgesByTheNewLimits) {
  AlarmRule rule(std::make_shared<AlarmRuleConfig>(high(10, 9)));
  rule.update(11, Quality::ok, 0);
  rule.acknowledge();
  rule.reconfigure(std::make_shared<AlarmRuleConfig>(high(20, 15)));
  EXPECT_EQ(rule.state(), A);
  EXPECT_TRUE(rule.acknowledged());
  EXPECT_EQ(rule.update(11, Quality::ok, 1), cleared);  // 11 <= the new reset 15
  EXPECT_THROW(rule.reconfigure(std::make_shared<AlarmRuleConfig>(high(10, 11))),
               std::invalid_argument);
}

TEST(AlarmRule, ReconfigureToNonLatchingReleasesAWaitingAlarm) {
  AlarmRule rule(
      std::make_shared<AlarmRuleConfig>(with(high(10, 9), [](auto& c) { c.latching = true; })));
  rule.update(11, Quality::ok, 0);
  rule.update(8, Quality::ok, 1);
  ASSERT_TRUE(rule.waiting_for_ack());
  rule.reconfigure(std::make_shared<AlarmRuleConfig>(high(10, 9)));
  EXPECT_FALSE(rule.waiting_for_ack());
  EXPECT_EQ(rule.update(8, Quality::ok, 2), cleared);
}

struct RestoreCase {
  const char* label;
  bool latching;
  bool acknowledged;
  bool waiting;
  double next_value;
  Transition expect;
};
class AlarmRuleRestore : public ::testing::TestWithParam<RestoreCase> {};

TEST_P(AlarmRuleRestore, ComesBackActive) {
  const auto& c = GetParam();
  AlarmRule rule(std::make_shared<AlarmRuleConfig>(
      with(high(10, 9), [&](auto& cfg) { cfg.latching = c.latching; })));
  rule.restore_active(500, 12.0, c.acknowledged, c.waiting);
  EXPECT_EQ(rule.state(), A);
  EXPECT_EQ(rule.since_ms(), 500);
  EXPECT_DOUBLE_EQ(rule.last_value(), 12.0);
  EXPECT_EQ(rule.acknowledged(), c.acknowledged);
  EXPECT_EQ(rule.update(c.next_value, Quality::ok, 1000), c.expect) << c.label;
}

INSTANTIATE_TEST_SUITE_P(
    Table, AlarmRuleRestore,
    ::testing::Values(RestoreCase{"still_high", false, false, false, 12.0, none},
                      RestoreCase{"back_in_limit", false, false, false, 8.0, cleared},
                      RestoreCase{"latched_unacknowledged", true, false, false, 8.0, none},
                      RestoreCase{"latched_acknowledged", true, true, false, 8.0, cleared},
                      RestoreCase{"latched_waiting", true, false, true, 8.0, none}),
    [](const auto& info) { return std::string(info.param.label); });

TEST(AlarmRule, RejectsInconsistentConfig) {
  EXPECT_THROW(AlarmRule(std::make_shared<AlarmRuleConfig>(high(10, 11))), std::invalid_argument);
  EXPECT_THROW(AlarmRule(std::make_shared<AlarmRuleConfig>(low(10, 9))), std::invalid_argument);
  EXPECT_THROW(AlarmRule(std::make_shared<AlarmRuleConfig>(
                   with(high(10, 9), [](auto& c) { c.debounce_count = 0; }))),
               std::invalid_argument);
  EXPECT_THROW(AlarmRule(std::make_shared<AlarmRuleConfig>(
                   with(high(10, 9), [](auto& c) { c.on_delay_ms = -1; }))),
               std::invalid_argument);
  EXPECT_THROW(AlarmRule(nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace btms::engine
