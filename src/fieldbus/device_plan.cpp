#include "fieldbus/device_plan.hpp"

#include <stdexcept>

#include "fieldbus/quality.hpp"
#include "model/ids.hpp"

namespace btms::fieldbus {

namespace dev = btms::devices;
using model::Quality;

std::vector<ExpectedDevice> expected_devices(const model::Site& site, const std::string& bus_name) {
  std::vector<ExpectedDevice> out;
  for (const auto& s : site.strings) {
    if (s.bus != bus_name) continue;
    for (int p = 1; p <= s.batteries; ++p) {
      out.push_back(
          {s.first_cs_address + p - 1, dev::DeviceType::bm_cs, model::battery_id(s.id, p)});
    }
    if (s.gs_address > 0)
      out.push_back({s.gs_address, dev::DeviceType::bm_gs, model::string_id(s.id)});
    if (s.hs_address > 0)
      out.push_back({s.hs_address, dev::DeviceType::bm_hs, model::string_id(s.id)});
  }
  if (site.mc.present && site.mc.bus == bus_name) {
    out.push_back({site.mc.address, dev::DeviceType::bm_mc, "mc"});
  }
  return out;
}

std::vector<DevicePlan> plan_bus(const model::Site& site, const model::PlantChannels& channels,
                                 const std::string& bus_name) {
  std::vector<DevicePlan> plans;
  for (const auto& s : site.strings) {
    if (s.bus != bus_name) continue;
    const auto* sc = channels.find_string(s.id);
    if (sc == nullptr)
      throw std::invalid_argument("no channels for string " + std::to_string(s.id));
    const auto* type = site.find_battery_type(s.battery_type);
    const double nominal_V = type != nullptr ? type->nominal_voltage_V : 12.0;
    for (int p = 1; p <= s.batteries; ++p) {
      DevicePlan plan;
      plan.device = {s.first_cs_address + p - 1, dev::DeviceType::bm_cs,
                     model::battery_id(s.id, p)};
      plan.battery = sc->batteries.at(static_cast<std::size_t>(p - 1));
      plan.nominal_voltage_V = nominal_V;
      plans.push_back(std::move(plan));
    }
    if (s.gs_address > 0) {
      DevicePlan plan;
      plan.device = {s.gs_address, dev::DeviceType::bm_gs, model::string_id(s.id)};
      plan.string_voltage = sc->voltage;
      plan.insulation_pos = sc->insulation_pos;
      plan.insulation_neg = sc->insulation_neg;
      plans.push_back(std::move(plan));
    }
    if (s.hs_address > 0) {
      DevicePlan plan;
      plan.device = {s.hs_address, dev::DeviceType::bm_hs, model::string_id(s.id)};
      plan.current = sc->current;
      plan.current_range_A = s.current_range_A;
      plans.push_back(std::move(plan));
    }
  }
  if (site.mc.present && site.mc.bus == bus_name) {
    DevicePlan plan;
    plan.device = {site.mc.address, dev::DeviceType::bm_mc, "mc"};
    plan.ambients = channels.ambients;
    plan.io = channels.io;
    plan.watchdog_tripped = channels.mc_watchdog_tripped;
    plans.push_back(std::move(plan));
  }
  return plans;
}

namespace {

std::optional<double> field(const dev::DeviceMap& map, std::string_view name,
                            std::span<const std::uint16_t> block) {
  return dev::decode_from_block(map.reg(name), map.fast.start, block);
}

std::uint16_t word(const dev::DeviceMap& map, std::uint16_t address,
                   std::span<const std::uint16_t> block) {
  return block[static_cast<std::size_t>(address - map.fast.start)];
}

void add_bits(std::vector<ChannelReading>& out, const std::vector<model::ChannelId>& channels,
              std::uint16_t bits) {
  for (std::size_t k = 0; k < channels.size() && k < 16; ++k) {
    out.push_back({channels[k], static_cast<double>((bits >> k) & 1u), Quality::ok});
  }
}

void add(std::vector<ChannelReading>& out, model::ChannelId channel, std::optional<double> value,
         bool valid, Range range) {
  out.push_back({channel, value.value_or(0.0), classify(value, valid, range)});
}

void decode_cs(const DevicePlan& plan, std::span<const std::uint16_t> block, FastDecode& out) {
  const auto& map = dev::bm_cs_map();
  const auto status = word(map, dev::bm_cs::kStatus, block);
  const bool valid = (status & dev::bm_cs::kStatusValid) != 0;
  const bool temp_ok = (status & dev::bm_cs::kStatusTempSensorFault) == 0;
  add(out.readings, plan.battery.voltage, field(map, "voltage", block), valid,
      battery_voltage_range(plan.nominal_voltage_V));
  add(out.readings, plan.battery.temperature, field(map, "temperature", block), valid && temp_ok,
      kBatteryTemperatureRange);
  // A resistance of 0 or an age of "none yet" means no test has run: not a measurement.
  const auto age = field(map, "resistance_age", block);
  add(out.readings, plan.battery.resistance, field(map, "resistance", block), valid && age,
      kResistanceRange);
  out.readings.push_back({plan.battery.balancing,
                          (status & dev::bm_cs::kStatusBalancing) != 0 ? 1.0 : 0.0, Quality::ok});
  out.sample_counter = word(map, dev::bm_cs::kSampleCounter, block);
}

void decode_gs(const DevicePlan& plan, std::span<const std::uint16_t> block, FastDecode& out) {
  const auto& map = dev::bm_gs_map();
  const bool valid = (word(map, dev::bm_gs::kStatus, block) & dev::bm_gs::kStatusValid) != 0;
  add(out.readings, plan.string_voltage, field(map, "string_voltage", block), valid,
      kStringVoltageRange);
  add(out.readings, plan.insulation_pos, field(map, "insulation_pos", block), valid,
      kInsulationRange);
  add(out.readings, plan.insulation_neg, field(map, "insulation_neg", block), valid,
      kInsulationRange);
  out.sample_counter = word(map, dev::bm_gs::kSampleCounter, block);
}

void decode_hs(const DevicePlan& plan, std::span<const std::uint16_t> block, FastDecode& out) {
  const auto& map = dev::bm_hs_map();
  const auto status = word(map, dev::bm_hs::kStatus, block);
  const bool valid =
      (status & dev::bm_hs::kStatusValid) != 0 && (status & dev::bm_hs::kStatusDisconnected) == 0;
  add(out.readings, plan.current, field(map, "current", block), valid,
      current_range(plan.current_range_A));
  out.sample_counter = word(map, dev::bm_hs::kSampleCounter, block);
}

void decode_mc(const DevicePlan& plan, std::span<const std::uint16_t> block, FastDecode& out) {
  const auto& map = dev::bm_mc_map();
  for (const auto& a : plan.ambients) {
    const auto th = "th[" + std::to_string(a.th_index) + "]";
    add(out.readings, a.temperature, field(map, th + ".temperature", block), true,
        kAmbientTemperatureRange);
    add(out.readings, a.humidity, field(map, th + ".humidity", block), true, kHumidityRange);
  }
  for (const auto& m : plan.io) {
    if (m.lc == 0) {
      add_bits(out.readings, m.inputs, word(map, dev::bm_mc::kInputs, block));
      add_bits(out.readings, m.outputs, word(map, dev::bm_mc::kRelayState, block));
    } else {
      add_bits(out.readings, m.inputs, word(map, dev::bm_mc::lc_inputs(m.lc), block));
      add_bits(out.readings, m.outputs, word(map, dev::bm_mc::lc_outputs(m.lc), block));
    }
  }
  const auto status = word(map, dev::bm_mc::kStatus, block);
  out.readings.push_back({plan.watchdog_tripped,
                          (status & dev::bm_mc::kStatusWatchdogTripped) != 0 ? 1.0 : 0.0,
                          Quality::ok});
  out.sample_counter = word(map, dev::bm_mc::kSampleCounter, block);
}

}  // namespace

FastDecode decode_fast(const DevicePlan& plan, std::span<const std::uint16_t> block) {
  const auto& map = dev::map_of(plan.device.type);
  if (block.size() < map.fast.count) throw std::out_of_range("fast block too short");
  FastDecode out;
  switch (plan.device.type) {
    case dev::DeviceType::bm_cs:
      decode_cs(plan, block, out);
      break;
    case dev::DeviceType::bm_gs:
      decode_gs(plan, block, out);
      break;
    case dev::DeviceType::bm_hs:
      decode_hs(plan, block, out);
      break;
    case dev::DeviceType::bm_mc:
      decode_mc(plan, block, out);
      break;
  }
  return out;
}

}  // namespace btms::fieldbus
