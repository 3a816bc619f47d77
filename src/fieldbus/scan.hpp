// Commissioning: which devices answer on a bus, and how that differs from the configuration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "devices/register_map.hpp"
#include "model/topology.hpp"

namespace btms::fieldbus {

struct ScanEntry {
  int address = 0;
  std::uint16_t type_code = 0;
  std::optional<devices::DeviceType> type;  // nullopt: unknown type code
  std::uint16_t firmware = 0;               // major * 256 + minor
  std::uint32_t serial = 0;
  std::uint16_t hardware_rev = 0;
};

// Reads the identity block of every address in [first_address, last_address]; returns the
// addresses that answered, in address order. Throws std::runtime_error when the bus cannot be
// opened.
std::vector<ScanEntry> scan_bus(const model::Bus& bus, int first_address, int last_address,
                                int timeout_ms);

// One line per difference: "missing: ...", "unexpected: ...", "wrong type: ...". Empty = match.
std::vector<std::string> compare_with_config(const model::Site& site, const std::string& bus_name,
                                             const std::vector<ScanEntry>& entries);

}  // namespace btms::fieldbus
