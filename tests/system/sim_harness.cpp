#include "sim_harness.hpp"

#include <cmath>
#include <string>
#include <type_traits>
#include <variant>

#include "plant/bm_cs_emulator.hpp"

namespace btms::system_test {

model::Site make_site(const SiteShape& shape) {
  model::Site site;
  site.name = "system-test";
  model::BatteryType type;
  type.name = "12V";
  type.capacity_Ah = shape.capacity_Ah;
  site.battery_types.push_back(type);
  model::Bus bus;
  bus.name = "bus1";
  bus.port = 0;
  bus.cycle_ms = shape.cycle_ms;
  bus.timeout_ms = 200;
  site.buses.push_back(bus);
  site.upses.push_back(model::Ups{1, "UPS 1", 0.0});  // 0 kW: the plant sizes a 15 min load
  int address = 2;
  for (int id = 1; id <= shape.strings; ++id) {
    model::String s;
    s.id = id;
    s.ups_id = 1;
    s.name = "String " + std::to_string(id);
    s.battery_type = type.name;
    s.batteries = shape.batteries;
    s.bus = bus.name;
    s.first_cs_address = address;
    address += shape.batteries;
    s.gs_address = address++;
    s.hs_address = address++;
    s.disconnect_relay = model::IoPoint{0, id};
    s.relay_feedback = model::IoPoint{0, id};
    s.ambient_th = 1;
    site.strings.push_back(s);
  }
  site.mc.present = true;
  site.mc.bus = bus.name;
  site.mc.address = 1;
  site.mc.th.push_back(model::ThSensor{1, "Battery room"});
  return site;
}

double quantize(double value, double resolution) {
  return std::round(value / resolution) * resolution;
}

FastPlant::FastPlant(const model::Site& site, std::uint64_t seed, engine::EngineConfig config)
    : site_(site),
      channels_(model::build_plant_channels(site)),
      model_(std::make_unique<plant::PlantModel>(site, seed)),
      engine_(std::make_unique<engine::Engine>(site, channels_, std::move(config))),
      rng_(seed ^ 0x5eedULL),
      cycle_ms_(site.buses.empty() ? 1000 : site.buses.front().cycle_ms),
      relay_on_(model::kMcRelays, false),
      resistance_test_period_s_(plant::BmCsEmulator::kResistanceTestPeriod_s),
      resistance_mOhm_(static_cast<std::size_t>(site.total_batteries()), 0.0),
      measured_at_ms_(static_cast<std::size_t>(site.total_batteries()), -1) {
  // The plant starts in service: every disconnect relay energized.
  for (const auto& s : site_.strings) {
    if (s.disconnect_relay && s.disconnect_relay->lc == 0) {
      relay_on_[static_cast<std::size_t>(s.disconnect_relay->index - 1)] = true;
    }
  }
}

void FastPlant::apply(const model::Command& command) {
  std::visit(
      [this](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, model::SetBalancing>) {
          model_->set_balancing(c.string_id, c.position, c.on);
        } else if constexpr (std::is_same_v<T, model::SetRelay>) {
          if (c.point.lc != 0) return;
          relay_on_[static_cast<std::size_t>(c.point.index - 1)] = c.on;
          for (const auto& s : site_.strings) {
            if (s.disconnect_relay && *s.disconnect_relay == c.point) {
              model_->set_contactor(s.id, c.on);
            }
          }
        }
        if constexpr (std::is_same_v<T, model::RequestResistanceTest>) {
          std::size_t first = 0;  // batteries are indexed strings in site order
          for (const auto& s : site_.strings) {
            if (s.id == c.string_id) {
              for (int p = 1; p <= s.batteries; ++p) {
                if (c.position == 0 || c.position == p)
                  measured_at_ms_[first + static_cast<std::size_t>(p - 1)] = -1;
              }
            }
            first += static_cast<std::size_t>(s.batteries);
          }
        }
      },
      command);
}

std::shared_ptr<const model::Snapshot> FastPlant::snapshot() {
  auto snap = std::make_shared<model::Snapshot>();
  snap->channels = channels_.directory;
  snap->samples.assign(channels_.directory->size(),
                       model::Sample{0.0, now_ms_, model::Quality::comm_lost});
  snap->sequence = ++sequence_;
  snap->time_ms = now_ms_;
  auto put = [&](model::ChannelId id, double v, model::Quality q = model::Quality::ok) {
    snap->samples[id] = model::Sample{v, now_ms_, q};
  };
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::size_t battery_index = 0;
  dropped_last_cycle_.resize(static_cast<std::size_t>(site_.total_batteries()), false);
  for (const auto& sc : channels_.strings) {
    const auto& st = model_->string(sc.string_id);
    put(sc.voltage, quantize(st.voltage_V, 0.01));
    put(sc.current, quantize(st.current_A + noise_.current_sigma_A * normal(rng_), 0.01));
    put(sc.insulation_pos, quantize(st.insulation_pos_kOhm, 1.0));
    put(sc.insulation_neg, quantize(st.insulation_neg_kOhm, 1.0));
    for (std::size_t k = 0; k < sc.batteries.size(); ++k) {
      const auto& bc = sc.batteries[k];
      const auto& b = model_->battery(sc.string_id, static_cast<int>(k) + 1);
      const std::size_t index = battery_index++;
      const bool was_dropped = dropped_last_cycle_[index];
      dropped_last_cycle_[index] = false;
      if (!was_dropped && noise_.battery_drop_fraction > 0.0 &&
          uniform(rng_) < noise_.battery_drop_fraction) {
        dropped_last_cycle_[index] = true;
        continue;  // the whole BM-CS read failed this cycle: stays comm_lost
      }
      put(bc.voltage, quantize(b.voltage_V + noise_.voltage_sigma_V * normal(rng_), 0.001));
      put(bc.temperature,
          quantize(b.temperature_C + noise_.temperature_sigma_C * normal(rng_), 0.1));
      auto& measured_at_ms = measured_at_ms_[index];
      if (measured_at_ms < 0 || resistance_test_period_s_ <= 0.0 ||
          static_cast<double>(now_ms_ - measured_at_ms) >= resistance_test_period_s_ * 1000.0) {
        resistance_mOhm_[index] = quantize(
            b.resistance_mOhm * (1.0 + noise_.resistance_sigma_pct / 100.0 * normal(rng_)), 0.001);
        measured_at_ms = now_ms_;
      }
      put(bc.resistance, resistance_mOhm_[index]);
      put(bc.balancing, b.balance_current_A > 0.0 ? 1.0 : 0.0);
    }
  }
  for (const auto& ac : channels_.ambients) {
    put(ac.temperature, quantize(model_->ambient_temperature_C(ac.th_index), 0.1));
    put(ac.humidity, quantize(model_->ambient_humidity_pct(ac.th_index), 0.1));
  }
  if (!channels_.io.empty()) {
    const auto& mc = channels_.io.front();
    for (auto id : mc.inputs) put(id, 0.0);
    for (std::size_t k = 0; k < mc.outputs.size(); ++k)
      put(mc.outputs[k], relay_on_[k] ? 1.0 : 0.0);
    for (const auto& s : site_.strings) {
      if (s.relay_feedback && s.relay_feedback->lc == 0) {
        put(mc.inputs[static_cast<std::size_t>(s.relay_feedback->index - 1)],
            model_->string(s.id).contactor_closed ? 1.0 : 0.0);
      }
    }
    put(channels_.mc_watchdog_tripped, 0.0);
  }
  return snap;
}

engine::EngineOutput FastPlant::cycle() {
  model_->step(cycle_ms_ / 1000.0);
  now_ms_ += cycle_ms_;
  auto out = engine_->step(*snapshot(), now_ms_);
  for (const auto& c : out.commands) apply(c);
  events_.insert(events_.end(), out.events.begin(), out.events.end());
  return out;
}

void FastPlant::run_for(double span_s,
                        const std::function<void(const engine::EngineOutput&)>& on_cycle) {
  const std::int64_t end_ms = now_ms_ + static_cast<std::int64_t>(span_s * 1000.0);
  while (now_ms_ < end_ms) {
    auto out = cycle();
    if (on_cycle) on_cycle(out);
  }
}

int FastPlant::trips() const {
  int n = 0;
  for (const auto& e : events_) n += e.kind == model::EventKind::string_tripped ? 1 : 0;
  return n;
}

}  // namespace btms::system_test
