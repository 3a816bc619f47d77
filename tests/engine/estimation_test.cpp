// StringEstimator: state classification, SOC, discharge records and runtime.
#include "engine/estimation.hpp"

#include <gtest/gtest.h>

#include "model/battery_rating.hpp"

namespace btms::engine {
namespace {

using model::StringState;

EstimationConfig cfg() {
  EstimationConfig c;
  c.capacity_Ah = 100.0;
  c.cells_in_string = 24;  // 4 × 12 V
  return c;
}

StringReadings readings(std::optional<double> current_A, double v_cell, bool connected = true) {
  StringReadings r;
  r.connected = connected;
  r.current_A = current_A;
  r.voltage_V = v_cell * 24;
  r.battery_voltage_V.assign(4, v_cell * 6);
  return r;
}

struct StateRow {
  std::optional<double> current_A;
  double v_cell;
  bool connected;
  StringState expect;
};

class StateTable : public ::testing::TestWithParam<StateRow> {};

TEST_P(StateTable, Classifies) {
  const auto& r = GetParam();
  StringEstimator est(1, cfg());
  est.update(readings(r.current_A, r.v_cell, r.connected), 0);
  EXPECT_EQ(est.state(), r.expect);
}

INSTANTIATE_TEST_SUITE_P(Table, StateTable,
                         ::testing::Values(StateRow{0.2, 2.27, false, StringState::disconnected},
                                           StateRow{std::nullopt, 2.27, true,
                                                    StringState::abnormal},
                                           StateRow{-1.1, 2.27, true, StringState::discharge},
                                           StateRow{-0.9, 2.27, true, StringState::float_charge},
                                           StateRow{0.2, 2.241, true, StringState::float_charge},
                                           StateRow{0.2, 2.32, true, StringState::equalizing},
                                           StateRow{0.0, 2.10, true, StringState::idle},
                                           StateRow{5.0, 2.10, true, StringState::float_charge}));

TEST(StringEstimator, StringVoltageFallsBackToSumOfBatteries) {
  StringEstimator est(1, cfg());
  auto r = readings(0.2, 2.27);
  r.voltage_V.reset();
  est.update(r, 0);
  EXPECT_EQ(est.state(), StringState::float_charge);
  r.battery_voltage_V[1].reset();  // not all batteries: no voltage at all
  est.update(r, 1000);
  EXPECT_EQ(est.state(), StringState::abnormal);
}

TEST(StringEstimator, CoulombCountingAndRuntime) {
  StringEstimator est(1, cfg());
  std::int64_t t = 0;
  EXPECT_EQ(est.update(readings(-50.0, 2.0), t), StringEstimator::Change::discharge_started);
  for (int i = 0; i < 60; ++i) est.update(readings(-50.0, 2.0), t += 60'000);  // 1 h at 50 A
  EXPECT_NEAR(est.soc_pct(), 50.0, 1e-6);
  ASSERT_TRUE(est.runtime_min().has_value());
  // 50 % left at 50 A (5 × the 10-hour rate): the rating's capacity at that rate, not 50 Ah.
  model::BatteryType type;
  EXPECT_NEAR(*est.runtime_min(25.0), model::runtime_to_end_voltage_s(type, 50.0, 25.0, 0.5) / 60.0,
              1e-6);
  EXPECT_LT(*est.runtime_min(25.0), 60.0);
  EXPECT_LT(*est.runtime_min(5.0), *est.runtime_min(25.0));  // cold blocks deliver less
  ASSERT_TRUE(est.current_discharge().has_value());
  EXPECT_NEAR(est.current_discharge()->ah_out, 50.0, 1e-6);
  EXPECT_EQ(est.update(readings(0.0, 2.0), t += 1000), StringEstimator::Change::discharge_ended);
  EXPECT_FALSE(est.runtime_min().has_value());
}

TEST(StringEstimator, RestVoltageAndLongFloatCorrectSoc) {
  StringEstimator est(1, cfg());
  std::int64_t t = 0;
  for (int i = 0; i <= 30; ++i) est.update(readings(-60.0, 2.0), t += 60'000);
  EXPECT_NEAR(est.soc_pct(), 70.0, 1e-6);
  // Rest: OCV 2.05 V/cell = 50 % after 30 min idle. The first rest minute still counts half
  // of the last discharge current (trapezoid).
  est.update(readings(0.0, 2.05), t += 60'000);
  const double after = est.soc_pct();
  EXPECT_NEAR(after, 69.5, 1e-6);
  for (int i = 0; i < 28; ++i) est.update(readings(0.0, 2.05), t += 60'000);
  EXPECT_NEAR(est.soc_pct(), after, 1e-6);
  for (int i = 0; i < 2; ++i) est.update(readings(0.0, 2.05), t += 60'000);
  EXPECT_NEAR(est.soc_pct(), 50.0, 1e-6);
  // Float for an hour = full.
  for (int i = 0; i <= 60; ++i) est.update(readings(0.0, 2.27), t += 60'000);
  EXPECT_NEAR(est.soc_pct(), 100.0, 1e-6);
}

TEST(StringEstimator, DischargeRecordFindsWeakestBattery) {
  StringEstimator est(4, cfg());
  auto r = readings(-20.0, 2.0);
  est.update(r, 0);
  r.battery_voltage_V = {12.0, 11.2, 11.9, 11.5};
  r.voltage_V = 46.6;
  est.update(r, 60'000);
  r.battery_voltage_V = {12.1, 11.6, 11.4, 11.5};
  est.update(r, 120'000);
  est.update(readings(2.0, 2.1), 180'000);
  const auto& rec = est.last_discharge();
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->weakest_position, 2);
  EXPECT_DOUBLE_EQ(rec->min_battery_voltage_V[2], 11.4);
  EXPECT_DOUBLE_EQ(rec->min_string_voltage_V, 46.6);
  EXPECT_EQ(rec->start_ms, 0);
  EXPECT_EQ(rec->end_ms, 180'000);
  EXPECT_NEAR(rec->ah_out, 20.0 * 2.0 / 60.0 + (20.0 - 2.0) / 2.0 / 60.0, 1e-9);
  const auto text = describe(*rec);
  EXPECT_NE(text.find("weakest battery 2"), std::string::npos) << text;
}

}  // namespace
}  // namespace btms::engine

namespace btms::engine {
namespace {

// Scaled to C10 by the rating's capacity at the discharge's rate (model/battery_rating.hpp):
// the same Ah delivered at a higher rate mean a larger C10 capacity.
struct PeukertRow {
  double ah_out, current_A;
  model::Chemistry chemistry;
};
class CapacityAtC10 : public ::testing::TestWithParam<PeukertRow> {};

TEST_P(CapacityAtC10, ScalesByTheRatingsCapacityAtRate) {
  const auto& r = GetParam();
  model::BatteryType type;
  type.capacity_Ah = 100.0;
  type.chemistry = r.chemistry;
  const double expect =
      r.current_A <= 0.0 ? r.ah_out
                         : r.ah_out * 100.0 / model::capacity_at_rate_Ah(type, r.current_A, 25.0);
  EXPECT_NEAR(capacity_at_c10_Ah(r.ah_out, r.current_A, type), expect, 1e-9);
  if (r.current_A > 10.0) {
    EXPECT_GT(capacity_at_c10_Ah(r.ah_out, r.current_A, type), r.ah_out);
  }
  if (r.current_A == 10.0) {
    EXPECT_NEAR(capacity_at_c10_Ah(r.ah_out, r.current_A, type), r.ah_out, 1e-9);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, CapacityAtC10,
                         ::testing::Values(PeukertRow{80.0, 10.0, model::Chemistry::vrla_agm},
                                           PeukertRow{60.0, 20.0, model::Chemistry::vrla_agm},
                                           PeukertRow{60.0, 20.0, model::Chemistry::flooded},
                                           PeukertRow{5.0, 0.0, model::Chemistry::vrla_agm}));

// A discharge measures the capacity only when it started full, ran slowly enough and reached
// the end voltage.
struct CapacityRow {
  const char* name;
  double start_soc_pct;  // forced by a long rest at the matching OCV before
  double current_A;
  double end_v_cell;
  double hours;
  std::optional<double> expect_pct;
};
class CapacityMeasurement : public ::testing::TestWithParam<CapacityRow> {};

TEST_P(CapacityMeasurement, OnlyFromQualifyingDischarges) {
  const auto& r = GetParam();
  StringEstimator est(1, cfg());
  std::int64_t t = 0;
  if (r.start_soc_pct < 100.0) {
    // Rest at the OCV of the wanted SOC (1.98..2.12 V/cell) for the 30 min that makes it count.
    const double ocv = 1.98 + 0.14 * r.start_soc_pct / 100.0;
    for (int i = 0; i <= 31; ++i, t += 60'000) est.update(readings(0.0, ocv), t);
    ASSERT_NEAR(est.soc_pct(), r.start_soc_pct, 0.5);
  }
  const int steps = static_cast<int>(r.hours * 60);
  for (int i = 0; i <= steps; ++i, t += 60'000) {
    est.update(readings(-r.current_A, i == steps ? r.end_v_cell : 2.0), t);
  }
  est.update(readings(5.0, 2.27), t);  // charger back: the discharge ends
  ASSERT_TRUE(est.last_discharge().has_value()) << r.name;
  EXPECT_EQ(est.measured_capacity_pct().has_value(), r.expect_pct.has_value()) << r.name;
  if (r.expect_pct && est.measured_capacity_pct()) {
    EXPECT_NEAR(*est.measured_capacity_pct(), *r.expect_pct, 1.0) << r.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, CapacityMeasurement,
    ::testing::Values(CapacityRow{"full_c10_to_end", 100.0, 10.0, 1.79, 7.0, 70.0},
                      CapacityRow{"not_to_end_voltage", 100.0, 10.0, 1.85, 7.0, std::nullopt},
                      CapacityRow{"too_fast", 100.0, 40.0, 1.79, 1.0, std::nullopt},
                      CapacityRow{"not_started_full", 60.0, 10.0, 1.79, 4.0, std::nullopt}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(StringEstimator, DischargeRecordCarriesEnergyPeakRuntimeAndSoc) {
  StringEstimator est(1, cfg());
  std::int64_t t = 0;
  est.update(readings(0.2, 2.27), t);
  for (int i = 0; i < 30; ++i) est.update(readings(i < 10 ? -20.0 : -50.0, 2.0), t += 60'000);
  ASSERT_TRUE(est.current_discharge().has_value());
  const auto running = *est.current_discharge();
  // Full, first load, at the rate: less than 100 Ah / 20 A.
  EXPECT_NEAR(running.predicted_runtime_min,
              model::runtime_to_end_voltage_s(model::BatteryType{}, 20.0, 25.0, 1.0) / 60.0, 1.0);
  EXPECT_LT(running.predicted_runtime_min, 100.0 / 20.0 * 60.0);
  EXPECT_EQ(running.peak_current_A, 50.0);
  est.update(readings(5.0, 2.27), t += 60'000);
  ASSERT_TRUE(est.last_discharge().has_value());
  const auto& r = *est.last_discharge();
  EXPECT_NEAR(r.actual_runtime_min, 30.0, 1e-9);
  EXPECT_NEAR(r.energy_out_kWh, r.ah_out * 48.0 / 1000.0, 0.02 * r.energy_out_kWh);
  EXPECT_NEAR(r.soc_start_pct - r.soc_end_pct, 100.0 * r.ah_out / 100.0, 1.0);
}

}  // namespace
}  // namespace btms::engine
