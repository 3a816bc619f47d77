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
  kGatewayPathUnavailable = 0x0A,
  kGatewayTargetFailed = 0x0B,
};

inline constexpr std::uint8_t kReadHoldingRegisters = 0x03;
inline constexpr std::uint8_t kReadInputRegisters = 0x04;
inline constexpr std::uint8_t kWriteSingleRegister = 0x06;
inline constexpr std::uint8_t kWriteMultipleRegisters = 0x10;

enum class FrameState { incomplete, complete, malformed };
struct FrameScan {
  FrameState state = FrameState::incomplete;
  std::size_t size = 0;  // bytes of the first ADU when complete
};
// Looks at the start of a receive buffer: is a whole ADU there, and is its header sane
// (protocol id 0, length field 2..254)?
FrameScan scan_frame(std::span<const std::uint8_t> buffer);

// Carries out register writes for one connection (see scada_writes.hpp). The frame layer only
// decodes them; every decision, including whether this client may write at all, is the writer's.
class RegisterWriter {
 public:
  virtual ~RegisterWriter() = default;
  // values: the registers written from `address` on (empty when the request's quantity and
  // byte count disagree). Returns 0 when accepted, else the exception code to answer.
  virtual std::uint8_t write_registers(int unit_id, std::uint16_t address,
                                       std::span<const std::uint16_t> values) = 0;
};

// Answers one complete ADU, appending the response ADU to `out`. A PDU whose length does not fit
// its function is answered with exception 03. Returns false only for an ADU too short to hold
// a function code: the connection should be closed.
// Functions 06 and 16 go to `writer`; without one they answer exception 01 (read-only).
bool handle_request(std::span<const std::uint8_t> adu, const RegisterImage* image,
                    std::vector<std::uint8_t>& out, RegisterWriter* writer = nullptr);

// Answers a complete read ADU (functions 03 and 04, unit already chosen by the caller) from the
// unit's registers: exception 03 for a PDU of the wrong length or a quantity of 0 or above 125,
// 02 for a range outside `registers`, else the values.
void answer_read(std::span<const std::uint8_t> adu, std::span<const std::uint16_t> registers,
                 std::vector<std::uint8_t>& out);

// Appends an exception response ADU (function | 0x80, code) for the request these header
// fields came from; for answers given after the request's bytes are gone (a proxy's timeout).
void append_exception(std::vector<std::uint8_t>& out, std::uint16_t transaction_id,
                      std::uint8_t unit_id, std::uint8_t function, std::uint8_t code);

// The MBAP transaction id of an ADU (at least 2 bytes), and setting it in place: a proxy gives
// each forwarded request an id of its own and the client's back on the answer.
std::uint16_t transaction_id(std::span<const std::uint8_t> adu);
void set_transaction_id(std::span<std::uint8_t> adu, std::uint16_t id);

}  // namespace btms::scada
