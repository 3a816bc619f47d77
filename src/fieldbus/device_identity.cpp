#include "fieldbus/device_identity.hpp"

#include <algorithm>
#include <unordered_map>

namespace btms::fieldbus {

BusIdentities::BusIdentities(std::size_t devices, int adopt_after_checks)
    : devices_(devices), adopt_after_checks_(std::max(1, adopt_after_checks)) {}

IdentityVerdict BusIdentities::observe(std::size_t index, std::uint32_t serial) {
  auto& device = devices_.at(index);
  IdentityVerdict verdict = IdentityVerdict::trusted;
  if (!device.known) {
    device.known = true;
    device.serial = serial;
    verdict = IdentityVerdict::first_contact;
  } else if (serial == device.serial) {
    device.changed = false;
    device.candidate_reads = 0;
  } else {
    if (device.changed && device.candidate == serial) {
      ++device.candidate_reads;
    } else {
      device.changed = true;
      device.candidate = serial;
      device.candidate_reads = 1;
    }
    verdict = IdentityVerdict::serial_changed;
    if (device.candidate_reads >= adopt_after_checks_) {
      device.serial = serial;
      device.changed = false;
      device.candidate_reads = 0;
      verdict = IdentityVerdict::replaced;
    }
  }
  update_duplicates();
  if (device.duplicate) return IdentityVerdict::duplicate;
  return verdict;
}

void BusIdentities::update_duplicates() {
  // What each address answers now: the candidate while a change is pending.
  const auto current = [](const Device& d) { return d.changed ? d.candidate : d.serial; };
  std::unordered_map<std::uint32_t, int> count;
  for (const auto& d : devices_) {
    if (d.known) ++count[current(d)];
  }
  for (auto& d : devices_) d.duplicate = d.known && count[current(d)] > 1;
}

bool BusIdentities::trusted(std::size_t index) const {
  const auto& device = devices_.at(index);
  return !device.changed && !device.duplicate;
}

}  // namespace btms::fieldbus
