#include "scada/modbus_frame.hpp"

namespace btms::scada {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

void push16(std::vector<std::uint8_t>& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

// MBAP header of a response whose PDU is pdu_size bytes.
void push_header(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> request,
                 std::size_t pdu_size) {
  out.push_back(request[0]);  // transaction id, echoed
  out.push_back(request[1]);
  push16(out, 0);  // protocol id
  push16(out, static_cast<std::uint16_t>(pdu_size + 1));
  out.push_back(request[6]);  // unit id, echoed
}

void push_exception(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> request,
                    std::uint8_t function, ExceptionCode code) {
  push_header(out, request, 2);
  out.push_back(static_cast<std::uint8_t>(function | 0x80));
  out.push_back(code);
}

// Functions 06 and 16: decoded here, decided by the writer; the reply echoes the request.
bool handle_write(std::span<const std::uint8_t> adu, std::vector<std::uint8_t>& out,
                  RegisterWriter& writer) {
  const int unit_id = adu[6];
  const std::uint8_t function = adu[7];
  const auto pdu = adu.subspan(kMbapHeaderSize);
  std::uint8_t exception = 0;
  // A PDU whose length does not fit its function is answered with exception 03, as the Modbus
  // specification asks; the MBAP length kept the stream in step, so the connection stays.
  if (function == kWriteSingleRegister) {
    if (pdu.size() != 5) {
      push_exception(out, adu, function, kIllegalDataValue);
      return true;
    }
    const std::uint16_t value = be16(pdu, 3);
    exception = writer.write_registers(unit_id, be16(pdu, 1), std::span(&value, 1));
  } else {
    const std::size_t byte_count = pdu.size() >= 6 ? pdu[5] : 0;
    if (pdu.size() < 6 || pdu.size() != 6 + byte_count) {
      push_exception(out, adu, function, kIllegalDataValue);
      return true;
    }
    const std::uint16_t quantity = be16(pdu, 3);
    std::vector<std::uint16_t> values;
    if (byte_count == 2u * quantity) {
      for (std::size_t i = 0; i < quantity; ++i) values.push_back(be16(pdu, 6 + 2 * i));
    }
    exception = writer.write_registers(unit_id, be16(pdu, 1), values);
  }
  if (exception != 0) {
    push_exception(out, adu, function, static_cast<ExceptionCode>(exception));
    return true;
  }
  // 06 echoes address and value, 16 answers address and quantity: both are PDU bytes 1..4.
  push_header(out, adu, 5);
  out.insert(out.end(), pdu.begin(), pdu.begin() + 5);
  return true;
}

}  // namespace

FrameScan scan_frame(std::span<const std::uint8_t> buffer) {
  if (buffer.size() < kMbapHeaderSize) return {FrameState::incomplete, 0};
  const auto protocol = be16(buffer, 2);
  const auto length = be16(buffer, 4);  // unit id + PDU
  // A PDU has at least a function code; an ADU is at most 260 bytes.
  if (protocol != 0 || length < 2 || length > kMaxAduSize - 6) return {FrameState::malformed, 0};
  const std::size_t size = 6u + length;
  if (buffer.size() < size) return {FrameState::incomplete, 0};
  return {FrameState::complete, size};
}

bool handle_request(std::span<const std::uint8_t> adu, const RegisterImage* image,
                    std::vector<std::uint8_t>& out, RegisterWriter* writer) {
  if (adu.size() < kMbapHeaderSize + 1) return false;
  const int unit_id = adu[6];
  const std::uint8_t function = adu[7];
  const auto pdu = adu.subspan(kMbapHeaderSize);

  if (!unit_of(unit_id)) {
    push_exception(out, adu, function, kGatewayTargetFailed);
    return true;
  }
  if (writer != nullptr &&
      (function == kWriteSingleRegister || function == kWriteMultipleRegisters)) {
    return handle_write(adu, out, *writer);
  }
  if (function != kReadHoldingRegisters && function != kReadInputRegisters) {
    // Without a writer the server is read-only: writes are illegal functions like any other.
    push_exception(out, adu, function, kIllegalFunction);
    return true;
  }
  if (image == nullptr) {
    // No image yet: a well-formed read answers 04 (server device failure), a malformed one the
    // same 03 as ever (from answer_read's checks, which an empty unit never passes).
    if (pdu.size() == 5 && be16(pdu, 3) != 0 && be16(pdu, 3) <= kMaxReadQuantity) {
      push_exception(out, adu, function, kServerDeviceFailure);
      return true;
    }
    answer_read(adu, {}, out);
    return true;
  }
  answer_read(adu, image->unit(unit_id), out);
  return true;
}

void answer_read(std::span<const std::uint8_t> adu, std::span<const std::uint16_t> registers,
                 std::vector<std::uint8_t>& out) {
  const std::uint8_t function = adu[7];
  const auto pdu = adu.subspan(kMbapHeaderSize);
  if (pdu.size() != 5) {
    push_exception(out, adu, function, kIllegalDataValue);
    return;
  }
  const std::uint16_t address = be16(pdu, 1);
  const std::uint16_t quantity = be16(pdu, 3);
  if (quantity == 0 || quantity > kMaxReadQuantity) {
    push_exception(out, adu, function, kIllegalDataValue);
    return;
  }
  if (static_cast<std::size_t>(address) + quantity > registers.size()) {
    push_exception(out, adu, function, kIllegalDataAddress);
    return;
  }
  push_header(out, adu, 2u + 2u * quantity);
  out.push_back(function);
  out.push_back(static_cast<std::uint8_t>(2 * quantity));
  for (std::size_t i = 0; i < quantity; ++i) push16(out, registers[address + i]);
}

void append_exception(std::vector<std::uint8_t>& out, std::uint16_t transaction_id,
                      std::uint8_t unit_id, std::uint8_t function, std::uint8_t code) {
  push16(out, transaction_id);
  push16(out, 0);  // protocol id
  push16(out, 3);  // unit id + function + code
  out.push_back(unit_id);
  out.push_back(static_cast<std::uint8_t>(function | 0x80));
  out.push_back(code);
}

std::uint16_t transaction_id(std::span<const std::uint8_t> adu) {
  return be16(adu, 0);
}

void set_transaction_id(std::span<std::uint8_t> adu, std::uint16_t id) {
  adu[0] = static_cast<std::uint8_t>(id >> 8);
  adu[1] = static_cast<std::uint8_t>(id & 0xFF);
}

}  // namespace btms::scada
