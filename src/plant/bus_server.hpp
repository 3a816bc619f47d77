// What a bus server asks the plant for each request it receives.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "plant/modbus_pdu.hpp"

namespace btms::plant {

// (unit id, request PDU) -> reply, or nullopt for no reply at all.
using BusHandler =
    std::function<std::optional<BusReply>(std::uint8_t unit, std::span<const std::uint8_t> pdu)>;

}  // namespace btms::plant
