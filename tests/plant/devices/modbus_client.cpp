#include "modbus_client.hpp"

#include <cerrno>
#include <stdexcept>

namespace btms::plant::test {

ModbusClient::ModbusClient(modbus_t* ctx) : ctx_(ctx) {
  if (ctx_ == nullptr) throw std::runtime_error("modbus_new failed");
  modbus_set_response_timeout(ctx_, 0, 300'000);
  if (modbus_connect(ctx_) != 0) {
    modbus_free(ctx_);
    throw std::runtime_error(std::string("modbus_connect: ") + modbus_strerror(errno));
  }
}

ModbusClient ModbusClient::tcp(int port) {
  return ModbusClient(modbus_new_tcp("127.0.0.1", port));
}

ModbusClient ModbusClient::rtu(const std::string& device, int baud) {
  return ModbusClient(modbus_new_rtu(device.c_str(), baud, 'N', 8, 1));
}

ModbusClient::~ModbusClient() {
  if (ctx_ != nullptr) {
    modbus_close(ctx_);
    modbus_free(ctx_);
  }
}

std::optional<std::vector<std::uint16_t>> ModbusClient::read_input(int unit, int start, int count) {
  std::vector<std::uint16_t> words(static_cast<std::size_t>(count));
  modbus_set_slave(ctx_, unit);
  if (modbus_read_input_registers(ctx_, start, count, words.data()) != count) {
    errno_ = errno;
    return std::nullopt;
  }
  return words;
}

std::optional<std::vector<std::uint16_t>> ModbusClient::read_holding(int unit, int start,
                                                                     int count) {
  std::vector<std::uint16_t> words(static_cast<std::size_t>(count));
  modbus_set_slave(ctx_, unit);
  if (modbus_read_registers(ctx_, start, count, words.data()) != count) {
    errno_ = errno;
    return std::nullopt;
  }
  return words;
}

bool ModbusClient::write(int unit, int address, std::uint16_t value) {
  modbus_set_slave(ctx_, unit);
  if (modbus_write_register(ctx_, address, value) != 1) {
    errno_ = errno;
    return false;
  }
  return true;
}

}  // namespace btms::plant::test
