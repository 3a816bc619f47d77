// Who answers at each address of one bus. Over Modbus TCP a gateway or converter may route one
// unit's request to another device; the unit id of an answer is checked in modbus_link, and
// this table catches what a unit id cannot: the identity read of a device (every
// identity_every_cycles cycles) learns its serial number, and a device is untrusted (its values
// invalid) while
//   - its serial differs from the one learned at first contact, or
//   - another address of the same bus answers with the same serial (a converter that answers
//     for unit k with unit k+1's data).
// A new serial read at one address on `adopt_after_checks` consecutive identity reads is a
// replaced device: adopted (and logged by the caller), the device is trusted again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace btms::fieldbus {

enum class IdentityVerdict {
  trusted,         // the serial learned before, no other address shares it
  first_contact,   // serial learned now (trusted unless a duplicate)
  serial_changed,  // another serial than learned: untrusted until adopted
  replaced,        // the changed serial was read often enough: adopted, trusted again
  duplicate,       // another address of the bus answers with the same serial: untrusted
};

class BusIdentities {
 public:
  explicit BusIdentities(std::size_t devices, int adopt_after_checks = 3);

  // One identity read of `device` with the serial it reported.
  IdentityVerdict observe(std::size_t device, std::uint32_t serial);
  // False while the device's serial is unconfirmed or shared with another address; true for a
  // device never checked yet (nothing known against it).
  bool trusted(std::size_t device) const;
  std::size_t size() const { return devices_.size(); }

 private:
  struct Device {
    bool known = false;
    std::uint32_t serial = 0;     // learned (or adopted)
    bool changed = false;         // the last read disagreed with `serial`
    std::uint32_t candidate = 0;  // the disagreeing serial
    int candidate_reads = 0;      // consecutive reads of `candidate`
    bool duplicate = false;
  };
  void update_duplicates();

  std::vector<Device> devices_;
  int adopt_after_checks_;
};

}  // namespace btms::fieldbus
