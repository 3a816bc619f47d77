// Which devices sit on a bus and which channels each one feeds: the poll plan of one bus worker,
// derived once from the topology. decode_fast() turns one fast-block read into channel values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "devices/register_map.hpp"
#include "model/plant_channels.hpp"
#include "model/topology.hpp"

namespace btms::fieldbus {

// A device the configuration places on a bus.
struct ExpectedDevice {
  int address = 0;
  devices::DeviceType type = devices::DeviceType::bm_cs;
  std::string label;  // e.g. "battery/1/5", "string/1", "mc"
};
std::vector<ExpectedDevice> expected_devices(const model::Site& site, const std::string& bus_name);

struct DevicePlan {
  ExpectedDevice device;
  // BM-CS
  model::BatteryChannels battery{};
  double nominal_voltage_V = 12.0;
  // BM-GS
  model::ChannelId string_voltage = 0, insulation_pos = 0, insulation_neg = 0;
  // BM-HS
  model::ChannelId current = 0;
  double current_range_A = 0.0;
  // BM-MC
  std::vector<model::AmbientChannels> ambients;
  std::vector<model::ModuleIoChannels> io;
  model::ChannelId watchdog_tripped = 0;
};

std::vector<DevicePlan> plan_bus(const model::Site& site, const model::PlantChannels& channels,
                                 const std::string& bus_name);

// Value of one channel as read, before the device's health is applied.
struct ChannelReading {
  model::ChannelId channel = 0;
  double value = 0.0;
  model::Quality quality = model::Quality::invalid;
};

struct FastDecode {
  std::vector<ChannelReading> readings;
  std::uint16_t sample_counter = 0;
};

// Decodes the device's fast block (register_map fast block, starting at map.fast.start).
// Throws std::out_of_range when the block is shorter than the map's fast block.
FastDecode decode_fast(const DevicePlan& plan, std::span<const std::uint16_t> block);

}  // namespace btms::fieldbus
