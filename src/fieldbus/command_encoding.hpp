// Engine commands -> holding-register writes on the bus that owns the device. Pure; the bus
// worker executes the writes. Relay commands are bit updates of a commanded mask that the worker
// keeps (and seeds from the MC at start), so one relay command never changes the other relays.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/commands.hpp"
#include "model/topology.hpp"

namespace btms::fieldbus {

struct RegisterWrite {
  int address = 0;
  std::uint16_t reg = 0;
  std::uint16_t value = 0;
  // Non-zero: only these bits of the commanded mask at `reg` change, to the bits of `value`.
  std::uint16_t mask = 0;
  bool operator==(const RegisterWrite&) const = default;
};

struct EncodedCommand {
  std::string bus;
  std::vector<RegisterWrite> writes;
};

// Throws std::invalid_argument when the command names a string, battery or point the site
// does not have.
EncodedCommand encode_command(const model::Site& site, const model::Command& command);

// Applies a masked write to a commanded mask: the value the worker writes to the register.
std::uint16_t apply_mask(std::uint16_t commanded, const RegisterWrite& write);

}  // namespace btms::fieldbus
