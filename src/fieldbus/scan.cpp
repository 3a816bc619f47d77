#include "fieldbus/scan.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>

#include "fieldbus/device_plan.hpp"
#include "fieldbus/modbus_link.hpp"

namespace btms::fieldbus {

namespace dev = btms::devices;

std::vector<ScanEntry> scan_bus(const model::Bus& bus, int first_address, int last_address,
                                int timeout_ms) {
  model::Bus b = bus;
  b.timeout_ms = timeout_ms;
  ModbusLink link(b);
  if (!link.ensure_connected()) throw std::runtime_error("bus '" + bus.name + "' cannot be opened");
  std::vector<ScanEntry> out;
  first_address = std::max(first_address, model::kMinModbusAddress);
  last_address = std::min(last_address, model::kMaxModbusAddress);
  for (int a = first_address; a <= last_address; ++a) {
    std::array<std::uint16_t, dev::common::kIdentityCount> id{};
    auto err = link.read_input(a, dev::common::kIdentityStart, id);
    if (err == LinkError::connection) {
      if (!link.ensure_connected()) throw std::runtime_error("bus '" + bus.name + "' lost");
      err = link.read_input(a, dev::common::kIdentityStart, id);
    }
    if (err != LinkError::none) continue;
    ScanEntry e;
    e.address = a;
    e.type_code = id[0];
    e.type = dev::device_type_from_code(id[0]);
    e.firmware = id[1];
    e.serial = (static_cast<std::uint32_t>(id[2]) << 16) | id[3];
    e.hardware_rev = id[4];
    out.push_back(e);
  }
  return out;
}

std::vector<std::string> compare_with_config(const model::Site& site, const std::string& bus_name,
                                             const std::vector<ScanEntry>& entries) {
  std::map<int, ExpectedDevice> expected;
  for (auto& d : expected_devices(site, bus_name)) expected.emplace(d.address, d);
  std::map<int, const ScanEntry*> found;
  for (const auto& e : entries) found.emplace(e.address, &e);

  std::vector<std::string> lines;
  for (const auto& [address, d] : expected) {
    const auto it = found.find(address);
    const auto want = std::string(dev::device_code(d.type));
    if (it == found.end()) {
      lines.push_back("missing: address " + std::to_string(address) + " " + want + " (" + d.label +
                      ")");
    } else if (it->second->type != d.type) {
      const auto got = it->second->type ? std::string(dev::device_code(*it->second->type))
                                        : "type code " + std::to_string(it->second->type_code);
      lines.push_back("wrong type: address " + std::to_string(address) + " expected " + want +
                      " (" + d.label + "), found " + got);
    }
  }
  for (const auto& [address, e] : found) {
    if (expected.contains(address)) continue;
    const auto got = e->type ? std::string(dev::device_code(*e->type))
                             : "type code " + std::to_string(e->type_code);
    lines.push_back("unexpected: address " + std::to_string(address) + " answers as " + got);
  }
  return lines;
}

}  // namespace btms::fieldbus
