#include "plant/virtual_plant.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "plant/bm_cs_emulator.hpp"
#include "plant/bm_gs_emulator.hpp"
#include "plant/bm_hs_emulator.hpp"
#include "plant/bm_mc_emulator.hpp"
#include "plant/modbus_pdu.hpp"
#include "plant/rtu_bus_server.hpp"
#include "plant/scenario.hpp"
#include "plant/tcp_bus_server.hpp"

namespace btms::plant {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSimStepPeriod = std::chrono::milliseconds(10);

struct BusDevices {
  std::map<int, std::unique_ptr<DeviceEmulator>> by_address;
  std::set<int> silent;
  double noise_fraction = 0.0;
};

// Everything a running plant owns.
struct PlantState {
  PlantState(const model::Site& s, PlantOptions o)
      : site(s),
        options(std::move(o)),
        model(site, options.seed),
        rng(options.seed ^ 0x5EED5EEDu) {}

  model::Site site;
  PlantOptions options;
  mutable std::mutex mutex;  // guards model, rng and every device
  PlantModel model;
  std::mt19937_64 rng;
  Clock::time_point wall_start = Clock::now();
  std::int64_t start_unix_ms = 0;
  std::shared_ptr<const model::Clock> plant_clock;
  std::map<std::string, BusDevices> buses;
  BmMcEmulator* mc = nullptr;  // owned by buses; scenarios drive its inputs
  std::size_t next_event = 0;  // first scenario event not applied yet
  double scenario_origin_s = 0.0;

  std::vector<std::unique_ptr<TcpBusServer>> tcp_servers;
  std::vector<std::unique_ptr<RtuBusServer>> rtu_servers;
  std::vector<ServedBus> served;
  bool running = false;

  std::thread sim_thread;
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stop_requested = false;

  double wall_s() const { return std::chrono::duration<double>(Clock::now() - wall_start).count(); }
  DeviceContext context() { return DeviceContext{model, model.time_s(), wall_s(), rng}; }

  // Caller holds `mutex`.
  void tick_devices() {
    DeviceContext ctx = context();
    for (auto& [name, bus] : buses) {
      for (auto& [address, device] : bus.by_address) device->tick(ctx);
    }
  }

  std::optional<BusReply> handle(const std::string& bus_name, std::uint8_t unit,
                                 std::span<const std::uint8_t> pdu) {
    if (pdu.empty()) return std::nullopt;
    std::lock_guard lock(mutex);
    auto bus_it = buses.find(bus_name);
    if (bus_it == buses.end()) return std::nullopt;
    BusDevices& bus = bus_it->second;
    DeviceContext ctx = context();
    if (unit == 0) {
      // Broadcast: every device executes a write, nobody answers; reads make no sense.
      if (is_write_function(pdu[0])) {
        for (auto& [address, device] : bus.by_address) {
          if (!bus.silent.contains(address)) execute_pdu(*device, pdu, ctx);
        }
      }
      return std::nullopt;
    }
    // Unknown unit: no reply on TCP as on RTU. Our TCP server stands for the devices
    // themselves, not for a serial gateway that could answer exception 0x0B, so the master
    // sees the same timeout it would see on a serial line.
    auto dev_it = bus.by_address.find(unit);
    if (dev_it == bus.by_address.end() || bus.silent.contains(unit)) return std::nullopt;
    BusReply reply{execute_pdu(*dev_it->second, pdu, ctx), false};
    if (bus.noise_fraction > 0.0) {
      std::uniform_real_distribution<double> dist(0.0, 1.0);
      reply.corrupt = dist(rng) < bus.noise_fraction;
    }
    return reply;
  }

  // Caller holds `mutex`.
  void apply_due_events() {
    if (!options.scenario) return;
    const auto& events = options.scenario->events;
    while (next_event < events.size() &&
           events[next_event].at_s <= model.time_s() - scenario_origin_s) {
      apply(events[next_event++]);
    }
  }

  void apply(const ScenarioEvent& e) {
    using enum ScenarioEventKind;
    const model::String* s = site.find_string(e.string);
    switch (e.kind) {
      case mains_fail:
      case mains_restore:
        model.set_mains(e.ups, e.kind == mains_restore);
        break;
      case resistance_rise:
        model.scale_resistance(e.string, e.position, e.factor);
        break;
      case thermal_runaway:
        model.start_thermal_runaway(e.string, e.position);
        break;
      case open_battery:
        model.open_battery(e.string, e.position);
        break;
      case insulation_fault:
        model.set_insulation_kOhm(e.string, e.pos_kOhm, e.neg_kOhm);
        break;
      case sensor_silent:
        if (s != nullptr) {
          auto& silent = buses[s->bus].silent;
          const int address = s->first_cs_address + e.position - 1;
          if (e.flag) {
            silent.insert(address);
          } else {
            silent.erase(address);
          }
        }
        break;
      case bus_noise:
        buses[e.bus].noise_fraction = std::clamp(e.percent / 100.0, 0.0, 1.0);
        break;
      case input_change:
        if (mc != nullptr) mc->set_input(e.point, e.flag);
        break;
      case relay_welded:
        model.set_contactor_welded(e.string, e.flag);
        break;
      case ups_load:
        if (e.load_A >= 0.0) {
          model.set_ups_load_current_A(e.ups, e.load_A);
        } else {
          model.set_ups_load_kW(e.ups, e.load_kW);
        }
        break;
      case ambient:
        model.set_ambient(
            e.th, e.temperature_C,
            e.humidity_pct >= 0.0 ? e.humidity_pct : model.ambient_humidity_pct(e.th));
        break;
      case heat_source:
        model.add_heat_W(e.string, e.position, e.watts);
        break;
      case age:
        model.age_years(e.years);
        break;
    }
  }

  void run_simulation() {
    // From the start of the plant's clock, so plant time and clock() agree (a test that
    // fast-forwards the model moves plant time ahead of the clock; that is its business).
    auto last = wall_start;
    bool behind_said = false;
    std::unique_lock stop_lock(stop_mutex);
    while (!stop_cv.wait_for(stop_lock, kSimStepPeriod, [this] { return stop_requested; })) {
      const auto now = Clock::now();
      const double dt_s = std::chrono::duration<double>(now - last).count() * options.speed;
      last = now;
      std::lock_guard lock(mutex);
      const auto step_start = Clock::now();
      if (dt_s > 0.0) model.step(dt_s);
      const auto cost = Clock::now() - step_start;
      // Keep a tick's work under its period, or the plant falls behind its clock and holds the
      // devices' lock ever longer: at high speed on a large site, take longer sub-steps (and
      // shorter ones again when there is room).
      const double substep_s = model.max_substep_s();
      if (cost > kSimStepPeriod / 2 && substep_s < 60.0) {
        model.set_max_substep_s(substep_s * 2.0);
      } else if (cost < kSimStepPeriod / 8 && substep_s > 1.0) {
        model.set_max_substep_s(substep_s / 2.0);
      }
      if (cost > kSimStepPeriod && model.max_substep_s() >= 60.0 && !behind_said) {
        behind_said = true;  // stderr: the plant library has no logger of its own
        std::fprintf(stderr,
                     "plant: speed x%g is more than this machine can simulate for this site "
                     "(%.0f ms per %.0f ms tick at 60 s sub-steps); plant time falls behind "
                     "its clock\n",
                     options.speed, std::chrono::duration<double, std::milli>(cost).count(),
                     std::chrono::duration<double, std::milli>(kSimStepPeriod).count());
      }
      apply_due_events();
      tick_devices();
    }
  }
};

void add_device(PlantState& st, const std::string& bus, std::unique_ptr<DeviceEmulator> device) {
  auto& slot = st.buses[bus].by_address[device->address()];
  if (!slot) slot = std::move(device);  // duplicate addresses are the config validator's job
}

}  // namespace

struct VirtualPlant::Impl {
  std::unique_ptr<PlantState> state;
};

VirtualPlant::VirtualPlant(const model::Site& site, PlantOptions options) {
  // Tests slow the plant far below the command line's kMinSpeed; only > 0 is a must.
  if (!(options.speed > 0.0 && options.speed <= kMaxSpeed)) {
    throw std::invalid_argument("plant speed must be > 0 and at most " + std::to_string(kMaxSpeed) +
                                ", not " + std::to_string(options.speed));
  }
  auto st = std::make_unique<PlantState>(site, std::move(options));
  for (const auto& bus : site.buses) st->buses[bus.name];
  for (const auto& s : site.strings) {
    for (int k = 1; k <= s.batteries; ++k) {
      add_device(*st, s.bus, std::make_unique<BmCsEmulator>(s.first_cs_address + k - 1, s.id, k));
    }
    if (s.gs_address > 0)
      add_device(*st, s.bus, std::make_unique<BmGsEmulator>(s.gs_address, s.id));
    if (s.hs_address > 0) {
      add_device(*st, s.bus, std::make_unique<BmHsEmulator>(s.hs_address, s.id, s.current_range_A));
    }
  }
  if (site.mc.present) {
    auto mc = std::make_unique<BmMcEmulator>(site);
    BmMcEmulator* raw = mc.get();
    add_device(*st, site.mc.bus, std::move(mc));
    if (st->buses[site.mc.bus].by_address[site.mc.address].get() == raw) st->mc = raw;
  }
  {
    // Power-on: every device applies its outputs and latches a first sample.
    std::lock_guard lock(st->mutex);
    st->scenario_origin_s = st->model.time_s();
    st->apply_due_events();  // events at 0 s are part of the starting state
    st->tick_devices();
  }
  impl_ = std::make_unique<Impl>();
  impl_->state = std::move(st);
}

VirtualPlant::~VirtualPlant() {
  stop();
}

void VirtualPlant::start() {
  PlantState& st = *impl_->state;
  if (st.running) return;
  std::vector<std::unique_ptr<TcpBusServer>> tcp;
  std::vector<std::unique_ptr<RtuBusServer>> rtu;
  std::vector<ServedBus> served;
  for (const auto& bus : st.site.buses) {
    auto handler = [&st, name = bus.name](std::uint8_t unit, std::span<const std::uint8_t> pdu) {
      return st.handle(name, unit, pdu);
    };
    ServedBus sb{bus.name, bus.kind, "", 0, ""};
    if (bus.kind == model::BusKind::tcp) {
      const int port = st.options.tcp_pick_free_ports ? 0 : bus.port;
      tcp.push_back(std::make_unique<TcpBusServer>(bus.name, st.options.bind_host, port, handler));
      sb.host = st.options.bind_host;
      sb.port = tcp.back()->port();
    } else {
      rtu.push_back(std::make_unique<RtuBusServer>(bus.name, bus.baud, st.options.rtu_turnaround_ms,
                                                   handler));
      sb.device = rtu.back()->device_path();
    }
    served.push_back(sb);
  }
  st.tcp_servers = std::move(tcp);
  st.rtu_servers = std::move(rtu);
  st.served = std::move(served);
  {
    std::lock_guard lock(st.stop_mutex);
    st.stop_requested = false;
  }
  {
    // Plant time 0 is the start: the clock and the simulation thread start together.
    std::lock_guard lock(st.mutex);
    st.wall_start = Clock::now();
    st.start_unix_ms =
        st.options.start_unix_ms != 0 ? st.options.start_unix_ms : model::system_clock()->now_ms();
    st.plant_clock = std::make_shared<const model::ScaledClock>(
        st.start_unix_ms + static_cast<std::int64_t>(st.model.time_s() * 1000.0), st.options.speed,
        st.wall_start);
  }
  st.sim_thread = std::thread([&st] { st.run_simulation(); });
  for (auto& s : st.tcp_servers) s->start();
  for (auto& s : st.rtu_servers) s->start();
  st.running = true;
}

void VirtualPlant::stop() {
  PlantState& st = *impl_->state;
  if (!st.running) return;
  {
    std::lock_guard lock(st.stop_mutex);
    st.stop_requested = true;
  }
  st.stop_cv.notify_all();
  if (st.sim_thread.joinable()) st.sim_thread.join();
  st.tcp_servers.clear();  // joins the server threads, closes the sockets
  st.rtu_servers.clear();  // ... and the pseudo-terminals
  st.served.clear();
  st.running = false;
}

std::vector<ServedBus> VirtualPlant::served_buses() const {
  return impl_->state->served;
}

model::Site VirtualPlant::site_for_gateway() const {
  const PlantState& st = *impl_->state;
  model::Site site = st.site;
  for (const auto& sb : st.served) {
    for (auto& bus : site.buses) {
      if (bus.name != sb.bus_name) continue;
      if (sb.kind == model::BusKind::tcp) {
        bus.host = sb.host;
        bus.port = sb.port;
      } else {
        bus.device = sb.device;
      }
    }
  }
  return site;
}

void VirtualPlant::with_model(const std::function<void(PlantModel&)>& fn) {
  PlantState& st = *impl_->state;
  std::lock_guard lock(st.mutex);
  fn(st.model);
}

std::shared_ptr<const model::Clock> VirtualPlant::clock() const {
  PlantState& st = *impl_->state;
  std::lock_guard lock(st.mutex);
  if (st.plant_clock) return st.plant_clock;
  // Not started: a clock standing still would break waits; one that runs from now at the
  // plant's speed is what start() will make a moment later.
  return std::make_shared<const model::ScaledClock>(model::system_clock()->now_ms(),
                                                    st.options.speed);
}

double VirtualPlant::speed() const {
  return impl_->state->options.speed;
}

std::int64_t VirtualPlant::start_unix_ms() const {
  PlantState& st = *impl_->state;
  std::lock_guard lock(st.mutex);
  return st.start_unix_ms;
}

double VirtualPlant::sim_time_s() const {
  PlantState& st = *impl_->state;
  std::lock_guard lock(st.mutex);
  return st.model.time_s();
}

void VirtualPlant::set_device_silent(const std::string& bus, int address, bool silent) {
  PlantState& st = *impl_->state;
  std::lock_guard lock(st.mutex);
  auto it = st.buses.find(bus);
  if (it == st.buses.end()) throw std::invalid_argument("no bus '" + bus + "'");
  if (silent) {
    it->second.silent.insert(address);
  } else {
    it->second.silent.erase(address);
  }
}

void VirtualPlant::set_bus_noise(const std::string& bus, double corrupted_fraction) {
  PlantState& st = *impl_->state;
  std::lock_guard lock(st.mutex);
  auto it = st.buses.find(bus);
  if (it == st.buses.end()) throw std::invalid_argument("no bus '" + bus + "'");
  it->second.noise_fraction = std::clamp(corrupted_fraction, 0.0, 1.0);
}

}  // namespace btms::plant
