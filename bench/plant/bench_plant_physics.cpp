// Cost of advancing the largest gateway's plant (32 strings x 120 batteries) by one simulated
// second. Target: < 5 ms per simulated second, so the virtual plant runs far faster than
// real time on a gateway-class CPU.
#include <benchmark/benchmark.h>

#include <string>

#include "plant/physics/plant_model.hpp"

namespace {

constexpr double kTarget_ms = 5.0;

btms::model::Site full_site() {
  btms::model::Site site;
  btms::model::BatteryType type;
  type.name = "12V100";
  site.battery_types.push_back(type);
  for (int u = 1; u <= btms::model::kMaxUpsPerGateway; ++u) {
    btms::model::Ups ups;
    ups.id = u;
    site.upses.push_back(ups);
    btms::model::String string;
    string.id = u;
    string.ups_id = u;
    string.battery_type = "12V100";
    string.batteries = btms::model::kMaxBatteriesPerString;
    site.strings.push_back(string);
  }
  return site;
}

void BM_StepOneSecondFullGateway(benchmark::State& state) {
  btms::plant::PlantModel plant(full_site(), 1);
  // Half of the UPSs on battery so both the float and the discharge paths are measured.
  const bool discharging = state.range(0) != 0;
  if (discharging) {
    for (int u = 1; u <= btms::model::kMaxUpsPerGateway; u += 2) {
      plant.set_mains(u, false);
      plant.set_ups_load_kW(u, 20.0);
    }
  }
  for (auto _ : state) {
    plant.step(1.0);
    benchmark::DoNotOptimize(plant.battery(1, 1).voltage_V);
  }
  state.counters["batteries"] =
      btms::model::kMaxStringsPerGateway * btms::model::kMaxBatteriesPerString;
  state.counters["target_ms"] = kTarget_ms;
  state.SetLabel("target < " + std::to_string(kTarget_ms).substr(0, 3) +
                 " ms per simulated second");
}
BENCHMARK(BM_StepOneSecondFullGateway)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("half_on_battery")
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
