// How long a lead-acid block lasts at a given discharge rate and temperature, from the
// manufacturer's constant-current table of the block (docs/battery-physics.md cites the tables
// and the fit). One model serves both sides: the virtual plant (how long its blocks do last) and
// the engine (how long they will last: runtime prediction), as a real gateway would predict from
// the datasheet of the blocks it watches.
#pragma once

#include "model/topology.hpp"

namespace btms::model {

// Capacity delivered down to the end voltage (1.80 V/cell) by a full block discharged at a
// constant current_A and temperature_C (Ah). Equals type.capacity_Ah at the 10-hour rate, 25 °C.
double capacity_at_rate_Ah(const BatteryType& type, double current_A, double temperature_C);

// Time until the end voltage for a block at state of charge soc_fraction (0..1) discharged at a
// constant current_A and temperature_C (seconds). current_A <= 0: +infinity.
double runtime_to_end_voltage_s(const BatteryType& type, double current_A, double temperature_C,
                                double soc_fraction);

}  // namespace btms::model
