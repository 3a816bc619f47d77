// Proof that the acquisition cycle time is unchanged while 32 SCADA clients hammer the server:
// a virtual plant (one RTU string at 115200 baud polled back to back, four TCP strings at 1 s
// cycles), the real acquisition and the real SCADA server fed from its snapshots. The mean
// bus/<name>/cycle_ms is measured without SCADA load, then with 32 libmodbus clients reading
// battery blocks as fast as they can; the target is no change beyond the run-to-run noise.
#include <modbus.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fieldbus/acquisition.hpp"
#include "model/plant_channels.hpp"
#include "plant/virtual_plant.hpp"
#include "scada/scada_server.hpp"

using namespace btms;
using namespace std::chrono_literals;

namespace {

model::Site make_site() {
  model::Site site;
  site.name = "bench";
  model::BatteryType bt;
  bt.name = "12V100";
  site.battery_types.push_back(bt);
  site.upses.push_back(model::Ups{1, "UPS 1", 200.0});
  for (int s = 1; s <= 5; ++s) {
    model::Bus bus;
    bus.name = s == 1 ? "rtu1" : "tcp" + std::to_string(s);
    bus.kind = s == 1 ? model::BusKind::rtu : model::BusKind::tcp;
    bus.baud = 115200;
    bus.cycle_ms = s == 1 ? 0 : 1000;  // the RTU bus polls back to back: most sensitive
    bus.timeout_ms = 200;
    bus.broadcast_sample = bus.kind == model::BusKind::tcp;
    site.buses.push_back(bus);
    model::String str;
    str.id = s;
    str.ups_id = 1;
    str.name = "S" + std::to_string(s);
    str.battery_type = "12V100";
    str.batteries = 120;
    str.bus = bus.name;
    str.first_cs_address = 1;
    site.strings.push_back(str);
  }
  return site;
}

struct BusFigures {
  double mean_cycle_ms = 0.0;  // 0 when no cycle completed within the window
  int cycles = 0;
  double timeouts = 0.0;  // bus/<name>/timeouts gained during the window
};

double channel(const fieldbus::Acquisition& acq, const model::Snapshot& snap,
               const std::string& name) {
  return snap.samples.at(*acq.channels().directory->find(name)).value;
}

// Mean bus/<name>/cycle_ms per bus over `duration`, one value per completed cycle.
std::map<std::string, BusFigures> mean_cycle_ms(const fieldbus::Acquisition& acq,
                                                const model::SnapshotPublisher& publisher,
                                                const model::Site& site,
                                                std::chrono::milliseconds duration) {
  std::map<std::string, double> sum_ms;
  std::map<std::string, int> count;
  std::map<std::string, std::uint64_t> seen;
  std::map<std::string, double> timeouts0;
  for (const auto& bus : site.buses) {
    seen[bus.name] = acq.cycles(bus.name);
    timeouts0[bus.name] = channel(acq, *publisher.latest(), "bus/" + bus.name + "/timeouts");
  }
  const auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(5ms);
    const auto snap = publisher.latest();
    for (const auto& bus : site.buses) {
      const auto cycles = acq.cycles(bus.name);
      if (cycles <= seen[bus.name]) continue;
      seen[bus.name] = cycles;
      const auto id = *acq.channels().directory->find("bus/" + bus.name + "/cycle_ms");
      sum_ms[bus.name] += snap->samples.at(id).value;
      ++count[bus.name];
    }
  }
  std::map<std::string, BusFigures> figures;
  for (const auto& bus : site.buses) {
    auto& f = figures[bus.name];
    f.cycles = count[bus.name];
    if (f.cycles > 0) f.mean_cycle_ms = sum_ms[bus.name] / f.cycles;
    f.timeouts =
        channel(acq, *publisher.latest(), "bus/" + bus.name + "/timeouts") - timeouts0[bus.name];
  }
  return figures;
}

// Clients, each on its own connection, reading one battery block after another: flat out
// (period 0) or one block per period.
class Hammer {
 public:
  Hammer(int port, int clients, std::chrono::microseconds period) {
    for (int c = 0; c < clients; ++c) {
      threads_.emplace_back([this, port, c, period] {
        modbus_t* ctx = modbus_new_tcp("127.0.0.1", port);
        modbus_set_slave(ctx, 101 + c % 5);
        if (modbus_connect(ctx) != 0) {
          modbus_free(ctx);
          ++failures_;
          return;
        }
        std::uint16_t regs[12];
        auto next = std::chrono::steady_clock::now();
        for (int b = 0; !stop_; b = (b + 1) % 120) {
          if (period.count() > 0) {
            next += period;
            std::this_thread::sleep_until(next);
          }
          if (modbus_read_registers(ctx, 100 * (b + 1), 12, regs) == 12) {
            ++requests_;
          } else {
            ++failures_;
          }
        }
        modbus_close(ctx);
        modbus_free(ctx);
      });
    }
  }
  ~Hammer() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }
  std::uint64_t requests() const { return requests_; }
  std::uint64_t failures() const { return failures_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::vector<std::thread> threads_;
};

}  // namespace

int main() {
  plant::PlantOptions plant_options;
  plant_options.tcp_pick_free_ports = true;
  plant::VirtualPlant plant(make_site(), plant_options);
  plant.start();
  const auto site = std::make_shared<const model::Site>(plant.site_for_gateway());
  auto publisher = std::make_shared<model::SnapshotPublisher>();
  fieldbus::Acquisition acq(*site, model::build_plant_channels(*site), publisher);
  acq.start();
  for (const auto& bus : site->buses) {
    while (acq.cycles(bus.name) < 2) std::this_thread::sleep_for(10ms);  // past identity reads
  }
  scada::ScadaOptions options;
  options.port = 0;
  scada::ScadaServer server(options, publisher, nullptr, site);
  server.start();

  const auto window = 6000ms;
  struct Load {
    const char* name;
    std::chrono::microseconds period;
  };
  // Flat out is a stress test: on a small machine the 32 client threads of this very process
  // compete with acquisition for the CPU. A real SCADA reading every battery of its string once
  // a second is 120 blocks/s per client.
  const Load loads[] = {{"32 clients, 120 blocks/s each", 8333us}, {"32 clients, flat out", 0us}};
  const auto idle = mean_cycle_ms(acq, *publisher, *site, window);
  std::printf("Acquisition cycle time with and without 32 SCADA clients (target: unchanged)\n");
  for (const auto& load : loads) {
    std::map<std::string, BusFigures> loaded;
    double requests_per_s = 0.0;
    std::uint64_t failures = 0;
    {
      Hammer hammer(server.port(), 32, load.period);
      std::this_thread::sleep_for(300ms);  // every client connected and busy
      const auto r0 = hammer.requests();
      loaded = mean_cycle_ms(acq, *publisher, *site, window);
      requests_per_s = static_cast<double>(hammer.requests() - r0) /
                       std::chrono::duration<double>(window).count();
      failures = hammer.failures();
    }
    const auto idle_again = mean_cycle_ms(acq, *publisher, *site, window);
    std::printf("  %s: %.0f req/s of 12 registers, %llu failed requests\n", load.name,
                requests_per_s, static_cast<unsigned long long>(failures));
    for (const auto& bus : site->buses) {
      const auto& before = idle.at(bus.name);
      const auto& under = loaded.at(bus.name);
      const auto& after = idle_again.at(bus.name);
      std::printf(
          "    bus %-5s cycle: no load %7.1f ms | under load %7.1f ms (%d cycles, %.0f timeouts) "
          "| no load again %7.1f ms\n",
          bus.name.c_str(), before.mean_cycle_ms, under.mean_cycle_ms, under.cycles, under.timeouts,
          after.mean_cycle_ms);
    }
  }
  server.stop();
  acq.stop();
  return 0;
}
