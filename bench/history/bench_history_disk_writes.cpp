// Disk writes of the history store at the largest gateway's size (32 strings x 120 batteries,
// 43,040 channels, about 7,200 values stored a second as the full-scale run measured), fed as
// the gateway feeds it: one snapshot and one commit per second of data. The data runs on its
// own clock (faster than real time), so the figure is bytes written per second *of data*:
// every byte handed to write() by the process (/proc/self/io wchar: the WAL, its checkpoints,
// the journal), counted after the warm-up, when chunks have started to seal. Target: under 3x
// the compressed data rate, 300 kB/s (issue 15).
//
// Run: bench_history_disk_writes [work_dir] [warmup_min] [measure_min]
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

#include "history/history_store.hpp"
#include "system/process_probe.hpp"

namespace {

using namespace btms;

constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01 UTC
constexpr int kStrings = 32;
constexpr int kBatteries = 120;
constexpr double kTarget_kB_per_s = 300.0;

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

// The channel pattern of a site on float, after the full-scale run's stored-value mix: every
// battery voltage changes each second (sensor noise at 1 mV), one derived value per battery
// every other second (deviation from the string mean), temperatures and resistances now and
// then, and the rest of the per-battery and string channels (SOC, SOH, balancing, alarm
// states...) unchanged, so the store keeps them as 30 s heartbeats.
struct SitePlant {
  std::shared_ptr<model::ChannelDirectory> directory = std::make_shared<model::ChannelDirectory>();
  std::mt19937 rng{7};
  std::vector<double> value;
  std::vector<int> kind;  // 0 voltage, 1 deviation, 2 temperature, 3 resistance, 4 steady

  SitePlant() {
    const auto add = [&](const std::string& name, const char* unit, int k, double v) {
      directory->add(name, unit);
      kind.push_back(k);
      value.push_back(v);
    };
    for (int s = 1; s <= kStrings; ++s) {
      for (int p = 1; p <= kBatteries; ++p) {
        const auto b = fmt::format("battery/{}/{}/", s, p);
        add(b + "voltage", "V", 0, 2.25);
        add(b + "deviation_mV", "mV", 1, 0.0);
        add(b + "temperature", "°C", 2, 25.0);
        add(b + "resistance", "mΩ", 3, 0.35);
        for (const char* steady : {"balancing", "soc", "soh", "alarm_state", "resistance_baseline",
                                   "resistance_over_baseline_pct", "balance_duty"})
          add(b + steady, "", 4, 1.0);
      }
      for (int c = 0; c < 25; ++c)
        add(fmt::format("string/{}/value{}", s, c), "", c < 12 ? 1 : 4, 1.0);
    }
  }

  std::shared_ptr<const model::Snapshot> next(std::int64_t time_ms, int second) {
    auto snapshot = std::make_shared<model::Snapshot>();
    snapshot->channels = directory;
    snapshot->time_ms = time_ms;
    snapshot->samples.reserve(value.size());
    std::uniform_int_distribution<int> noise(-2, 2);
    std::uniform_int_distribution<int> rare(0, 119);
    for (std::size_t i = 0; i < value.size(); ++i) {
      double& v = value[i];
      switch (kind[i]) {
        case 0:
          v = std::round((2.25 + noise(rng) / 1000.0) * 1000.0) / 1000.0;
          break;
        case 1:
          if (second % 2 == 0) v = noise(rng) + (noise(rng) == 0 ? 3 : 0);
          break;
        case 2:
          if (rare(rng) == 0) v = std::round((v + (noise(rng) > 0 ? 0.1 : -0.1)) * 10.0) / 10.0;
          break;
        case 3:
          if (rare(rng) < 2) v = std::round((0.35 + noise(rng) / 1000.0) * 1000.0) / 1000.0;
          break;
        default:
          break;
      }
      snapshot->samples.push_back({v, time_ms, model::Quality::ok});
    }
    return snapshot;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : std::filesystem::temp_directory_path().string();
  const int warmup_s = (argc > 2 ? std::stoi(argv[2]) : 15) * 60;
  const int measure_s = (argc > 3 ? std::stoi(argv[3]) : 20) * 60;
  const std::string path = dir + "/bench_history_disk_writes.db";
  remove_db(path);

  SitePlant plant;
  history::HistoryOptions options;
  options.queue_capacity = 1'000'000;
  bench::ProcessSample start, end;  // this process: /proc/self/io via its pid
  std::uint64_t values_stored = 0;
  {
    auto store = history::open_sqlite_store(path, options);
    for (int s = 0; s < warmup_s + measure_s; ++s) {
      if (s == warmup_s) {
        start = bench::sample_process(::getpid()).value();
        values_stored = store->stats().values_written;
      }
      store->append(plant.next(kT0 + s * 1000LL, s));
      store->flush();  // the gateway's writer commits once a second
    }
    end = bench::sample_process(::getpid()).value();
    values_stored = store->stats().values_written - values_stored;
  }
  const double written_kB_per_s =
      static_cast<double>(end.written_chars - start.written_chars) / 1000.0 / measure_s;
  fmt::print("site: {} channels, {:.0f} values stored per second of data\n",
             plant.directory->size(), static_cast<double>(values_stored) / measure_s);
  fmt::print("block-layer writes (write_bytes, depends on writeback timing): {:.1f} kB/s\n",
             static_cast<double>(end.write_bytes - start.write_bytes) / 1000.0 / measure_s);
  fmt::print(
      "bytes written per second of data (wchar, after {} min warm-up, over {} min): "
      "{:.1f} kB/s (target <= {:.0f} kB/s)  {}\n",
      warmup_s / 60, measure_s / 60, written_kB_per_s, kTarget_kB_per_s,
      written_kB_per_s <= kTarget_kB_per_s ? "PASS" : "MISS");
  remove_db(path);
  return written_kB_per_s <= kTarget_kB_per_s ? 0 : 1;
}
