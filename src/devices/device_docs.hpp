// Renders docs/devices.md from the register maps (the single source); `btms docs devices`
// writes it and a test compares it with the checked-in file.
#pragma once

#include <string>

namespace btms::devices {

std::string render_device_docs();

}  // namespace btms::devices
