// When a discharge is a capacity test and what it measured: every condition of the test on its
// own (start full, test rate, end voltage reached), its limits at the boundary, and the figure
// (Ah out scaled to C10 by the blocks' rating) for a test that qualifies.
#include "model/capacity_test.hpp"

#include <gtest/gtest.h>

#include "model/battery_rating.hpp"

namespace btms::model {
namespace {

constexpr int kCells = 6 * 40;  // 40 blocks of 6 cells

BatteryType agm_100Ah() {
  BatteryType t;
  t.capacity_Ah = 100.0;
  t.cells = 6;
  return t;
}

// 10 h at 9 A from full down to 1.75 V per cell: a C10 test giving 90 Ah.
DischargeRecord c10_test() {
  DischargeRecord r;
  r.string_id = 1;
  r.start_ms = 0;
  r.end_ms = 10LL * 3600 * 1000;
  r.ah_out = 90.0;
  r.soc_start_pct = 100.0;
  r.min_string_voltage_V = 1.75 * kCells;
  return r;
}

TEST(CapacityTest, AQualifyingTestMeasuresTheC10Capacity) {
  const auto m = measure_capacity(c10_test(), agm_100Ah(), kCells, {});
  ASSERT_TRUE(m.capacity_pct.has_value()) << m.not_measured_because;
  const double expected = 100.0 * capacity_at_c10_Ah(90.0, 9.0, agm_100Ah()) / 100.0;
  EXPECT_DOUBLE_EQ(*m.capacity_pct, expected);
  EXPECT_NEAR(*m.capacity_pct, 90.0, 3.0);  // at C10 the rating scales by about 1
  EXPECT_TRUE(m.not_measured_because.empty());
}

TEST(CapacityTest, AFasterTestIsScaledUpToC10) {
  auto r = c10_test();
  r.end_ms = 5LL * 3600 * 1000;  // 5 h at 15 A: 75 Ah at C5 is more at C10
  r.ah_out = 75.0;
  const auto m = measure_capacity(r, agm_100Ah(), kCells, {});
  ASSERT_TRUE(m.capacity_pct.has_value()) << m.not_measured_because;
  EXPECT_GT(*m.capacity_pct, 75.0);
  EXPECT_DOUBLE_EQ(*m.capacity_pct, capacity_at_c10_Ah(75.0, 15.0, agm_100Ah()));
}

TEST(CapacityTest, EveryConditionOnItsOwn) {
  struct Case {
    const char* name;
    void (*change)(DischargeRecord&, BatteryType&);
    const char* reason;  // empty = measured
  };
  const Case cases[] = {
      {"running", [](DischargeRecord& r, BatteryType&) { r.end_ms = 0; }, "still running"},
      {"nothing out", [](DischargeRecord& r, BatteryType&) { r.ah_out = 0.0; }, "no charge"},
      {"no rating", [](DischargeRecord&, BatteryType& t) { t.capacity_Ah = 0.0; },
       "rated capacity is not configured"},
      {"started at 94.9 %", [](DischargeRecord& r, BatteryType&) { r.soc_start_pct = 94.9; },
       "started at 94.9 % state of charge, not full"},
      {"started at 95 %", [](DischargeRecord& r, BatteryType&) { r.soc_start_pct = 95.0; }, ""},
      {"voltage never read", [](DischargeRecord& r, BatteryType&) { r.min_string_voltage_V = 0; },
       "not read"},
      {"ended at 1.81 V/cell",
       [](DischargeRecord& r, BatteryType&) { r.min_string_voltage_V = 1.81 * kCells; },
       "above the test's end voltage 1.80 V"},
      {"ended at 1.80 V/cell",
       [](DischargeRecord& r, BatteryType&) { r.min_string_voltage_V = 1.80 * kCells; }, ""},
      {"0.26 C10 average",
       [](DischargeRecord& r, BatteryType&) {
         r.ah_out = 26.0;
         r.end_ms = 3600 * 1000;
       },
       "averaged 0.26 C10, faster than a capacity test"},
      {"0.25 C10 average",
       [](DischargeRecord& r, BatteryType&) {
         r.ah_out = 25.0;
         r.end_ms = 3600 * 1000;
       },
       ""},
  };
  for (const auto& c : cases) {
    auto r = c10_test();
    auto t = agm_100Ah();
    c.change(r, t);
    const auto m = measure_capacity(r, t, kCells, {1.80, 0.25, 95.0});
    if (std::string(c.reason).empty()) {
      EXPECT_TRUE(m.capacity_pct.has_value()) << c.name << ": " << m.not_measured_because;
    } else {
      EXPECT_FALSE(m.capacity_pct.has_value()) << c.name;
      EXPECT_NE(m.not_measured_because.find(c.reason), std::string::npos)
          << c.name << ": " << m.not_measured_because;
    }
  }
}

}  // namespace
}  // namespace btms::model
