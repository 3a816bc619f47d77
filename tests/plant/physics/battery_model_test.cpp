// One battery on its own: discharge times against the manufacturer's constant-current table
// (docs/battery-physics.md), resistance
// from the capacity table and how it moves with SOC, temperature and age.
#include "plant/physics/battery_model.hpp"

#include <gtest/gtest.h>

#include "model/battery_rating.hpp"

#include <cmath>
#include <string>

namespace btms::plant::physics {
namespace {

model::BatteryType block_12V_100Ah() {
  model::BatteryType type;
  type.name = "12V100";
  type.nominal_voltage_V = 12.0;
  type.cells = 6;
  type.capacity_Ah = 100.0;
  type.chemistry = model::Chemistry::vrla_agm;
  return type;
}

// Constant-current discharge from full to 1.80 V/cell (the table's end voltage); returns hours.
double hours_to_end_of_discharge(double current_A) {
  Battery battery(block_12V_100Ah(), BatterySpread{}, 25.0);
  const double end_V = 1.80 * battery.cells();
  double t_s = 0.0;
  while (battery.state().voltage_V > end_V && t_s < 30.0 * 3600.0) {
    battery.advance(-current_A, 1.0, 25.0);
    t_s += 1.0;
  }
  return t_s / 3600.0;
}

struct DischargeCase {
  const char* name;
  double current_A;
  double expected_h;
  double tolerance;  // fraction
};

class DischargeTime : public ::testing::TestWithParam<DischargeCase> {};

TEST_P(DischargeTime, ReachesEndVoltageNearTheRatedTime) {
  const DischargeCase& c = GetParam();
  const double hours = hours_to_end_of_discharge(c.current_A);
  EXPECT_NEAR(hours, c.expected_h, c.expected_h * c.tolerance) << c.name;
}

// The constant-current table of a 12 V 100 Ah (C10) AGM block to 1.80 V/cell at 25 °C
// (docs/battery-physics.md): the plant must be within 10 % of it at UPS and at capacity-test
// rates, simulating the battery model directly. The 15-minute and 10-hour rates are the ones the
// issue names; the others show the fit holds between them.
INSTANTIATE_TEST_SUITE_P(Table, DischargeTime,
                         ::testing::Values(DischargeCase{"Min15_150A", 150.0, 0.25, 0.10},
                                           DischargeCase{"Min30_96A", 96.0, 0.5, 0.10},
                                           DischargeCase{"H1_60A", 60.0, 1.0, 0.10},
                                           DischargeCase{"H3_24A", 24.3, 3.0, 0.10},
                                           DischargeCase{"H10_10A", 10.0, 10.0, 0.10}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Battery, HighRateDeliversLessChargeThanTenHourRate) {
  const double ah_10h = 10.0 * hours_to_end_of_discharge(10.0);
  const double ah_15min = 150.0 * hours_to_end_of_discharge(150.0);
  EXPECT_GT(ah_10h, 90.0);
  EXPECT_LT(ah_15min, 0.45 * ah_10h);  // the table: 37.5 Ah of 100
}

struct ResistanceCase {
  double capacity_Ah;
  int cells;
  double min_mOhm;
  double max_mOhm;
};

class ResistanceTable : public ::testing::TestWithParam<ResistanceCase> {};

TEST_P(ResistanceTable, MatchesTheFieldFigures) {
  const ResistanceCase& c = GetParam();
  const double r = resistance_from_capacity_mOhm(c.capacity_Ah, c.cells);
  EXPECT_GE(r, c.min_mOhm);
  EXPECT_LE(r, c.max_mOhm);
}

INSTANTIATE_TEST_SUITE_P(
    Blocks, ResistanceTable,
    ::testing::Values(ResistanceCase{200.0, 6, 2.69, 2.71}, ResistanceCase{100.0, 6, 2.7, 4.0},
                      ResistanceCase{65.0, 6, 3.99, 4.01}, ResistanceCase{40.0, 6, 4.0, 7.0},
                      ResistanceCase{20.0, 6, 7.0, 13.0}, ResistanceCase{12.0, 6, 12.99, 13.01},
                      ResistanceCase{100.0, 3, 1.35, 2.0}, ResistanceCase{100.0, 1, 0.45, 0.67}));

TEST(Battery, BypassCurrentFollowsTheBlockVoltage) {
  EXPECT_DOUBLE_EQ(bypass_current_A(12.0), 0.15);
  EXPECT_DOUBLE_EQ(bypass_current_A(6.0), 0.30);
  EXPECT_DOUBLE_EQ(bypass_current_A(2.0), 0.85);
}

// The plant's battery and the engine's runtime prediction use the same rating function: the
// plant's time to 1.80 V/cell agrees with model::runtime_to_end_voltage_s at every rate.
TEST(Battery, AgreesWithTheSharedRatingModel) {
  for (const double current_A : {10.0, 24.3, 60.0, 150.0, 190.0}) {
    const double model_h =
        model::runtime_to_end_voltage_s(block_12V_100Ah(), current_A, 25.0, 1.0) / 3600.0;
    EXPECT_NEAR(hours_to_end_of_discharge(current_A), model_h, 0.06 * model_h) << current_A;
  }
}

TEST(Battery, PeukertExponentByChemistry) {
  EXPECT_NEAR(peukert_exponent(model::Chemistry::vrla_agm), 1.1, 0.05);
  EXPECT_GT(peukert_exponent(model::Chemistry::vrla_gel),
            peukert_exponent(model::Chemistry::vrla_agm));
  EXPECT_GT(peukert_exponent(model::Chemistry::flooded),
            peukert_exponent(model::Chemistry::vrla_gel));
}

TEST(Battery, ResistanceRisesAtLowSoc) {
  Battery battery(block_12V_100Ah(), BatterySpread{}, 25.0);
  const double full_mOhm = battery.state().resistance_mOhm;
  battery.set_soc(0.1);
  EXPECT_GT(battery.state().resistance_mOhm, 1.2 * full_mOhm);
}

TEST(Battery, ResistanceRisesInTheCold) {
  Battery battery(block_12V_100Ah(), BatterySpread{}, 25.0);
  const double warm_mOhm = battery.state().resistance_mOhm;
  for (int i = 0; i < 48; ++i) battery.advance(0.0, 3600.0, 0.0);
  EXPECT_LT(battery.state().temperature_C, 2.0);
  EXPECT_GT(battery.state().resistance_mOhm, 1.2 * warm_mOhm);
}

TEST(Battery, AgeingRaisesResistanceAndFadesCapacity) {
  Battery battery(block_12V_100Ah(), BatterySpread{}, 25.0);
  const double r0 = battery.state().resistance_mOhm;
  const double c0 = battery.state().capacity_Ah;
  battery.age(5.0);
  EXPECT_GT(battery.state().resistance_mOhm, 1.1 * r0);
  EXPECT_LT(battery.state().resistance_mOhm, 1.3 * r0);  // < 5 %/year: healthy ageing
  EXPECT_LT(battery.state().capacity_Ah, 0.9 * c0);
}

TEST(Battery, OpenBatteryCarriesNoCurrentAndReadsZero) {
  Battery battery(block_12V_100Ah(), BatterySpread{}, 25.0);
  battery.open_circuit();
  battery.advance(-50.0, 60.0, 25.0);
  EXPECT_TRUE(battery.state().open_circuit);
  EXPECT_DOUBLE_EQ(battery.state().voltage_V, 0.0);
  EXPECT_GT(battery.state().soc, 0.99);
}

}  // namespace
}  // namespace btms::plant::physics

namespace btms::plant::physics {
namespace {

// Constant-power table of the same 12 V 100 Ah AGM blocks to 1.75 V/cell at 25 °C, the way
// UPS vendors size strings (docs/battery-physics.md: about 300, 195 and 115 W per cell for 15,
// 30 and 60 minutes): the plant's constant-power runtime is within 10 % of it.
struct PowerCase {
  const char* name;
  double runtime_min;
  double table_W_per_cell;
};

class ConstantPowerTable : public ::testing::TestWithParam<PowerCase> {};

TEST_P(ConstantPowerTable, PowerForTheRuntimeIsTheTables) {
  const PowerCase& c = GetParam();
  model::BatteryType type;
  type.capacity_Ah = 100.0;
  type.cells = 6;
  const double w_per_cell = power_for_runtime_W(type, c.runtime_min * 60.0) / 6.0;
  EXPECT_NEAR(w_per_cell, c.table_W_per_cell, 0.10 * c.table_W_per_cell) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Agm100Ah, ConstantPowerTable,
                         ::testing::Values(PowerCase{"Min15", 15.0, 300.0},
                                           PowerCase{"Min30", 30.0, 195.0},
                                           PowerCase{"H1", 60.0, 115.0}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace btms::plant::physics
