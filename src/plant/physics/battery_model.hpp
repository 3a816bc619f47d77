// One lead-acid (VRLA / flooded) battery block: state of charge, open-circuit voltage, ohmic
// resistance, one RC polarization term, a charge/float overpotential with Tafel gassing
// (what makes float voltages spread in a series string), capacity by discharge rate from the
// maker's constant-current table (model/battery_rating), heat balance, thermal runaway, ageing.
// Figures and sources: docs/battery-physics.md.
#pragma once

#include <algorithm>

#include "model/topology.hpp"
#include "plant/physics/plant_model.hpp"

namespace btms::plant::physics {

// Ohmic resistance of a new battery from its capacity (ANCHORS.md table for 12 V blocks,
// scaled by cells for 2 V and 6 V blocks).
double resistance_from_capacity_mOhm(double capacity_Ah, int cells);
double peukert_exponent(model::Chemistry chemistry);
// Bypass current of the BM-CS balancer, as Generex: 150 mA on 12 V, 300 mA on 6 V, 850 mA on 2 V.
double bypass_current_A(double nominal_voltage_V);

// Constant power (W) that takes one fresh, full battery of this type to 1.75 V/cell in
// runtime_s: the UPS's default load is sized with it ("a fresh string lasts ~15 min").
double power_for_runtime_W(const model::BatteryType& type, double runtime_s);

// Per-battery manufacturing spread, drawn from the plant's seeded random stream.
struct BatterySpread {
  double leak_factor = 1.0;        // float/self-discharge leakage relative to typical
  double resistance_factor = 1.0;  // ohmic resistance relative to the type's
  double ageing_factor = 1.0;      // how fast this battery ages relative to typical
};

class Battery {
 public:
  Battery(const model::BatteryType& type, const BatterySpread& spread, double temperature_C);

  // Terminal voltage over the next sub-step as offset + slope * current (current + = charge):
  // the states that respond to the current (RC term, overpotential) are integrated implicitly,
  // so the string can solve its current in closed form and stay stable at any dt.
  struct Linear {
    double offset_V = 0.0;
    double slope_Ohm = 0.0;
  };
  Linear linearize(double dt_s) const;

  // Advances the battery's states by dt_s carrying current_A (ignored when failed open).
  void advance(double current_A, double dt_s, double ambient_C);

  const BatteryState& state() const { return state_; }
  double cells() const { return cells_; }
  double bypass_A() const;  // drawn now by the balancer (0 when off or failed open)
  bool is_open() const { return state_.open_circuit; }
  double rated_capacity_Ah() const { return rated_capacity_Ah_; }
  double peukert() const { return peukert_; }
  double overpotential_V() const { return eta_V_; }
  double gassing_current_A() const;

  void set_soc(double soc);
  void set_balancing(bool on) { balancing_ = on; }
  void scale_resistance(double factor) {
    resistance_scale_ *= factor;
    refresh_outputs();
  }
  void set_extra_heat_W(double watts) { extra_heat_W_ = watts; }
  // Heat flowing in from the blocks beside it (the string computes it before each advance).
  void set_conducted_heat_W(double watts) { conducted_heat_W_ = watts; }
  bool in_runaway() const { return runaway_; }
  void start_thermal_runaway() { runaway_ = true; }
  // Dry-out of an aged VRLA block floated warm for years: its oxygen recombination is nearly
  // complete and it draws `factor` times a new block's float current at the same voltage.
  void set_dry_out(double factor) { dry_out_ = std::max(1.0, factor); }
  void open_circuit();
  void age(double years);

 private:
  double capacity_Ah() const;  // aged, at 25 °C
  double ocv_V() const;
  double resistance_Ohm() const;
  double leak_reference_A() const;  // Tafel exchange current at the present temperature
  double soft_short_A() const;      // inside a block in runaway (0 otherwise)
  double acceptance_S() const;      // charge acceptance conductance, falls to 0 at full charge
  double knee_V(double current_A) const;
  void refresh_outputs();

  // Type.
  model::BatteryType type_;  // the rate table (capacity_at_rate_Ah) is looked up by it
  double cells_;
  double rated_capacity_Ah_;
  double bypass_rated_A_;
  double resistance_new_Ohm_;
  double peukert_;
  double tafel_V_;      // per e-fold of gassing current, whole block
  double eta_cap_F_;    // overpotential capacitance: float settles over hours
  double rc_tau_s_;     // polarization time constant
  double rc_fraction_;  // polarization resistance / ohmic resistance
  double thermal_mass_J_per_K_;
  double thermal_conductance_W_per_K_;
  double leak_25_A_;  // float leakage reference at 25 °C
  double acceptance_max_S_;
  double ageing_factor_;

  // State.
  double soc_ = 1.0;
  double v_rc_V_ = 0.0;
  double eta_V_ = 0.0;
  double temperature_C_;
  double last_current_A_ = 0.0;
  double resistance_scale_ = 1.0;
  double age_resistance_ = 1.0;
  double age_capacity_ = 1.0;
  double age_peukert_ = 0.0;  // rise of the rate dependence's exponent with age
  double extra_heat_W_ = 0.0;
  double conducted_heat_W_ = 0.0;
  double dry_out_ = 1.0;
  bool balancing_ = false;
  bool runaway_ = false;

  BatteryState state_;
};

}  // namespace btms::plant::physics
