// Field-bus acquisition figures against the virtual plant, each printed next to its target:
// 1. cycle time of one string of 120 BM-CS on a virtual RTU bus vs the physical floor
//    (13 + 2K)·11/baud + 2·t3.5 per transaction (ANCHORS.md), target within 10 %;
// 2. CPU per cycle and resident memory of 32 strings x 120 batteries over TCP at 1 s cycles,
//    target < 10 % of a core and < 100 MB.
#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "devices/register_map.hpp"
#include "fieldbus/acquisition.hpp"
#include "model/plant_channels.hpp"
#include "plant/virtual_plant.hpp"

using namespace btms;
using namespace std::chrono_literals;

namespace {

model::Site site_with(int strings, int batteries, model::BusKind kind, int baud, int cycle_ms) {
  model::Site site;
  site.name = "bench";
  model::BatteryType bt;
  bt.name = "12V100";
  site.battery_types.push_back(bt);
  site.upses.push_back(model::Ups{1, "UPS 1", 200.0});
  for (int s = 1; s <= strings; ++s) {
    model::Bus bus;
    bus.name = "b" + std::to_string(s);
    bus.kind = kind;
    bus.baud = baud;
    bus.cycle_ms = cycle_ms;
    bus.timeout_ms = 200;
    bus.broadcast_sample = kind == model::BusKind::tcp;
    site.buses.push_back(bus);
    model::String str;
    str.id = s;
    str.ups_id = 1;
    str.name = "S" + std::to_string(s);
    str.battery_type = "12V100";
    str.batteries = batteries;
    str.bus = bus.name;
    str.first_cs_address = 1;
    site.strings.push_back(str);
  }
  return site;
}

plant::PlantOptions plant_options() {
  plant::PlantOptions o;
  o.tcp_pick_free_ports = true;
  return o;
}

// CPU seconds (user + system) of this process's threads whose name starts with "fb:".
double fieldbus_thread_cpu_s() {
  double total = 0.0;
  const long ticks = sysconf(_SC_CLK_TCK);
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return 0.0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + e->d_name + "/stat");
    std::string line;
    std::getline(in, line);
    const auto open = line.find('(');
    const auto close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    if (line.compare(open + 1, 3, "fb:") != 0) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    total += static_cast<double>(utime + stime) / static_cast<double>(ticks);
  }
  closedir(dir);
  return total;
}

double resident_MB() {
  std::ifstream in("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  in >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1.0e6;
}

double floor_cycle_ms(int baud, int devices, int registers) {
  const double t35_s = baud > 19200 ? 0.00175 : 3.5 * 11.0 / baud;
  const double per_transaction_s = (13.0 + 2.0 * registers) * 11.0 / baud + 2.0 * t35_s;
  return per_transaction_s * devices * 1000.0;
}

void rtu_cycle(int baud, int cycles) {
  const auto configured = site_with(1, 120, model::BusKind::rtu, baud, 0);
  plant::VirtualPlant plant(configured, plant_options());
  plant.start();
  const auto site = plant.site_for_gateway();
  auto publisher = std::make_shared<model::SnapshotPublisher>();
  fieldbus::AcquisitionOptions options;
  options.identity_every_cycles = 1'000'000;  // identity only in the first cycle
  fieldbus::Acquisition acq(site, model::build_plant_channels(site), publisher, options);
  const auto cycle_id = *acq.channels().directory->find("bus/b1/cycle_ms");
  const auto errors_id = *acq.channels().directory->find("bus/b1/errors");
  acq.start();
  // Skip the first cycle (it also reads every identity block).
  while (acq.cycles("b1") < 1) std::this_thread::sleep_for(5ms);
  double sum_ms = 0.0;
  std::uint64_t seen = 1;
  while (seen < static_cast<std::uint64_t>(cycles) + 1) {
    std::this_thread::sleep_for(5ms);
    if (acq.cycles("b1") <= seen) continue;
    seen = acq.cycles("b1");
    sum_ms += publisher->latest()->samples.at(cycle_id).value;
  }
  const double errors = publisher->latest()->samples.at(errors_id).value;
  acq.stop();
  const double measured = sum_ms / cycles;
  const double floor = floor_cycle_ms(baud, 120, devices::bm_cs::kFastCount);
  std::printf(
      "RTU %6d baud, 120 BM-CS: cycle %8.1f ms  floor %8.1f ms  ratio %.3f  "
      "(target <= 1.10)  errors %.0f\n",
      baud, measured, floor, measured / floor, errors);
}

void tcp_load(int seconds) {
  const auto configured = site_with(32, 120, model::BusKind::tcp, 0, 1000);
  plant::VirtualPlant plant(configured, plant_options());
  plant.start();
  const auto site = plant.site_for_gateway();
  const double rss_before_MB = resident_MB();
  auto publisher = std::make_shared<model::SnapshotPublisher>();
  fieldbus::Acquisition acq(site, model::build_plant_channels(site), publisher);
  acq.start();
  // Let every bus finish its first cycle (identity reads) before measuring.
  for (int s = 1; s <= 32; ++s) {
    while (acq.cycles("b" + std::to_string(s)) < 1) std::this_thread::sleep_for(10ms);
  }
  const double cpu0 = fieldbus_thread_cpu_s();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const double cpu1 = fieldbus_thread_cpu_s();
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto snap = publisher->latest();
  int ok = 0;
  for (const auto& s : snap->samples) ok += s.quality == model::Quality::ok ? 1 : 0;
  double worst_cycle_ms = 0.0;
  for (int s = 1; s <= 32; ++s) {
    const auto id = *acq.channels().directory->find("bus/b" + std::to_string(s) + "/cycle_ms");
    worst_cycle_ms = std::max(worst_cycle_ms, snap->samples.at(id).value);
  }
  const double rss_after_MB = resident_MB();
  acq.stop();
  const double core_pct = 100.0 * (cpu1 - cpu0) / wall_s;
  std::printf(
      "TCP 32 x 120 at 1 s: acquisition CPU %.2f %% of a core (target < 10 %%), "
      "%.1f ms CPU per 1 s cycle of all 32 buses\n",
      core_pct, 1000.0 * (cpu1 - cpu0) / wall_s);
  std::printf(
      "TCP 32 x 120 at 1 s: resident memory of acquisition %.1f MB (target < 100 MB); "
      "whole process incl. virtual plant %.1f MB\n",
      rss_after_MB - rss_before_MB, rss_after_MB);
  std::printf(
      "TCP 32 x 120 at 1 s: slowest bus cycle %.1f ms, %d of %zu channels ok, "
      "snapshot sequence %llu\n",
      worst_cycle_ms, ok, snap->samples.size(), static_cast<unsigned long long>(snap->sequence));
}

}  // namespace

int main() {
  rtu_cycle(115200, 3);
  rtu_cycle(19200, 2);
  tcp_load(5);
  return 0;
}
