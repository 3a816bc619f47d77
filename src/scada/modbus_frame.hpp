// Modbus TCP framing and request handling for the SCADA server, free of sockets so that it can
// be unit-tested and fuzzed: find one ADU in a byte stream, answer it from a register image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "scada/register_image.hpp"

namespace btms::scada {

inline constexpr std::size_t kMbapHeaderSize = 7;  // transaction, protocol, length, unit
inline constexpr std::size_t kMaxAduSize = 260;    // Modbus TCP limit

enum ExceptionCode : std::uint8_t {
  kIllegalFunction = 0x01,
  kIllegalDataAddress = 0x02,
  kIllegalDataValue = 0x03,
  kServerDeviceFailure = 0x04,
  kGatewayTargetFailed = 0x0B,
};

enum class FrameState { incomplete, complete, malformed };
struct FrameScan {
  FrameState state = FrameState::incomplete;
  std::size_t size = 0;  // bytes of the first ADU when complete
};
// Looks at the start of a receive buffer: is a whole ADU there, and is its header sane
// (protocol id 0, length field 2..254)?
FrameScan scan_frame(std::span<const std::uint8_t> buffer);

// Answers one complete ADU, appending the response ADU to `out`. Returns false when the frame is
// malformed (a PDU whose length does not fit its function): the connection should be closed.
bool handle_request(std::span<const std::uint8_t> adu, const RegisterImage* image,
                    std::vector<std::uint8_t>& out);

}  // namespace btms::scada
