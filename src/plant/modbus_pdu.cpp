#include "plant/modbus_pdu.hpp"

namespace btms::plant {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> p, std::size_t at) {
  return static_cast<std::uint16_t>((p[at] << 8) | p[at + 1]);
}

void push16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

std::vector<std::uint8_t> exception(std::uint8_t function, std::uint8_t code) {
  return {static_cast<std::uint8_t>(function | 0x80), code};
}

}  // namespace

bool is_write_function(std::uint8_t function) {
  return function == kFnWriteSingle || function == kFnWriteMultiple;
}

std::vector<std::uint8_t> execute_pdu(DeviceEmulator& device, std::span<const std::uint8_t> pdu,
                                      DeviceContext& ctx) {
  if (pdu.empty()) return {};
  const std::uint8_t fn = pdu[0];
  switch (fn) {
    case kFnReadHolding:
    case kFnReadInput: {
      if (pdu.size() != 5) return exception(fn, kExceptionIllegalValue);
      const std::uint16_t start = be16(pdu, 1);
      const std::uint16_t count = be16(pdu, 3);
      if (count < 1 || count > 125) return exception(fn, kExceptionIllegalValue);
      std::vector<std::uint16_t> words;
      const std::uint8_t ex = fn == kFnReadInput ? device.read_input(start, count, words)
                                                 : device.read_holding(start, count, words);
      if (ex != kExceptionNone) return exception(fn, ex);
      std::vector<std::uint8_t> out{fn, static_cast<std::uint8_t>(2 * count)};
      for (const auto w : words) push16(out, w);
      return out;
    }
    case kFnWriteSingle: {
      if (pdu.size() != 5) return exception(fn, kExceptionIllegalValue);
      const std::uint16_t value = be16(pdu, 3);
      const std::uint8_t ex = device.write_holding(be16(pdu, 1), std::span(&value, 1), ctx);
      if (ex != kExceptionNone) return exception(fn, ex);
      return {pdu.begin(), pdu.end()};  // echo
    }
    case kFnWriteMultiple: {
      if (pdu.size() < 6) return exception(fn, kExceptionIllegalValue);
      const std::uint16_t start = be16(pdu, 1);
      const std::uint16_t count = be16(pdu, 3);
      const std::uint8_t bytes = pdu[5];
      if (count < 1 || count > 123 || bytes != 2 * count || pdu.size() != 6u + bytes) {
        return exception(fn, kExceptionIllegalValue);
      }
      std::vector<std::uint16_t> values;
      for (std::size_t i = 0; i < count; ++i) values.push_back(be16(pdu, 6 + 2 * i));
      const std::uint8_t ex = device.write_holding(start, values, ctx);
      if (ex != kExceptionNone) return exception(fn, ex);
      std::vector<std::uint8_t> out{fn};
      push16(out, start);
      push16(out, count);
      return out;
    }
    default:
      return exception(fn, kExceptionIllegalFunction);
  }
}

std::uint16_t modbus_crc16(std::span<const std::uint8_t> bytes) {
  std::uint16_t crc = 0xFFFF;
  for (const auto b : bytes) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 1u) ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001u)
                       : static_cast<std::uint16_t>(crc >> 1);
    }
  }
  return crc;
}

}  // namespace btms::plant
