// The physical plant behind the emulated field devices: UPSs with their rectifiers and loads,
// strings with contactors, lead-acid batteries, ambient, insulation. Pure simulation: no I/O,
// no threads, no wall clock; the caller advances simulated time with step(). Device emulators
// read it to fill their registers and write balancing / relay commands into it; scenarios
// inject faults through the methods at the bottom.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/topology.hpp"

namespace btms::plant {

struct BatteryState {
  double soc = 1.0;                // 0..1
  double voltage_V = 0.0;          // terminal voltage
  double temperature_C = 25.0;     // at the negative pole
  double resistance_mOhm = 0.0;    // internal (ohmic) resistance now
  double balance_current_A = 0.0;  // bypass current drawn by the BM-CS now
  double capacity_Ah = 0.0;        // present (aged) capacity
  bool open_circuit = false;       // failed open: the string carries no current
};

struct StringState {
  double voltage_V = 0.0;
  double current_A = 0.0;  // + charge / - discharge
  double insulation_pos_kOhm = 1.0e6;
  double insulation_neg_kOhm = 1.0e6;
  bool contactor_closed = true;
  // Truth counters (what a perfect current sensor would integrate since the plant started):
  // the virtual plant's truth endpoint serves them to compare the gateway's records against.
  double discharged_Ah = 0.0;
  double charged_Ah = 0.0;
};

struct UpsState {
  bool mains_on = true;
  double load_kW = 0.0;         // drawn from the batteries while on battery
  double load_current_A = 0.0;  // constant-current load instead (> 0), while on battery
};

class PlantModel {
 public:
  PlantModel(const model::Site& site, std::uint64_t seed);
  ~PlantModel();
  PlantModel(const PlantModel&) = delete;
  PlantModel& operator=(const PlantModel&) = delete;

  // Advances simulated time by dt_s (the model sub-steps internally as it needs to).
  void step(double dt_s);
  double time_s() const;
  // Sub-step of step(): 1 s (default) up to 60 s. A plant running at high speed coarsens it
  // so that a simulated hour costs less real time; accuracy falls slowly (stable at any step).
  void set_max_substep_s(double substep_s);
  double max_substep_s() const;

  const BatteryState& battery(int string_id, int position) const;
  const StringState& string(int string_id) const;
  const UpsState& ups(int ups_id) const;
  double ambient_temperature_C(int th_index) const;
  double ambient_humidity_pct(int th_index) const;

  // From the device emulators.
  void set_balancing(int string_id, int position, bool on);
  void set_contactor(int string_id, bool closed);

  // Scenario events.
  void set_mains(int ups_id, bool on);
  void set_ups_load_kW(int ups_id, double load_kW);  // constant power (the default kind)
  // Constant current drawn from the UPS's strings together (a discharge test set, a DC load).
  void set_ups_load_current_A(int ups_id, double current_A);
  void scale_resistance(int string_id, int position, double factor);  // ageing / bad connection
  void add_heat_W(int string_id, int position, double watts);         // local heat source
  // The string dries out (aged: several times the float current) and this block starts a
  // runaway (soft shorts); docs/battery-physics.md.
  void start_thermal_runaway(int string_id, int position);
  void open_battery(int string_id, int position);
  void set_insulation_kOhm(int string_id, double pos_kOhm, double neg_kOhm);
  void set_ambient(int th_index, double temperature_C, double humidity_pct);
  void set_contactor_welded(int string_id, bool welded);  // commanded open but stays closed
  void age_years(double years);  // applies calendar ageing to every battery at once

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace btms::plant
