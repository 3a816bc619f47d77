#include "fieldbus/modbus_link.hpp"

#include <modbus/modbus.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace btms::fieldbus {

ModbusLink::ModbusLink(const model::Bus& bus) : bus_(bus) {
  if (bus_.kind == model::BusKind::tcp) {
    ctx_ = modbus_new_tcp(bus_.host.c_str(), bus_.port);
  } else {
    ctx_ =
        modbus_new_rtu(bus_.device.c_str(), bus_.baud, bus_.parity, bus_.data_bits, bus_.stop_bits);
  }
  if (ctx_ == nullptr)
    throw std::runtime_error("bus '" + bus_.name + "': cannot create Modbus context");
  const int timeout_ms = bus_.timeout_ms > 0 ? bus_.timeout_ms : 100;
  const auto sec = static_cast<std::uint32_t>(timeout_ms / 1000);
  const auto usec = static_cast<std::uint32_t>((timeout_ms % 1000) * 1000);
  modbus_set_response_timeout(ctx_, sec, usec);
  modbus_set_byte_timeout(ctx_, sec, usec);
  // Protocol recovery flushes the line after a bad frame so one corrupted response cannot
  // shift every later response by a frame.
  modbus_set_error_recovery(ctx_, MODBUS_ERROR_RECOVERY_PROTOCOL);
}

ModbusLink::~ModbusLink() {
  close();
  modbus_free(ctx_);
}

bool ModbusLink::ensure_connected() {
  if (connected_) return true;
  if (modbus_connect(ctx_) != 0) return false;
  if (is_tcp()) {
    // Requests are small and strictly request/response: Nagle would add a delay to each.
    const int one = 1;
    setsockopt(modbus_get_socket(ctx_), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  connected_ = true;
  return true;
}

void ModbusLink::close() {
  if (connected_) modbus_close(ctx_);
  connected_ = false;
}

LinkError ModbusLink::classify(int rc) {
  if (rc >= 0) return LinkError::none;
  const int err = errno;
  if (err == ETIMEDOUT) return LinkError::timeout;
  if (err == EMBBADCRC) return LinkError::crc;
  if (err >= EMBXILFUN && err <= EMBXGTAR) return LinkError::exception;
  if (err == ECONNRESET || err == EPIPE || err == EBADF || err == ECONNREFUSED || err == ENOTCONN ||
      err == EIO) {
    // The TCP peer went away (or the serial port vanished): reopen on the next cycle.
    close();
    return LinkError::connection;
  }
  return LinkError::other;
}

LinkError ModbusLink::read_input(int address, std::uint16_t start, std::span<std::uint16_t> out) {
  if (!connected_) return LinkError::connection;
  modbus_set_slave(ctx_, address);
  const int rc = modbus_read_input_registers(ctx_, start, static_cast<int>(out.size()), out.data());
  if (rc >= 0 && rc != static_cast<int>(out.size())) return LinkError::other;
  return classify(rc);
}

LinkError ModbusLink::read_holding(int address, std::uint16_t start, std::span<std::uint16_t> out) {
  if (!connected_) return LinkError::connection;
  modbus_set_slave(ctx_, address);
  const int rc = modbus_read_registers(ctx_, start, static_cast<int>(out.size()), out.data());
  if (rc >= 0 && rc != static_cast<int>(out.size())) return LinkError::other;
  return classify(rc);
}

LinkError ModbusLink::write_register(int address, std::uint16_t reg, std::uint16_t value) {
  if (!connected_) return LinkError::connection;
  modbus_set_slave(ctx_, address);
  return classify(modbus_write_register(ctx_, reg, value));
}

LinkError ModbusLink::write_registers(int address, std::uint16_t start,
                                      std::span<const std::uint16_t> values) {
  if (!connected_) return LinkError::connection;
  modbus_set_slave(ctx_, address);
  return classify(
      modbus_write_registers(ctx_, start, static_cast<int>(values.size()), values.data()));
}

void ModbusLink::broadcast_write(std::uint16_t reg, std::uint16_t value) {
  if (!connected_) return;
  modbus_set_slave(ctx_, MODBUS_BROADCAST_ADDRESS);
  // Sent raw: libmodbus would otherwise wait a full response timeout for a reply that, by the
  // protocol, never comes.
  const std::array<std::uint8_t, 6> pdu{MODBUS_BROADCAST_ADDRESS,
                                        MODBUS_FC_WRITE_SINGLE_REGISTER,
                                        static_cast<std::uint8_t>(reg >> 8),
                                        static_cast<std::uint8_t>(reg & 0xFF),
                                        static_cast<std::uint8_t>(value >> 8),
                                        static_cast<std::uint8_t>(value & 0xFF)};
  if (modbus_send_raw_request(ctx_, pdu.data(), static_cast<int>(pdu.size())) < 0) {
    classify(-1);
    return;
  }
  if (is_tcp()) {
    // A TCP server may still answer unit 0; give it a moment and drop whatever came back so
    // the next transaction starts clean.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    modbus_flush(ctx_);
  } else {
    // Nobody answers a broadcast, so nothing marks its end: keep the line silent well beyond
    // t3.5 (1.75 ms above 19200 baud), or the next request merges into the same frame and
    // fails its CRC, and give the devices a moment to latch.
    const double t35_s = bus_.baud > 19200 ? 0.00175 : 3.5 * 11.0 / bus_.baud;
    std::this_thread::sleep_for(std::chrono::duration<double>(2.0 * t35_s + 0.001));
  }
}

}  // namespace btms::fieldbus
