// Engine::step on a full gateway: 32 strings × 120 batteries (8 UPSs × 4 strings), all rules,
// protection, equalization and estimation. Target: < 2 ms per step.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "engine/engine.hpp"
#include "model/ids.hpp"
#include "model/plant_channels.hpp"

namespace {

using namespace btms;

model::Site full_site() {
  model::Site site;
  site.name = "bench";
  model::BatteryType bt;
  bt.name = "12V100";
  site.battery_types.push_back(bt);
  for (int u = 1; u <= 8; ++u) site.upses.push_back(model::Ups{u, "UPS", 200.0});
  site.mc.present = true;
  site.mc.th.push_back(model::ThSensor{1, "room"});
  for (int s = 1; s <= model::kMaxStringsPerGateway; ++s) {
    model::String str;
    str.id = s;
    str.ups_id = (s - 1) / 4 + 1;
    str.battery_type = "12V100";
    str.batteries = model::kMaxBatteriesPerString;
    str.gs_address = 1;
    str.hs_address = 2;
    str.ambient_th = 1;
    site.strings.push_back(str);
  }
  return site;
}

struct Rig {
  model::Site site = full_site();
  model::PlantChannels plant = model::build_plant_channels(site);
  model::Snapshot snap;
  engine::Engine engine{site, plant};
  std::int64_t now_ms = 1'700'000'000'000;

  Rig() {
    snap.channels = plant.directory;
    snap.samples.assign(plant.directory->size(), model::Sample{0.0, now_ms, model::Quality::ok});
    for (const auto& s : plant.strings) {
      snap.samples[s.voltage].value = 120 * 13.62;
      snap.samples[s.current].value = 0.3;
      snap.samples[s.insulation_pos].value = 5000;
      snap.samples[s.insulation_neg].value = 5000;
      int k = 0;
      for (const auto& b : s.batteries) {
        snap.samples[b.voltage].value = 13.60 + 0.001 * (k++ % 40);  // some spread: balancing runs
        snap.samples[b.temperature].value = 25.0;
        snap.samples[b.resistance].value = 4.0;
      }
    }
    snap.samples[plant.ambients[0].temperature].value = 25.0;
  }
  std::size_t step() {
    now_ms += 1000;
    const auto out = engine.step(snap, now_ms);
    return out.events.size() + out.commands.size();
  }
};

void BM_EngineStep_32x120(benchmark::State& state) {
  Rig rig;
  for (auto _ : state) benchmark::DoNotOptimize(rig.step());
  state.SetLabel("target < 2 ms");
}
BENCHMARK(BM_EngineStep_32x120)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // Plain summary next to the target, independent of the benchmark library's output format.
  Rig rig;
  for (int i = 0; i < 20; ++i) rig.step();  // baselines learned, steady state
  // Judged on the thread's CPU time: on a shared machine the wall clock also counts the time
  // the scheduler gave to other processes, which is not the engine's cost. Both are printed.
  constexpr int kSteps = 200;
  const auto cpu_ms = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  const double c0 = cpu_ms();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kSteps; ++i) benchmark::DoNotOptimize(rig.step());
  const double wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
      kSteps;
  const double ms = (cpu_ms() - c0) / kSteps;
  const bool ok = ms < 2.0;
  std::printf(
      "Engine::step 32 strings x 120 batteries: %.3f ms CPU per step (limit < 2 ms) %s; wall "
      "%.3f ms\n",
      ms, ok ? "OK" : "OVER LIMIT", wall_ms);
  return ok ? 0 : 1;
}
