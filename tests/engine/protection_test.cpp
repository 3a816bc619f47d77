// Protection state machine, transition by transition.
#include "engine/protection.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace btms::engine {
namespace {

using model::EventKind;
using model::ProtectionState;
constexpr auto C = ProtectionState::closed;
constexpr auto T = ProtectionState::tripped;
constexpr auto H = ProtectionState::held_last_string;

const model::IoPoint kRelay{0, 3};

ProtectionConfig cfg() {
  ProtectionConfig c;
  c.string_id = 2;
  c.disconnect_relay = kRelay;
  c.mismatch_delay_ms = 1000;
  return c;
}

// One row: inputs, then expected state, relay command (-1 none, 0 open, 1 close), event kinds.
struct Row {
  bool cause;
  bool fatal;
  bool last;
  std::optional<bool> feedback;
  std::int64_t t_ms;
  ProtectionState state;
  int relay_cmd;
  std::vector<EventKind> events;
  bool reset_before = false;  // operator reset (with reason) before this step
  bool reset_ok = true;
};

struct Case {
  std::string label;
  std::vector<Row> rows;
};

int relay_cmd(const ProtectionOutput& o) {
  int r = -1;
  for (const auto& c : o.commands) {
    const auto* s = std::get_if<model::SetRelay>(&c);
    if (s == nullptr) continue;
    EXPECT_EQ(s->point, kRelay);
    r = s->on ? 1 : 0;
  }
  return r;
}

std::vector<EventKind> kinds(const ProtectionOutput& o) {
  std::vector<EventKind> k;
  for (const auto& e : o.events) k.push_back(e.kind);
  return k;
}

class ProtectionTable : public ::testing::TestWithParam<Case> {};

TEST_P(ProtectionTable, RowByRow) {
  Protection p(cfg());
  const auto& tc = GetParam();
  for (std::size_t i = 0; i < tc.rows.size(); ++i) {
    const auto& r = tc.rows[i];
    ProtectionOutput out;
    if (r.reset_before) {
      const auto refused = p.reset("alice", "replaced battery 2/7", r.t_ms, out);
      EXPECT_EQ(!refused.has_value(), r.reset_ok)
          << tc.label << " row " << i << " " << refused.value_or("");
    }
    ProtectionInputs in;
    in.trip_cause = r.cause;
    in.fatal = r.fatal;
    in.last_closed = r.last;
    in.feedback_closed = r.feedback;
    in.cause_text = "battery 2/7 temperature trip";
    auto o = p.step(in, r.t_ms);
    o.commands.insert(o.commands.begin(), out.commands.begin(), out.commands.end());
    o.events.insert(o.events.begin(), out.events.begin(), out.events.end());
    EXPECT_EQ(p.state(), r.state) << tc.label << " row " << i;
    EXPECT_EQ(relay_cmd(o), r.relay_cmd) << tc.label << " row " << i;
    EXPECT_EQ(kinds(o), r.events) << tc.label << " row " << i;
  }
}

constexpr auto trip = EventKind::string_tripped;
constexpr auto note = EventKind::note;
constexpr auto rst = EventKind::string_reset;
constexpr auto rec = EventKind::string_reconnected;
constexpr auto mis = EventKind::relay_mismatch;

INSTANTIATE_TEST_SUITE_P(
    Transitions, ProtectionTable,
    ::testing::Values(Case{"quiet", {{false, false, false, true, 0, C, -1, {}}}},
                      Case{"trip_opens_and_latches",
                           {{true, false, false, true, 0, T, 0, {trip}},
                            {true, false, false, false, 1, T, -1, {}},
                            {false, false, false, false, 2, T, -1, {}}}},
                      Case{"reset_refused_while_cause_persists",
                           {{true, false, false, true, 0, T, 0, {trip}},
                            {true, false, false, false, 1, T, -1, {}, true, false},
                            {false, false, false, false, 2, T, -1, {}},
                            {false, false, false, false, 3, C, 1, {rst, rec}, true, true},
                            {false, false, false, true, 4, C, -1, {}}}},
                      Case{"reset_refused_when_not_tripped",
                           {{false, false, false, true, 0, C, -1, {}, true, false}}},
                      Case{"last_string_held",
                           {{true, false, true, true, 0, H, -1, {note}},
                            {true, false, true, true, 1, H, -1, {}},
                            {false, false, true, true, 2, C, -1, {note}}}},
                      Case{"held_then_other_string_closes_trips",
                           {{true, false, true, true, 0, H, -1, {note}},
                            {true, false, false, true, 1, T, 0, {trip}}}},
                      Case{"held_then_fatal_trips",
                           {{true, false, true, true, 0, H, -1, {note}},
                            {true, true, true, true, 1, T, 0, {trip}}}},
                      Case{"fatal_opens_last_string", {{true, true, true, true, 0, T, 0, {trip}}}},
                      Case{"mismatch_after_delay_when_open_commanded",
                           {{true, false, false, true, 0, T, 0, {trip}},
                            {true, false, false, true, 999, T, -1, {}},
                            {true, false, false, true, 1000, T, -1, {mis}},
                            {true, false, false, true, 1500, T, -1, {}},
                            {true, false, false, false, 1600, T, -1, {}}}},
                      Case{"mismatch_when_closed_commanded_but_fed_back_open",
                           {{false, false, false, false, 0, C, -1, {}},
                            {false, false, false, false, 1000, C, -1, {mis}}}},
                      Case{"no_feedback_no_mismatch",
                           {{true, false, false, std::nullopt, 0, T, 0, {trip}},
                            {true, false, false, std::nullopt, 5000, T, -1, {}}}}),
    [](const auto& info) { return info.param.label; });

// The reset refusal names what the operator must do: acknowledge while only the latch holds
// the trip, look at the plant while the cause itself is still there.
TEST(Protection, ResetRefusalSaysWhatHoldsTheTrip) {
  struct Refusal {
    bool awaits_ack_only;
    std::string must_contain;
    std::string must_not_contain;
  };
  for (const auto& c : {Refusal{true, "acknowledge it first", "persists"},
                        Refusal{false, "persists (battery 2/7 temperature trip)", "acknowledge"}}) {
    Protection p(cfg());
    ProtectionInputs in;
    in.trip_cause = true;
    in.cause_text = "battery 2/7 temperature trip";
    p.step(in, 0);
    in.cause_awaits_ack_only = c.awaits_ack_only;
    p.step(in, 1);
    ProtectionOutput out;
    const auto refused = p.reset("alice", "checked", 2, out);
    ASSERT_TRUE(refused.has_value());
    EXPECT_NE(refused->find(c.must_contain), std::string::npos) << *refused;
    EXPECT_EQ(refused->find(c.must_not_contain), std::string::npos) << *refused;
    EXPECT_EQ(p.state(), ProtectionState::tripped);
  }
}

TEST(Protection, FatalLastStringSaysSoLoudly) {
  Protection p(cfg());
  ProtectionInputs in{true, true, true, "thermal runaway", true};
  const auto o = p.step(in, 0);
  ASSERT_EQ(o.events.size(), 1u);
  EXPECT_NE(o.events[0].text.find("LAST CLOSED STRING"), std::string::npos) << o.events[0].text;
  EXPECT_NE(o.events[0].text.find("thermal runaway"), std::string::npos);
  EXPECT_EQ(o.events[0].severity, model::Severity::trip);
  EXPECT_EQ(o.events[0].source, "string/2");
}

TEST(Protection, ResetNeedsReason) {
  Protection p(cfg());
  p.step(ProtectionInputs{true, false, false, "x", true}, 0);
  p.step(ProtectionInputs{false, false, false, "x", false}, 1);
  ProtectionOutput out;
  EXPECT_TRUE(p.reset("bob", "", 2, out).has_value());
  EXPECT_EQ(p.state(), T);
  EXPECT_FALSE(p.reset("bob", "checked", 2, out).has_value());
  ASSERT_FALSE(out.events.empty());
  EXPECT_EQ(out.events[0].user, "bob");
  EXPECT_NE(out.events[0].text.find("checked"), std::string::npos);
}

TEST(Protection, NoRelayConfiguredStillLatches) {
  auto c = cfg();
  c.disconnect_relay.reset();
  Protection p(c);
  const auto o = p.step(ProtectionInputs{true, false, false, "x", std::nullopt}, 0);
  EXPECT_EQ(p.state(), T);
  EXPECT_TRUE(o.commands.empty());
  ASSERT_EQ(o.events.size(), 1u);
  EXPECT_NE(o.events[0].text.find("no disconnect relay"), std::string::npos);
  EXPECT_FALSE(p.closed_for_ups());
}

}  // namespace
}  // namespace btms::engine
