#include "plant/physics/battery_model.hpp"

#include <algorithm>
#include <cmath>

#include "model/battery_rating.hpp"

namespace btms::plant::physics {
namespace {

// Open-circuit voltage per cell: 1.96 V empty .. 2.13 V full, +0.2 mV/°C.
constexpr double kOcvEmptyPerCell_V = 1.96;
constexpr double kOcvSpanPerCell_V = 0.17;
constexpr double kOcvTempcoPerCell_V_per_K = 0.0002;
// Gassing overpotential per e-fold of float current (≈105 mV/decade per cell).
constexpr double kTafelPerCell_V = 0.045;
// Typical float current at 2.27 V/cell and 25 °C: 1.5 mA per Ah; the exchange current follows
// from the overpotential at float (2.27 - 2.13 V/cell).
constexpr double kFloatCurrentPerAh_A = 0.0015;
constexpr double kFloatOverpotentialPerCell_V = 0.14;
// Self-discharge is half the leakage reference: ≈2.4 %/month at 25 °C.
constexpr double kSelfDischargeFraction = 0.5;
// Leakage doubles every 10 °C (Arrhenius rule of thumb for lead-acid side reactions).
constexpr double kLeakPerKelvin = 0.0693;
// Overpotential capacitance per Ah per cell: float voltage settles with a time constant of
// about two hours.
constexpr double kEtaCapacitancePerAhCell_F = 240.0;
// Charge acceptance: conductance per Ah per cell times (1 - SOC).
constexpr double kAcceptancePerAhCell_S = 10.0;
// Shepherd-type concentration polarization near the end of discharge, per cell.
constexpr double kKneePerCell_V = 0.004;
constexpr double kRcTau_s = 30.0;
constexpr double kRcFraction = 0.25;
// Thermal: about 50 g per Ah per cell (a 100 Ah 12 V block weighs ~30 kg), 800 J/(kg K),
// 0.08 W/K per kg to the room (natural convection of a block's surface).
constexpr double kMassPerAhCell_kg = 0.05;
constexpr double kHeatCapacity_J_per_kgK = 800.0;
constexpr double kCoolingPerKg_W_per_K = 0.08;
constexpr double kMaxTemperature_C = 300.0;
// Thermal runaway (docs/battery-physics.md). The block that starts it has dried out: it
// recombines nearly all of its oxygen, so its float current at a given voltage is many times a
// healthy block's and doubles every ~8 K (a healthy block's every 10 K); all of that current's
// electrical power becomes heat (gassing heat below). The rest of its heat comes from soft shorts.
constexpr double kDriedLeakFactor = 20.0;
constexpr double kDriedLeakPerKelvin = 0.0866;  // ln 2 / 8 K
// As it dries and heats, its cells soft-short one after another (dry separators, softening
// case): the block's voltage collapses from kRunawayShortStart_C to nearly nothing at
// kRunawayShortStart_C + kRunawayShortSpan_K, and the string's float voltage is pushed onto the
// other blocks, whose float current rises ~10x per 105 mV/cell (Tafel).
// The soft shorts conduct inside the block: their current discharges it and heats it (V²/R),
// and their resistance falls as the block heats. This is what starts a single block's runaway
// in a long string, where the string current alone is too small to heat it.
constexpr double kSoftShort25_Ohm = 2.0;
constexpr double kSoftShortFall_K = 12.0;
constexpr double kSoftShortMin_Ohm = 0.1;
constexpr double kRunawayShortStart_C = 35.0;
constexpr double kRunawayShortSpan_K = 85.0;
constexpr double kRunawayShortMax = 0.95;
// A block that reaches this temperature vents through its valve and dries out in turn (soft
// shorts included): a runaway spreads to the blocks beside it, which it heats through the shelf
// (the string's conduction in plant_model.cpp).
constexpr double kVentingStart_C = 70.0;
// Healthy calendar ageing in a controlled climate: < 5 %/year resistance rise, capacity fade.
constexpr double kAgeResistancePerYear = 0.04;
constexpr double kAgeCapacityPerYear = 0.03;
constexpr double kAgePeukertPerYear = 0.01;

}  // namespace

double resistance_from_capacity_mOhm(double capacity_Ah, int cells) {
  // (capacity_Ah, resistance_mOhm) of a 12 V block, ANCHORS.md.
  struct Point {
    double capacity_Ah;
    double resistance_mOhm;
  };
  static constexpr Point kTable[] = {{12.0, 13.0}, {28.0, 7.0}, {65.0, 4.0}, {200.0, 2.7}};
  double r12_mOhm = 0.0;
  const double cap = std::max(capacity_Ah, 1.0);
  if (cap <= kTable[0].capacity_Ah) {
    r12_mOhm = kTable[0].resistance_mOhm * kTable[0].capacity_Ah / cap;
  } else if (cap >= kTable[3].capacity_Ah) {
    r12_mOhm = kTable[3].resistance_mOhm * kTable[3].capacity_Ah / cap;
  } else {
    for (int i = 0; i < 3; ++i) {
      const Point& a = kTable[i];
      const Point& b = kTable[i + 1];
      if (cap <= b.capacity_Ah) {
        const double f = (cap - a.capacity_Ah) / (b.capacity_Ah - a.capacity_Ah);
        r12_mOhm = a.resistance_mOhm + f * (b.resistance_mOhm - a.resistance_mOhm);
        break;
      }
    }
  }
  return r12_mOhm * static_cast<double>(std::max(cells, 1)) / 6.0;
}

double peukert_exponent(model::Chemistry chemistry) {
  switch (chemistry) {
    case model::Chemistry::vrla_agm:
      return 1.10;
    case model::Chemistry::vrla_gel:
      return 1.18;
    case model::Chemistry::flooded:
      return 1.30;
  }
  return 1.10;
}

double bypass_current_A(double nominal_voltage_V) {
  if (nominal_voltage_V <= 3.0) return 0.85;
  if (nominal_voltage_V <= 8.0) return 0.30;
  return 0.15;
}

namespace {

// Seconds a fresh battery carries power_W (constant power, 5 s steps) down to 1.75 V/cell.
double runtime_at_power_s(const model::BatteryType& type, double power_W, double limit_s) {
  constexpr double kDt_s = 5.0;
  Battery battery(type, BatterySpread{}, 25.0);
  const double end_V = 1.75 * battery.cells();
  double t_s = 0.0;
  while (t_s < limit_s) {
    const Battery::Linear lin = battery.linearize(kDt_s);
    // power_W = -I * (offset + slope * I), the root nearest zero current.
    const double disc = lin.offset_V * lin.offset_V - 4.0 * lin.slope_Ohm * power_W;
    if (disc < 0.0) break;
    const double current_A = (-lin.offset_V + std::sqrt(disc)) / (2.0 * lin.slope_Ohm);
    battery.advance(current_A, kDt_s, 25.0);
    if (battery.state().voltage_V < end_V) break;
    t_s += kDt_s;
  }
  return t_s;
}

}  // namespace

double power_for_runtime_W(const model::BatteryType& type, double runtime_s) {
  // Bisection between powers that surely last longer and surely end sooner.
  double low_W = 0.0;
  double high_W = 5.0 * type.capacity_Ah * 2.0 * std::max(type.cells, 1);  // 5 C
  for (int i = 0; i < 30; ++i) {
    const double mid_W = 0.5 * (low_W + high_W);
    if (runtime_at_power_s(type, mid_W, runtime_s + 1.0) > runtime_s) {
      low_W = mid_W;
    } else {
      high_W = mid_W;
    }
  }
  return low_W;
}

Battery::Battery(const model::BatteryType& type, const BatterySpread& spread, double temperature_C)
    : type_(type),
      cells_(static_cast<double>(std::max(type.cells, 1))),
      rated_capacity_Ah_(std::max(type.capacity_Ah, 0.1)),
      bypass_rated_A_(bypass_current_A(type.nominal_voltage_V)),
      resistance_new_Ohm_((type.resistance_new_mOhm > 0.0
                               ? type.resistance_new_mOhm
                               : resistance_from_capacity_mOhm(type.capacity_Ah, type.cells)) *
                          spread.resistance_factor / 1000.0),
      peukert_(peukert_exponent(type.chemistry)),
      tafel_V_(kTafelPerCell_V * cells_),
      eta_cap_F_(kEtaCapacitancePerAhCell_F * rated_capacity_Ah_ / cells_),
      rc_tau_s_(kRcTau_s),
      rc_fraction_(kRcFraction),
      thermal_mass_J_per_K_(kMassPerAhCell_kg * rated_capacity_Ah_ * cells_ *
                            kHeatCapacity_J_per_kgK),
      thermal_conductance_W_per_K_(kMassPerAhCell_kg * rated_capacity_Ah_ * cells_ *
                                   kCoolingPerKg_W_per_K),
      leak_25_A_(kFloatCurrentPerAh_A * rated_capacity_Ah_ *
                 std::exp(-kFloatOverpotentialPerCell_V / kTafelPerCell_V) * spread.leak_factor),
      acceptance_max_S_(kAcceptancePerAhCell_S * rated_capacity_Ah_ / cells_),
      ageing_factor_(spread.ageing_factor),
      temperature_C_(temperature_C) {
  refresh_outputs();
}

double Battery::capacity_Ah() const {
  return rated_capacity_Ah_ * age_capacity_;
}

double Battery::ocv_V() const {
  double per_cell = kOcvEmptyPerCell_V + kOcvSpanPerCell_V * soc_ +
                    kOcvTempcoPerCell_V_per_K * (temperature_C_ - 25.0);
  // A battery in thermal runaway dries out and its cells soft-short as it heats: its voltage
  // falls, the rectifier pushes more current through the string to hold the float voltage.
  if (runaway_ && temperature_C_ > kRunawayShortStart_C) {
    per_cell *= 1.0 - std::min(kRunawayShortMax,
                               (temperature_C_ - kRunawayShortStart_C) / kRunawayShortSpan_K);
  }
  return cells_ * per_cell;
}

double Battery::resistance_Ohm() const {
  // Sulphate at low SOC and slower ion transport in the cold raise the ohmic resistance.
  const double empty = 1.0 - soc_;
  const double soc_factor = 1.0 + 0.6 * empty * empty * empty;
  const double temp_factor = std::clamp(1.0 + 0.015 * (25.0 - temperature_C_), 0.8, 2.0);
  return resistance_new_Ohm_ * resistance_scale_ * age_resistance_ * soc_factor * temp_factor;
}

double Battery::leak_reference_A() const {
  double exponent = kLeakPerKelvin * (temperature_C_ - 25.0);
  double factor = dry_out_;
  if (runaway_) {
    // Dry-out: oxygen recombination runs away, the battery takes current at a lower voltage.
    factor = kDriedLeakFactor;
    exponent = kDriedLeakPerKelvin * (temperature_C_ - 25.0);
  }
  return leak_25_A_ * factor * std::exp(std::min(exponent, 30.0));
}

double Battery::soft_short_A() const {
  const double r_Ohm = std::max(
      kSoftShortMin_Ohm,
      kSoftShort25_Ohm * std::exp(-std::max(0.0, temperature_C_ - 25.0) / kSoftShortFall_K));
  return ocv_V() / r_Ohm;
}

double Battery::acceptance_S() const {
  return acceptance_max_S_ * (1.0 - soc_);
}

double Battery::gassing_current_A() const {
  return leak_reference_A() * std::expm1(std::min(eta_V_ / tafel_V_, 50.0));
}

double Battery::knee_V(double current_A) const {
  if (current_A >= 0.0) return 0.0;
  const double rate_A = -current_A;
  const double ten_hour_A = rated_capacity_Ah_ / 10.0;
  // What a full block delivers at this rate down to 1.80 V/cell: the manufacturer's
  // constant-current table (model::capacity_at_rate_Ah, the same function the engine predicts
  // runtime with), shrunk by ageing: capacity fade, and a rate dependence that steepens with age.
  double available_Ah = model::capacity_at_rate_Ah(type_, rate_A, temperature_C_) * age_capacity_;
  if (rate_A > ten_hour_A) available_Ah *= std::pow(ten_hour_A / rate_A, age_peukert_);
  const double removed_Ah = (1.0 - soc_) * capacity_Ah();
  const double available = std::max(1.0 - removed_Ah / available_Ah, 0.003);
  const double knee =
      kKneePerCell_V * cells_ * std::min(1.0, rate_A / ten_hour_A) * (1.0 - available) / available;
  return -std::min(knee, cells_);
}

double Battery::bypass_A() const {
  return balancing_ && !state_.open_circuit ? bypass_rated_A_ : 0.0;
}

Battery::Linear Battery::linearize(double dt_s) const {
  if (state_.open_circuit) return {0.0, 0.0};
  const double r = resistance_Ohm();
  const double rc_k = dt_s / rc_tau_s_;
  const double rc_alpha = 1.0 / (1.0 + rc_k);
  Linear lin;
  lin.offset_V = ocv_V() + knee_V(last_current_A_) + rc_alpha * v_rc_V_;
  lin.slope_Ohm = r + rc_alpha * rc_k * rc_fraction_ * r;
  // A discharge holds the overpotential at zero; it then does not respond to the current.
  if (eta_V_ <= 0.0 && last_current_A_ < 0.0) return lin;
  const double leak_ref = leak_reference_A();
  const double ex = std::exp(std::min(eta_V_ / tafel_V_, 50.0));
  const double leak = leak_ref * (ex - 1.0);
  const double leak_slope = leak_ref * ex / tafel_V_;
  const double g = acceptance_S();
  const double a = dt_s / (eta_cap_F_ + dt_s * (leak_slope + g));
  lin.offset_V += eta_V_ + a * (-leak - g * eta_V_);
  lin.slope_Ohm += a;
  return lin;
}

void Battery::advance(double current_A, double dt_s, double ambient_C) {
  const double i = state_.open_circuit ? 0.0 : current_A;
  const double r = resistance_Ohm();
  const double cap_As = capacity_Ah() * 3600.0;

  // RC polarization, implicit.
  const double rc_k = dt_s / rc_tau_s_;
  v_rc_V_ = (v_rc_V_ + rc_k * rc_fraction_ * r * i) / (1.0 + rc_k);

  // Overpotential: the current charges it, gassing and charge acceptance drain it.
  const double leak_ref = leak_reference_A();
  double gassing_A = 0.0;
  double accepted_A = 0.0;
  if (eta_V_ <= 0.0 && last_current_A_ < 0.0 && i < 0.0) {
    eta_V_ = 0.0;
  } else {
    const double ex = std::exp(std::min(eta_V_ / tafel_V_, 50.0));
    const double leak = leak_ref * (ex - 1.0);
    const double leak_slope = leak_ref * ex / tafel_V_;
    const double g = acceptance_S();
    const double a = dt_s / (eta_cap_F_ + dt_s * (leak_slope + g));
    eta_V_ = std::max(0.0, eta_V_ + a * (i - leak - g * eta_V_));
    gassing_A = leak_ref * std::expm1(std::min(eta_V_ / tafel_V_, 50.0));
    accepted_A = g * eta_V_;
  }

  // State of charge: accepted charge in, discharge current and self-discharge out.
  double self_discharge_A = kSelfDischargeFraction * leak_ref;
  double short_heat_W = 0.0;
  if (runaway_ && soc_ > 0.0) {
    // The short can take out no more charge than the block holds: an emptied block stops
    // heating itself and cools (what remains is the charger's current, stopped by protection).
    const double short_A = std::min(soft_short_A(), soc_ * cap_As / dt_s);
    self_discharge_A += short_A;
    short_heat_W = short_A * ocv_V();
  }
  soc_ += (accepted_A + std::min(i, 0.0) - self_discharge_A) * dt_s / cap_As;
  soc_ = std::clamp(soc_, 0.0, 1.0);

  // Heat: ohmic and polarization losses; in a VRLA block the oxygen cycle turns all the
  // gassing current's power into heat; plus any injected heat and the runaway's exotherm.
  const double ocv = ocv_V();
  double heat_W = i * i * r + (rc_fraction_ > 0.0 ? v_rc_V_ * v_rc_V_ / (rc_fraction_ * r) : 0.0) +
                  gassing_A * (ocv + eta_V_) + extra_heat_W_ + conducted_heat_W_ + short_heat_W;
  const double th_k = dt_s / thermal_mass_J_per_K_;
  temperature_C_ = (temperature_C_ + th_k * (heat_W + thermal_conductance_W_per_K_ * ambient_C)) /
                   (1.0 + th_k * thermal_conductance_W_per_K_);
  temperature_C_ = std::min(temperature_C_, kMaxTemperature_C);
  if (temperature_C_ >= kVentingStart_C) runaway_ = true;

  last_current_A_ = i;
  refresh_outputs();
}

void Battery::refresh_outputs() {
  state_.soc = soc_;
  state_.temperature_C = temperature_C_;
  state_.resistance_mOhm = resistance_Ohm() * 1000.0;
  state_.balance_current_A = bypass_A();
  state_.capacity_Ah = capacity_Ah();
  if (state_.open_circuit) {
    // Failed open: the BM-CS sees no source behind its terminals.
    state_.voltage_V = 0.0;
    return;
  }
  const double i = last_current_A_;
  state_.voltage_V = std::max(0.0, ocv_V() + knee_V(i) + i * resistance_Ohm() + v_rc_V_ + eta_V_);
}

void Battery::set_soc(double soc) {
  soc_ = std::clamp(soc, 0.0, 1.0);
  eta_V_ = 0.0;
  v_rc_V_ = 0.0;
  refresh_outputs();
}

void Battery::open_circuit() {
  state_.open_circuit = true;
  last_current_A_ = 0.0;
  refresh_outputs();
}

void Battery::age(double years) {
  if (years <= 0.0) return;
  const double y = years * ageing_factor_;
  age_resistance_ *= 1.0 + kAgeResistancePerYear * y;
  age_capacity_ = std::max(0.2, age_capacity_ * (1.0 - kAgeCapacityPerYear * y));
  peukert_ += kAgePeukertPerYear * years;
  age_peukert_ += kAgePeukertPerYear * years;
  refresh_outputs();
}

}  // namespace btms::plant::physics
