// The plant as a whole: float, spread and balancing, UPS discharge and recharge, end of
// discharge, contactors, open batteries, thermal runaway, ambient, insulation, determinism.
#include "plant/physics/plant_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace btms::plant {
namespace {

model::Site make_site(int strings, int batteries_per_string, double rated_power_kW = 0.0) {
  model::Site site;
  site.name = "test";
  model::BatteryType type;
  type.name = "12V100";
  type.nominal_voltage_V = 12.0;
  type.cells = 6;
  type.capacity_Ah = 100.0;
  site.battery_types.push_back(type);
  model::Ups ups;
  ups.id = 1;
  ups.name = "UPS 1";
  ups.rated_power_kW = rated_power_kW;
  site.upses.push_back(ups);
  site.mc.present = true;
  site.mc.th.push_back(model::ThSensor{1, "room"});
  for (int s = 1; s <= strings; ++s) {
    model::String string;
    string.id = s;
    string.ups_id = 1;
    string.name = "S" + std::to_string(s);
    string.battery_type = "12V100";
    string.batteries = batteries_per_string;
    string.ambient_th = 1;
    site.strings.push_back(string);
  }
  return site;
}

struct Spread {
  double min_V = 1e9;
  double max_V = 0.0;
  double mean_V = 0.0;
  double range_V() const { return max_V - min_V; }
};

Spread spread_of(const PlantModel& plant, int string_id, int batteries) {
  Spread s;
  for (int p = 1; p <= batteries; ++p) {
    const double v = plant.battery(string_id, p).voltage_V;
    s.min_V = std::min(s.min_V, v);
    s.max_V = std::max(s.max_V, v);
    s.mean_V += v;
  }
  s.mean_V /= batteries;
  return s;
}

TEST(PlantModel, FloatsAt2_25To2_30VoltsPerCellAt25C) {
  PlantModel plant(make_site(1, 40), 1);
  plant.set_ambient(1, 25.0, 40.0);
  plant.step(6 * 3600.0);
  const Spread s = spread_of(plant, 1, 40);
  EXPECT_GE(s.mean_V / 6.0, 2.25);
  EXPECT_LE(s.mean_V / 6.0, 2.30);
  EXPECT_NEAR(plant.string(1).voltage_V, 40 * 6 * 2.27, 0.5);
  // Float current of a healthy string: about 1-3 mA per Ah.
  EXPECT_GT(plant.string(1).current_A, 0.05);
  EXPECT_LT(plant.string(1).current_A, 0.5);
}

TEST(PlantModel, TemperatureCompensationLowersFloatWhenWarm) {
  PlantModel plant(make_site(1, 40), 1);
  plant.set_ambient(1, 35.0, 40.0);
  plant.step(12 * 3600.0);
  // -3 mV/°C/cell around 25 °C: 10 °C warmer = 30 mV/cell lower.
  EXPECT_NEAR(plant.string(1).voltage_V, 40 * 6 * (2.27 - 0.03), 0.5);
}

TEST(PlantModel, FloatVoltagesSpreadWithoutBalancing) {
  PlantModel plant(make_site(1, 40), 3);
  plant.step(12 * 3600.0);
  const Spread s = spread_of(plant, 1, 40);
  EXPECT_GE(s.range_V(), 0.100);
  EXPECT_LE(s.range_V(), 0.300);
}

TEST(PlantModel, BalancingTheHighBatteriesNarrowsTheSpread) {
  PlantModel plant(make_site(1, 40), 3);
  const Spread before = spread_of(plant, 1, 40);
  // The BM-CS balancer as a simple controller: bypass batteries above the mean.
  for (int minute = 0; minute < 12 * 60; ++minute) {
    const Spread now = spread_of(plant, 1, 40);
    for (int p = 1; p <= 40; ++p) {
      plant.set_balancing(1, p, plant.battery(1, p).voltage_V > now.mean_V + 0.010);
    }
    plant.step(60.0);
  }
  const Spread after = spread_of(plant, 1, 40);
  EXPECT_LT(after.range_V(), 0.6 * before.range_V());
  EXPECT_NEAR(after.mean_V / 6.0, 2.27, 0.01);
}

TEST(PlantModel, BalancingPullsOneBatteryDownOverHours) {
  PlantModel plant(make_site(1, 40), 3);
  int highest = 1;
  for (int p = 2; p <= 40; ++p) {
    if (plant.battery(1, p).voltage_V > plant.battery(1, highest).voltage_V) highest = p;
  }
  const double start_V = plant.battery(1, highest).voltage_V;
  plant.set_balancing(1, highest, true);
  EXPECT_DOUBLE_EQ(plant.battery(1, highest).balance_current_A, 0.0);  // seen after a step
  plant.step(60.0);
  EXPECT_DOUBLE_EQ(plant.battery(1, highest).balance_current_A, 0.15);
  const double after_minute_V = plant.battery(1, highest).voltage_V;
  plant.step(4 * 3600.0);
  const double after_hours_V = plant.battery(1, highest).voltage_V;
  EXPECT_GT(after_minute_V, start_V - 0.03);  // slow: not a step
  EXPECT_LT(after_hours_V, start_V - 0.05);
}

TEST(PlantModel, MainsFailDischargesSharedBetweenStringsThenRechargesAndFloats) {
  PlantModel plant(make_site(2, 40, 100.0), 5);
  plant.set_mains(1, false);
  plant.step(60.0);
  const double i1 = plant.string(1).current_A;
  const double i2 = plant.string(2).current_A;
  EXPECT_LT(i1, 0.0);
  EXPECT_LT(i2, 0.0);
  EXPECT_NEAR(i1, i2, 0.1 * std::abs(i1));
  const double delivered_kW =
      -(i1 * plant.string(1).voltage_V + i2 * plant.string(2).voltage_V) / 1000.0;
  EXPECT_NEAR(delivered_kW, 100.0, 2.0);
  EXPECT_DOUBLE_EQ(plant.ups(1).load_kW, 100.0);
  plant.step(9 * 60.0);
  const double soc_after = plant.battery(1, 1).soc;
  EXPECT_LT(soc_after, 0.9);

  plant.set_mains(1, true);
  plant.step(60.0);
  EXPECT_DOUBLE_EQ(plant.ups(1).load_kW, 0.0);
  EXPECT_NEAR(plant.string(1).current_A, 10.0, 0.01);  // bulk: current limit 0.1 C
  EXPECT_NEAR(plant.string(2).current_A, 10.0, 0.01);
  plant.step(12 * 3600.0);
  EXPECT_GT(plant.battery(1, 1).soc, 0.99);
  EXPECT_LT(plant.string(1).current_A, 0.5);  // float
  EXPECT_GT(plant.string(1).current_A, 0.0);
}

TEST(PlantModel, DefaultLoadEndsDischargeAfterAboutFifteenMinutes) {
  PlantModel plant(make_site(2, 40), 5);
  plant.set_mains(1, false);
  double t_s = 0.0;
  while (plant.ups(1).load_kW > 0.0 && t_s < 3600.0) {
    plant.step(5.0);
    t_s += 5.0;
  }
  EXPECT_NEAR(t_s / 60.0, 15.0, 15.0 * 0.25);
  plant.step(5.0);
  EXPECT_DOUBLE_EQ(plant.string(1).current_A, 0.0);
  EXPECT_DOUBLE_EQ(plant.string(2).current_A, 0.0);
  // SOC counts C10 amp-hours: at the 15-minute rate a block gives ~38 % of C10 to 1.80 V/cell.
  EXPECT_LT(plant.battery(1, 1).soc, 0.75);
}

struct TypeCase {
  const char* name;
  double nominal_V;
  int cells;
  double capacity_Ah;
  int batteries;
};

model::Site make_typed_site(const TypeCase& c) {
  model::Site site = make_site(1, c.batteries);
  site.battery_types[0].nominal_voltage_V = c.nominal_V;
  site.battery_types[0].cells = c.cells;
  site.battery_types[0].capacity_Ah = c.capacity_Ah;
  return site;
}

class PerBatteryType : public ::testing::TestWithParam<TypeCase> {};

TEST_P(PerBatteryType, FloatsAtTheSetVoltagePerCell) {
  const TypeCase& c = GetParam();
  PlantModel plant(make_typed_site(c), 8);
  plant.set_ambient(1, 25.0, 40.0);
  plant.step(3 * 3600.0);
  const Spread s = spread_of(plant, 1, c.batteries);
  EXPECT_GE(s.mean_V / c.cells, 2.25);
  EXPECT_LE(s.mean_V / c.cells, 2.30);
  EXPECT_GE(s.min_V / c.cells, 2.20);
  EXPECT_LE(s.max_V / c.cells, 2.35);
}

TEST_P(PerBatteryType, DefaultLoadLastsAboutFifteenMinutes) {
  const TypeCase& c = GetParam();
  PlantModel plant(make_typed_site(c), 8);
  plant.set_mains(1, false);
  double t_s = 0.0;
  while (plant.ups(1).load_kW > 0.0 && t_s < 3600.0) {
    plant.step(5.0);
    t_s += 5.0;
  }
  EXPECT_NEAR(t_s / 60.0, 15.0, 15.0 * 0.25);
}

INSTANTIATE_TEST_SUITE_P(Types, PerBatteryType,
                         ::testing::Values(TypeCase{"V2_1000Ah", 2.0, 1, 1000.0, 120},
                                           TypeCase{"V6_200Ah", 6.0, 3, 200.0, 60},
                                           TypeCase{"V12_40Ah", 12.0, 6, 40.0, 40},
                                           TypeCase{"V12_200Ah", 12.0, 6, 200.0, 40}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PlantModel, OpenBatteryStopsTheStringCurrent) {
  PlantModel plant(make_site(2, 40, 60.0), 9);
  plant.open_battery(1, 7);
  plant.step(10.0);
  EXPECT_DOUBLE_EQ(plant.string(1).current_A, 0.0);
  EXPECT_TRUE(plant.battery(1, 7).open_circuit);
  plant.set_mains(1, false);
  plant.step(10.0);
  EXPECT_DOUBLE_EQ(plant.string(1).current_A, 0.0);
  EXPECT_LT(plant.string(2).current_A, 0.0);  // the healthy string carries the load alone
}

TEST(PlantModel, OpenContactorCarriesNoCurrentUnlessWelded) {
  PlantModel plant(make_site(1, 40, 60.0), 9);
  plant.set_mains(1, false);
  plant.set_contactor(1, false);
  plant.step(10.0);
  EXPECT_FALSE(plant.string(1).contactor_closed);
  EXPECT_DOUBLE_EQ(plant.string(1).current_A, 0.0);
  EXPECT_DOUBLE_EQ(plant.ups(1).load_kW, 0.0);  // nothing left to carry the load

  PlantModel welded(make_site(1, 40, 60.0), 9);
  welded.set_contactor_welded(1, true);
  welded.set_contactor(1, false);
  welded.set_mains(1, false);
  welded.step(10.0);
  EXPECT_TRUE(welded.string(1).contactor_closed);
  EXPECT_LT(welded.string(1).current_A, 0.0);
}

// Published runaway behaviour (docs/battery-physics.md): on a 40-block string the float
// current climbs from ~0.15 A into amperes while the faulty block heats far above the room;
// opening the string stops the current and the block cools.
TEST(PlantModel, ThermalRunawayRaisesCurrentIntoAmperesAndHeatUntilTheContactorOpens) {
  PlantModel plant(make_site(1, 40), 11);
  const double ambient_C = plant.ambient_temperature_C(1);
  const double start_A = plant.string(1).current_A;
  EXPECT_LT(start_A, 0.3);  // a healthy 40 x 100 Ah string floats at ~0.15 A
  plant.start_thermal_runaway(1, 20);
  double previous_C = plant.battery(1, 20).temperature_C;
  double previous_A = 0.0;
  for (int i = 0; i < 4; ++i) {  // the first two hours: temperature and current climb together
    plant.step(1800.0);
    const double now_C = plant.battery(1, 20).temperature_C;
    EXPECT_GT(now_C, previous_C) << "half hour " << i;
    EXPECT_GT(plant.string(1).current_A, previous_A) << "half hour " << i;
    previous_C = now_C;
    previous_A = plant.string(1).current_A;
  }
  EXPECT_GT(previous_C, ambient_C + 40.0);
  EXPECT_GT(plant.string(1).current_A, 1.5);  // amperes: above the runaway rule's 0.01 C10
  EXPECT_GT(plant.string(1).current_A, 8.0 * start_A);
  // The other blocks carry the same current: they warm, but far less than the faulty one.
  EXPECT_LT(plant.battery(1, 5).temperature_C, previous_C - 30.0);
  plant.set_contactor(1, false);
  plant.step(60.0);
  EXPECT_DOUBLE_EQ(plant.string(1).current_A, 0.0);
  const double hot_C = plant.battery(1, 20).temperature_C;
  plant.step(6 * 3600.0);
  EXPECT_LT(plant.battery(1, 20).temperature_C, hot_C - 10.0);
}

// A short string has fewer blocks to share the faulty one's lost voltage: it runs away to the
// rectifier's current limit (0.1 C10) and heats as a whole.
TEST(PlantModel, ShortStringRunsAwayToTheRectifierLimit) {
  PlantModel plant(make_site(1, 12), 11);
  plant.start_thermal_runaway(1, 7);
  plant.step(2 * 3600.0);
  EXPECT_NEAR(plant.string(1).current_A, 10.0, 0.01);
  EXPECT_GT(plant.battery(1, 2).temperature_C, plant.ambient_temperature_C(1) + 8.0);
}

TEST(PlantModel, LocalHeatRaisesOneBattery) {
  PlantModel plant(make_site(1, 10), 2);
  const double before_C = plant.battery(1, 3).temperature_C;
  plant.add_heat_W(1, 3, 20.0);
  plant.step(6 * 3600.0);
  // Against a battery far from the heater (the room drifts over six hours).
  const double far_C = plant.battery(1, 9).temperature_C;
  EXPECT_GT(plant.battery(1, 3).temperature_C, far_C + 4.5);
  EXPECT_GT(plant.battery(1, 3).temperature_C, before_C + 4.0);
  // The blocks beside it warm a little through the shelf (~1/6 of its rise), no more.
  EXPECT_LT(plant.battery(1, 4).temperature_C, far_C + 1.5);
  EXPECT_GT(plant.battery(1, 4).temperature_C, far_C + 0.3);
}

TEST(PlantModel, ScaleResistanceAndAgeing) {
  PlantModel plant(make_site(1, 10), 2);
  const double r0 = plant.battery(1, 2).resistance_mOhm;
  plant.scale_resistance(1, 2, 1.5);
  EXPECT_NEAR(plant.battery(1, 2).resistance_mOhm, 1.5 * r0, 1e-9);
  const double r_other = plant.battery(1, 3).resistance_mOhm;
  const double c_other = plant.battery(1, 3).capacity_Ah;
  plant.age_years(4.0);
  EXPECT_GT(plant.battery(1, 3).resistance_mOhm, r_other);
  EXPECT_LT(plant.battery(1, 3).capacity_Ah, c_other);
}

TEST(PlantModel, AmbientStaysInTheRoomRangeAndCanBeSet) {
  PlantModel plant(make_site(1, 4), 4);
  for (int hour = 0; hour < 72; ++hour) {
    plant.step(3600.0);
    EXPECT_GE(plant.ambient_temperature_C(1), 22.0);
    EXPECT_LE(plant.ambient_temperature_C(1), 25.0);
    EXPECT_GE(plant.ambient_humidity_pct(1), 35.0);
    EXPECT_LE(plant.ambient_humidity_pct(1), 50.0);
  }
  plant.set_ambient(1, 30.0, 80.0);
  plant.step(10.0);
  EXPECT_DOUBLE_EQ(plant.ambient_temperature_C(1), 30.0);
  EXPECT_DOUBLE_EQ(plant.ambient_humidity_pct(1), 80.0);
}

TEST(PlantModel, InsulationIsSeveralMegaohmsAndFallsWithHumidity) {
  PlantModel plant(make_site(1, 4), 4);
  plant.set_ambient(1, 23.0, 40.0);
  plant.step(1.0);
  const double dry_kOhm = plant.string(1).insulation_pos_kOhm;
  EXPECT_GT(dry_kOhm, 1000.0);
  EXPECT_LT(dry_kOhm, 20000.0);
  EXPECT_GT(plant.string(1).insulation_neg_kOhm, 1000.0);
  plant.set_ambient(1, 23.0, 85.0);
  plant.step(1.0);
  EXPECT_LT(plant.string(1).insulation_pos_kOhm, 0.5 * dry_kOhm);
  plant.set_insulation_kOhm(1, 25.0, 4000.0);
  plant.step(100.0);
  EXPECT_DOUBLE_EQ(plant.string(1).insulation_pos_kOhm, 25.0);
  EXPECT_DOUBLE_EQ(plant.string(1).insulation_neg_kOhm, 4000.0);
}

std::vector<double> run_scenario(std::uint64_t seed) {
  PlantModel plant(make_site(2, 20, 40.0), seed);
  std::vector<double> out;
  plant.step(600.0);
  plant.set_mains(1, false);
  plant.step(300.0);
  plant.set_mains(1, true);
  plant.set_balancing(1, 3, true);
  plant.step(3600.0);
  for (int s = 1; s <= 2; ++s) {
    out.push_back(plant.string(s).current_A);
    out.push_back(plant.string(s).insulation_pos_kOhm);
    for (int p = 1; p <= 20; ++p) {
      out.push_back(plant.battery(s, p).voltage_V);
      out.push_back(plant.battery(s, p).temperature_C);
      out.push_back(plant.battery(s, p).soc);
    }
  }
  out.push_back(plant.ambient_temperature_C(1));
  return out;
}

TEST(PlantModel, SameSeedGivesIdenticalResults) {
  EXPECT_EQ(run_scenario(42), run_scenario(42));
  EXPECT_NE(run_scenario(42), run_scenario(43));
}

TEST(PlantModel, LongStepEqualsOneSecondSteps) {
  PlantModel a(make_site(1, 10), 6);
  PlantModel b(make_site(1, 10), 6);
  a.step(30.0);
  for (int i = 0; i < 30; ++i) b.step(1.0);
  EXPECT_DOUBLE_EQ(a.time_s(), 30.0);
  EXPECT_NEAR(a.battery(1, 5).voltage_V, b.battery(1, 5).voltage_V, 1e-9);
  EXPECT_NEAR(a.string(1).current_A, b.string(1).current_A, 1e-9);
}

TEST(PlantModel, UnknownIdsThrow) {
  PlantModel plant(make_site(1, 4), 1);
  EXPECT_THROW((void)plant.battery(2, 1), std::out_of_range);
  EXPECT_THROW((void)plant.battery(1, 5), std::out_of_range);
  EXPECT_THROW((void)plant.battery(1, 0), std::out_of_range);
  EXPECT_THROW((void)plant.string(9), std::out_of_range);
  EXPECT_THROW((void)plant.ups(2), std::out_of_range);
  EXPECT_THROW((void)plant.ambient_temperature_C(40), std::out_of_range);
}

}  // namespace
}  // namespace btms::plant

namespace btms::plant {
namespace {

// A plant running at high speed takes sub-steps of up to 60 s (VirtualPlant coarsens them when
// a tick's work outgrows its period): the outage must still end within a minute or two of where
// 1 s sub-steps end it, and the float current must be the same.
TEST(PlantModel, CoarseSubstepsKeepDischargeTimeAndFloat) {
  const auto discharge_s = [](double substep_s) {
    PlantModel plant(make_site(2, 40), 5);
    plant.set_max_substep_s(substep_s);
    plant.set_mains(1, false);
    double t_s = 0.0;
    while (plant.ups(1).load_kW > 0.0 && t_s < 3600.0) {
      plant.step(60.0);
      t_s += 60.0;
    }
    return t_s;
  };
  const double fine_s = discharge_s(1.0);
  const double coarse_s = discharge_s(60.0);
  EXPECT_NEAR(coarse_s, fine_s, 120.0);
  PlantModel fine(make_site(1, 40), 5);
  PlantModel coarse(make_site(1, 40), 5);
  coarse.set_max_substep_s(60.0);
  fine.step(3600.0);
  coarse.step(3600.0);
  EXPECT_NEAR(coarse.string(1).current_A, fine.string(1).current_A, 0.01);
  coarse.set_max_substep_s(1000.0);  // clamped to 60 s
  EXPECT_DOUBLE_EQ(coarse.max_substep_s(), 60.0);
  coarse.set_max_substep_s(0.01);  // clamped to 1 s
  EXPECT_DOUBLE_EQ(coarse.max_substep_s(), 1.0);
}

}  // namespace
}  // namespace btms::plant
