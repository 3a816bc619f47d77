// Modbus application layer shared by the TCP and RTU bus servers: executes one request PDU
// against one emulated device and builds the response PDU. Also the RTU CRC.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "plant/device_emulator.hpp"

namespace btms::plant {

inline constexpr std::uint8_t kFnReadHolding = 0x03;
inline constexpr std::uint8_t kFnReadInput = 0x04;
inline constexpr std::uint8_t kFnWriteSingle = 0x06;
inline constexpr std::uint8_t kFnWriteMultiple = 0x10;

// Executes the request; returns the normal or exception response PDU.
std::vector<std::uint8_t> execute_pdu(DeviceEmulator& device, std::span<const std::uint8_t> pdu,
                                      DeviceContext& ctx);

// True when the function writes (the only kind a broadcast may carry).
bool is_write_function(std::uint8_t function);

std::uint16_t modbus_crc16(std::span<const std::uint8_t> bytes);

// A bus server's view of the plant: the reply PDU for (unit, request PDU), or nullopt for
// "no reply" (broadcast, unknown or silent device).
struct BusReply {
  std::vector<std::uint8_t> pdu;
  bool corrupt = false;  // bus noise: RTU damages the CRC, TCP drops the reply
};

}  // namespace btms::plant
