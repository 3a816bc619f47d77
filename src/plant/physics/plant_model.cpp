// The plant as a whole: strings of batteries in series behind contactors, UPS rectifiers that
// hold closed strings at their (temperature-compensated) float voltage with a current limit,
// and a constant-power load shared by a UPS's strings when its mains fail. The per-battery
// physics is in battery_model.cpp, the room climate in ambient_model.cpp.
#include "plant/physics/plant_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>

#include "plant/physics/ambient_model.hpp"
#include "plant/physics/battery_model.hpp"
#include "plant/physics/seeded_random.hpp"

namespace btms::plant {
namespace {

using physics::Ambient;
using physics::Battery;
using physics::BatterySpread;
using physics::SeededRandom;

constexpr double kMaxSubstep_s = 1.0;
// Coarsest sub-step a fast-running plant may take: the implicit integration is stable at any
// step (the warm-up takes 180 s ones); a minute still resolves a 10-minute discharge.
constexpr double kCoarsestSubstep_s = 60.0;
constexpr double kSlowUpdate_s = 10.0;  // ambient and insulation refresh
constexpr int kWarmupSteps = 480;
constexpr double kWarmupStep_s = 180.0;              // 24 h
constexpr double kTempCompPerCell_V_per_K = -0.003;  // rectifier temperature compensation
constexpr double kChargeLimit_C = 0.1;               // rectifier current limit, fraction of C10
constexpr double kEndOfDischargePerCell_V = 1.75;
constexpr double kDefaultRuntime_s = 900.0;  // default load: a fresh string lasts ~15 min
constexpr double kInsulationTypical_kOhm = 5000.0;
// Heat conduction between adjacent blocks of a string (side by side on a cabinet shelf, ~10 mm
// apart: still air and contact through the shelf). About half of a block's conductance to the
// room: a block between two at 100 °C settles ~25 K above the room.
constexpr double kNeighbourConductancePerAhCell_W_per_K = 0.001;
// Float current of a dried-out aged string relative to a new one (thermal runaway scenario).
constexpr double kStringDryOut = 5.0;
constexpr int kAmbientSlots = model::kMaxThPerMc + 1;  // slot 0 = room without a BM-TH
constexpr std::uint64_t kBatteryStream = 0xBA77;
constexpr std::uint64_t kStringStream = 0x5791;

// Spread between batteries of one production lot (seeded): leakage sets where each battery
// settles on float (≈100-200 mV spread over 40 blocks), resistance ±5 %, ageing ±20 %.
constexpr double kLeakSigma = 0.15;
constexpr double kResistanceSigma = 0.05;
constexpr double kAgeingSigma = 0.2;

model::BatteryType fallback_type() {
  model::BatteryType type;
  type.name = "default";
  return type;
}

struct StringSim {
  int id = 0;
  int ups_index = -1;
  int ambient_slot = 0;
  std::size_t first = 0;
  std::size_t count = 0;
  double cells_total = 0.0;
  double float_per_cell_V = 2.27;
  double current_limit_A = 10.0;
  StringState state;
  int open_batteries = 0;  // failed open: the series string carries no current
  bool commanded_closed = true;
  bool welded = false;
  bool insulation_held = false;
  double insulation_pos_base_kOhm = kInsulationTypical_kOhm;
  double insulation_neg_base_kOhm = kInsulationTypical_kOhm;
  double insulation_phase = 0.0;
  // Scratch of one sub-step: terminal voltage = line_offset_V + line_slope_Ohm * string current.
  bool usable = false;
  double line_offset_V = 0.0;
  double line_slope_Ohm = 0.0;
  double current_A = 0.0;
};

struct UpsSim {
  int id = 0;
  UpsState state;
  double load_kW = 0.0;
  double load_current_A = 0.0;  // > 0: constant-current load instead of constant power
  bool shut_down = false;       // ended its discharge; waits for the mains
  std::vector<int> strings;
};

}  // namespace

struct PlantModel::Impl {
  double time_s = 0.0;
  std::vector<Battery> batteries;
  std::vector<StringSim> strings;
  std::vector<UpsSim> upses;
  std::array<int, 256> string_index{};
  std::array<int, 256> ups_index{};
  std::array<Ambient, kAmbientSlots> ambients;

  Impl(const model::Site& site, std::uint64_t seed);
  StringSim& string_at(int string_id);
  const StringSim& string_at(int string_id) const;
  UpsSim& ups_at(int ups_id);
  const UpsSim& ups_at(int ups_id) const;
  std::size_t battery_slot(int string_id, int position) const;
  static int ambient_slot(int th_index);
  int ups_slot_for(int ups_id);
  void substep(double dt_s);
  void solve_ups(UpsSim& ups);
  void advance_strings(double dt_s);
  void update_insulation();
  double next_slow_update_s = 0.0;
  double max_substep_s = kMaxSubstep_s;
  bool has_open_battery(const StringSim& s) const;
};

PlantModel::Impl::Impl(const model::Site& site, std::uint64_t seed) {
  string_index.fill(-1);
  ups_index.fill(-1);
  for (int slot = 0; slot < kAmbientSlots; ++slot) ambients[slot] = Ambient(seed, slot);

  for (const model::Ups& u : site.upses) ups_slot_for(u.id);

  std::size_t total = 0;
  for (const model::String& s : site.strings)
    total += static_cast<std::size_t>(std::max(s.batteries, 0));
  batteries.reserve(total);
  strings.reserve(site.strings.size());

  const model::BatteryType fallback = fallback_type();
  for (const model::String& cfg : site.strings) {
    if (cfg.id < 0 || cfg.id >= static_cast<int>(string_index.size())) {
      throw std::invalid_argument("plant: string id out of range: " + std::to_string(cfg.id));
    }
    const model::BatteryType* found = site.find_battery_type(cfg.battery_type);
    const model::BatteryType& type = found != nullptr ? *found : fallback;
    StringSim s;
    s.id = cfg.id;
    s.ups_index = ups_slot_for(cfg.ups_id);
    s.ambient_slot = ambient_slot(cfg.ambient_th);
    s.first = batteries.size();
    s.count = static_cast<std::size_t>(std::max(cfg.batteries, 0));
    s.cells_total = static_cast<double>(type.cells) * static_cast<double>(s.count);
    s.float_per_cell_V = type.float_voltage_per_cell_V;
    s.current_limit_A = kChargeLimit_C * type.capacity_Ah;
    SeededRandom rng(seed, kStringStream, static_cast<std::uint64_t>(cfg.id), 0);
    s.insulation_pos_base_kOhm = kInsulationTypical_kOhm * std::exp(0.3 * rng.normal());
    s.insulation_neg_base_kOhm = kInsulationTypical_kOhm * std::exp(0.3 * rng.normal());
    s.insulation_phase = 2.0 * std::numbers::pi * rng.uniform();
    const double room_C = ambients[s.ambient_slot].temperature_C();
    for (std::size_t k = 0; k < s.count; ++k) {
      SeededRandom brng(seed, kBatteryStream, static_cast<std::uint64_t>(cfg.id), k + 1);
      BatterySpread spread;
      spread.leak_factor = std::exp(kLeakSigma * brng.normal());
      spread.resistance_factor = std::exp(kResistanceSigma * brng.normal());
      spread.ageing_factor = std::exp(kAgeingSigma * brng.normal());
      batteries.emplace_back(type, spread, room_C);
    }
    string_index[static_cast<std::size_t>(cfg.id)] = static_cast<int>(strings.size());
    upses[static_cast<std::size_t>(s.ups_index)].strings.push_back(
        static_cast<int>(strings.size()));
    strings.push_back(s);
  }

  // Default load: what takes every fresh string of the UPS to its end voltage in 15 minutes.
  std::map<std::string, double> power_per_battery_W;  // by battery type, computed once
  for (UpsSim& ups : upses) {
    const model::Ups* cfg = site.find_ups(ups.id);
    if (cfg != nullptr && cfg->rated_power_kW > 0.0) {
      ups.load_kW = cfg->rated_power_kW;
      continue;
    }
    double load_W = 0.0;
    for (int si : ups.strings) {
      const StringSim& s = strings[static_cast<std::size_t>(si)];
      const model::String& string_cfg = site.strings[static_cast<std::size_t>(si)];
      const model::BatteryType* found = site.find_battery_type(string_cfg.battery_type);
      const model::BatteryType& type = found != nullptr ? *found : fallback;
      auto it = power_per_battery_W.find(type.name);
      if (it == power_per_battery_W.end()) {
        it = power_per_battery_W
                 .emplace(type.name, physics::power_for_runtime_W(type, kDefaultRuntime_s))
                 .first;
      }
      load_W += it->second * static_cast<double>(s.count);
    }
    ups.load_kW = load_W / 1000.0;
  }
  for (StringSim& s : strings) {
    s.state.voltage_V = 0.0;
    for (std::size_t k = 0; k < s.count; ++k)
      s.state.voltage_V += batteries[s.first + k].state().voltage_V;
  }
}

int PlantModel::Impl::ups_slot_for(int ups_id) {
  if (ups_id < 0 || ups_id >= static_cast<int>(ups_index.size())) {
    throw std::invalid_argument("plant: UPS id out of range: " + std::to_string(ups_id));
  }
  int& slot = ups_index[static_cast<std::size_t>(ups_id)];
  if (slot < 0) {
    slot = static_cast<int>(upses.size());
    UpsSim u;
    u.id = ups_id;
    upses.push_back(u);
  }
  return slot;
}

int PlantModel::Impl::ambient_slot(int th_index) {
  if (th_index < 0 || th_index >= kAmbientSlots) {
    throw std::out_of_range("plant: no ambient sensor " + std::to_string(th_index));
  }
  return th_index;
}

StringSim& PlantModel::Impl::string_at(int string_id) {
  return const_cast<StringSim&>(std::as_const(*this).string_at(string_id));
}

const StringSim& PlantModel::Impl::string_at(int string_id) const {
  if (string_id < 0 || string_id >= static_cast<int>(string_index.size()) ||
      string_index[static_cast<std::size_t>(string_id)] < 0) {
    throw std::out_of_range("plant: no string " + std::to_string(string_id));
  }
  return strings[static_cast<std::size_t>(string_index[static_cast<std::size_t>(string_id)])];
}

UpsSim& PlantModel::Impl::ups_at(int ups_id) {
  return const_cast<UpsSim&>(std::as_const(*this).ups_at(ups_id));
}

const UpsSim& PlantModel::Impl::ups_at(int ups_id) const {
  if (ups_id < 0 || ups_id >= static_cast<int>(ups_index.size()) ||
      ups_index[static_cast<std::size_t>(ups_id)] < 0) {
    throw std::out_of_range("plant: no UPS " + std::to_string(ups_id));
  }
  return upses[static_cast<std::size_t>(ups_index[static_cast<std::size_t>(ups_id)])];
}

std::size_t PlantModel::Impl::battery_slot(int string_id, int position) const {
  const StringSim& s = string_at(string_id);
  if (position < 1 || static_cast<std::size_t>(position) > s.count) {
    throw std::out_of_range("plant: string " + std::to_string(string_id) + " has no battery " +
                            std::to_string(position));
  }
  return s.first + static_cast<std::size_t>(position - 1);
}

bool PlantModel::Impl::has_open_battery(const StringSim& s) const {
  return s.open_batteries > 0;
}

void PlantModel::Impl::solve_ups(UpsSim& ups) {
  if (ups.state.mains_on) {
    ups.shut_down = false;
    ups.state.load_kW = 0.0;
    ups.state.load_current_A = 0.0;
    // The rectifier holds each string at its float voltage, compensated for the room
    // temperature, and limits the charge current (bulk) until the string reaches it (float).
    for (int si : ups.strings) {
      StringSim& s = strings[static_cast<std::size_t>(si)];
      s.current_A = 0.0;
      if (!s.usable || s.line_slope_Ohm <= 0.0) continue;
      const double room_C = ambients[s.ambient_slot].temperature_C();
      const double set_V =
          s.cells_total * (s.float_per_cell_V + kTempCompPerCell_V_per_K * (room_C - 25.0));
      const double i = (set_V - s.line_offset_V) / s.line_slope_Ohm;
      // A rectifier does not sink current: a string above the set point just rests.
      s.current_A = std::clamp(i, 0.0, s.current_limit_A);
    }
    return;
  }
  // On battery: the strings share one DC bus and a constant-power load.
  double sum_g = 0.0;
  double sum_ga = 0.0;
  for (int si : ups.strings) {
    StringSim& s = strings[static_cast<std::size_t>(si)];
    s.current_A = 0.0;
    if (!s.usable || s.line_slope_Ohm <= 0.0) continue;
    sum_g += 1.0 / s.line_slope_Ohm;
    sum_ga += s.line_offset_V / s.line_slope_Ohm;
  }
  if (sum_g <= 0.0) ups.shut_down = true;
  const double load_W = ups.load_kW * 1000.0;
  if (!ups.shut_down && ups.load_current_A > 0.0) {
    // Constant current: sum(I_k) = -I with I_k = (V - A_k) / B_k.
    const double bus_V = (sum_ga - ups.load_current_A) / sum_g;
    if (bus_V <= 0.0) {
      ups.shut_down = true;
    } else {
      for (int si : ups.strings) {
        StringSim& s = strings[static_cast<std::size_t>(si)];
        if (!s.usable || s.line_slope_Ohm <= 0.0) continue;
        s.current_A = (bus_V - s.line_offset_V) / s.line_slope_Ohm;
      }
    }
  } else if (!ups.shut_down && load_W > 0.0) {
    // load_W = -sum(I_k) * V with I_k = (V - A_k) / B_k: the higher root of a quadratic.
    const double disc = sum_ga * sum_ga - 4.0 * sum_g * load_W;
    if (disc < 0.0) {
      ups.shut_down = true;  // the batteries cannot deliver this power any more
    } else {
      const double bus_V = (sum_ga + std::sqrt(disc)) / (2.0 * sum_g);
      for (int si : ups.strings) {
        StringSim& s = strings[static_cast<std::size_t>(si)];
        if (!s.usable || s.line_slope_Ohm <= 0.0) continue;
        s.current_A = (bus_V - s.line_offset_V) / s.line_slope_Ohm;
      }
    }
  }
  if (ups.shut_down) {
    for (int si : ups.strings) strings[static_cast<std::size_t>(si)].current_A = 0.0;
  }
  ups.state.load_kW = ups.shut_down ? 0.0 : ups.load_kW;
  ups.state.load_current_A = ups.shut_down ? 0.0 : ups.load_current_A;
}

void PlantModel::Impl::advance_strings(double dt_s) {
  for (StringSim& s : strings) {
    const double room_C = ambients[s.ambient_slot].temperature_C();
    const double string_A = s.usable ? s.current_A : 0.0;
    double sum_V = 0.0;
    // Conduction to the neighbours, from the temperatures before this sub-step (explicit: the
    // blocks' thermal time constant is hours, a sub-step at most 1 s).
    for (std::size_t k = 0; k < s.count; ++k) {
      Battery& b = batteries[s.first + k];
      const double g = kNeighbourConductancePerAhCell_W_per_K * b.rated_capacity_Ah() * b.cells();
      const double t = b.state().temperature_C;
      double in_W = 0.0;
      if (k > 0) in_W += g * (batteries[s.first + k - 1].state().temperature_C - t);
      if (k + 1 < s.count) in_W += g * (batteries[s.first + k + 1].state().temperature_C - t);
      b.set_conducted_heat_W(in_W);
    }
    for (std::size_t k = 0; k < s.count; ++k) {
      Battery& b = batteries[s.first + k];
      // The balancer's bypass carries part of the string current around its battery.
      b.advance(string_A - b.bypass_A(), dt_s, room_C);
      sum_V += b.state().voltage_V;
    }
    s.state.current_A = string_A;
    s.state.voltage_V = sum_V;
    if (string_A < 0.0) {
      s.state.discharged_Ah -= string_A * dt_s / 3600.0;
    } else {
      s.state.charged_Ah += string_A * dt_s / 3600.0;
    }
    s.state.contactor_closed = s.welded || s.commanded_closed;
  }
}

void PlantModel::Impl::update_insulation() {
  for (StringSim& s : strings) {
    if (s.insulation_held) continue;
    // Moisture lowers the insulation resistance; a slow drift keeps it alive.
    const double rh = ambients[s.ambient_slot].humidity_pct();
    const double factor = std::exp(-0.04 * (rh - 40.0)) *
                          (1.0 + 0.03 * std::sin(2.0 * std::numbers::pi * time_s / (3.0 * 86400.0) +
                                                 s.insulation_phase));
    s.state.insulation_pos_kOhm = s.insulation_pos_base_kOhm * factor;
    s.state.insulation_neg_kOhm = s.insulation_neg_base_kOhm * factor;
  }
}

void PlantModel::Impl::substep(double dt_s) {
  // The room changes over hours: refreshing it every few seconds costs less than the strings.
  if (time_s >= next_slow_update_s) {
    for (Ambient& a : ambients) a.update(time_s);
    update_insulation();
    next_slow_update_s = time_s + kSlowUpdate_s;
  }
  for (StringSim& s : strings) {
    s.state.contactor_closed = s.welded || s.commanded_closed;
    s.usable = s.state.contactor_closed && s.count > 0 && !has_open_battery(s);
    double offset_V = 0.0;
    double slope_Ohm = 0.0;
    if (s.usable) {
      for (std::size_t k = 0; k < s.count; ++k) {
        const Battery& b = batteries[s.first + k];
        const Battery::Linear lin = b.linearize(dt_s);
        // Battery current = string current - bypass current.
        offset_V += lin.offset_V - lin.slope_Ohm * b.bypass_A();
        slope_Ohm += lin.slope_Ohm;
      }
    }
    s.line_offset_V = offset_V;
    s.line_slope_Ohm = slope_Ohm;
  }
  for (UpsSim& ups : upses) solve_ups(ups);
  advance_strings(dt_s);
  // End of discharge: the UPS drops its load when a string it draws from reaches 1.75 V/cell.
  for (UpsSim& ups : upses) {
    if (ups.state.mains_on || ups.shut_down) continue;
    for (int si : ups.strings) {
      const StringSim& s = strings[static_cast<std::size_t>(si)];
      if (s.usable && s.current_A < 0.0 &&
          s.state.voltage_V < kEndOfDischargePerCell_V * s.cells_total) {
        ups.shut_down = true;
      }
    }
  }
  time_s += dt_s;
}

PlantModel::PlantModel(const model::Site& site, std::uint64_t seed)
    : impl_(std::make_unique<Impl>(site, seed)) {
  // A plant found in the field has been on float for long: settle float overpotentials and
  // temperatures (time constants of hours) before time zero. The implicit integration is
  // stable at long steps, so a day costs only a few hundred sub-steps.
  for (int i = 0; i < kWarmupSteps; ++i) impl_->substep(kWarmupStep_s);
  impl_->time_s = 0.0;
  for (StringSim& s : impl_->strings) {
    s.state.discharged_Ah = 0.0;
    s.state.charged_Ah = 0.0;
  }
  impl_->next_slow_update_s = 0.0;
  for (physics::Ambient& a : impl_->ambients) a.update(0.0);
  impl_->update_insulation();
}

PlantModel::~PlantModel() = default;

void PlantModel::step(double dt_s) {
  if (!(dt_s > 0.0)) return;
  const int n = static_cast<int>(std::ceil(dt_s / impl_->max_substep_s - 1e-9));
  const double sub_s = dt_s / static_cast<double>(std::max(n, 1));
  for (int i = 0; i < std::max(n, 1); ++i) impl_->substep(sub_s);
}

void PlantModel::set_max_substep_s(double substep_s) {
  impl_->max_substep_s = std::clamp(substep_s, kMaxSubstep_s, kCoarsestSubstep_s);
}

double PlantModel::max_substep_s() const {
  return impl_->max_substep_s;
}

double PlantModel::time_s() const {
  return impl_->time_s;
}

const BatteryState& PlantModel::battery(int string_id, int position) const {
  return impl_->batteries[impl_->battery_slot(string_id, position)].state();
}

const StringState& PlantModel::string(int string_id) const {
  return impl_->string_at(string_id).state;
}

const UpsState& PlantModel::ups(int ups_id) const {
  return impl_->ups_at(ups_id).state;
}

double PlantModel::ambient_temperature_C(int th_index) const {
  return impl_->ambients[static_cast<std::size_t>(Impl::ambient_slot(th_index))].temperature_C();
}

double PlantModel::ambient_humidity_pct(int th_index) const {
  return impl_->ambients[static_cast<std::size_t>(Impl::ambient_slot(th_index))].humidity_pct();
}

void PlantModel::set_balancing(int string_id, int position, bool on) {
  impl_->batteries[impl_->battery_slot(string_id, position)].set_balancing(on);
}

void PlantModel::set_contactor(int string_id, bool closed) {
  StringSim& s = impl_->string_at(string_id);
  s.commanded_closed = closed;
  s.state.contactor_closed = s.welded || s.commanded_closed;
}

void PlantModel::set_mains(int ups_id, bool on) {
  UpsSim& ups = impl_->ups_at(ups_id);
  ups.state.mains_on = on;
  if (on) ups.shut_down = false;
  ups.state.load_kW = on || ups.shut_down ? 0.0 : ups.load_kW;
}

void PlantModel::set_ups_load_kW(int ups_id, double load_kW) {
  UpsSim& ups = impl_->ups_at(ups_id);
  ups.load_kW = std::max(0.0, load_kW);
  ups.load_current_A = 0.0;  // constant power from now on
  if (!ups.state.mains_on && !ups.shut_down) ups.state.load_kW = ups.load_kW;
}

void PlantModel::set_ups_load_current_A(int ups_id, double current_A) {
  UpsSim& ups = impl_->ups_at(ups_id);
  ups.load_current_A = std::max(0.0, current_A);
  if (!ups.state.mains_on && !ups.shut_down) ups.state.load_current_A = ups.load_current_A;
}

void PlantModel::scale_resistance(int string_id, int position, double factor) {
  if (!(factor > 0.0)) throw std::invalid_argument("plant: resistance factor must be > 0");
  impl_->batteries[impl_->battery_slot(string_id, position)].scale_resistance(factor);
}

void PlantModel::add_heat_W(int string_id, int position, double watts) {
  impl_->batteries[impl_->battery_slot(string_id, position)].set_extra_heat_W(watts);
}

void PlantModel::start_thermal_runaway(int string_id, int position) {
  // Thermal runaway is a string's failure (docs/battery-physics.md): an aged string whose
  // blocks have dried out draws several times the float current of a new one, and one block
  // (soft shorts through its dry separators) heats, sheds its voltage onto the others and
  // pushes the string current up; every block turns that current into heat, the float current
  // doubles every ~10 K, and the string's current and temperatures climb together until the
  // rectifier's current limit, or until protection opens the string.
  const StringSim& s = impl_->string_at(string_id);
  for (std::size_t k = 0; k < s.count; ++k)
    impl_->batteries[s.first + k].set_dry_out(kStringDryOut);
  impl_->batteries[impl_->battery_slot(string_id, position)].start_thermal_runaway();
}

void PlantModel::open_battery(int string_id, int position) {
  Battery& b = impl_->batteries[impl_->battery_slot(string_id, position)];
  if (b.is_open()) return;
  b.open_circuit();
  ++impl_->string_at(string_id).open_batteries;
}

void PlantModel::set_insulation_kOhm(int string_id, double pos_kOhm, double neg_kOhm) {
  StringSim& s = impl_->string_at(string_id);
  s.insulation_held = true;
  s.state.insulation_pos_kOhm = std::max(0.0, pos_kOhm);
  s.state.insulation_neg_kOhm = std::max(0.0, neg_kOhm);
}

void PlantModel::set_ambient(int th_index, double temperature_C, double humidity_pct) {
  impl_->ambients[static_cast<std::size_t>(Impl::ambient_slot(th_index))].set(temperature_C,
                                                                              humidity_pct);
  impl_->next_slow_update_s = impl_->time_s;  // insulation follows at the next sub-step
}

void PlantModel::set_contactor_welded(int string_id, bool welded) {
  StringSim& s = impl_->string_at(string_id);
  // Contacts weld while closed; a welded contactor ignores an open command.
  s.welded = welded && s.state.contactor_closed;
  s.state.contactor_closed = s.welded || s.commanded_closed;
}

void PlantModel::age_years(double years) {
  for (Battery& b : impl_->batteries) b.age(years);
}

}  // namespace btms::plant
