// Thin RAII wrapper over a libmodbus client context for the tests.
#pragma once

#include <modbus/modbus.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace btms::plant::test {

class ModbusClient {
 public:
  static ModbusClient tcp(int port);
  static ModbusClient rtu(const std::string& device, int baud);
  ModbusClient(ModbusClient&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }
  ModbusClient(const ModbusClient&) = delete;
  ModbusClient& operator=(const ModbusClient&) = delete;
  ~ModbusClient();

  // nullopt on any failure; last_errno() tells which.
  std::optional<std::vector<std::uint16_t>> read_input(int unit, int start, int count);
  std::optional<std::vector<std::uint16_t>> read_holding(int unit, int start, int count);
  bool write(int unit, int address, std::uint16_t value);
  int last_errno() const { return errno_; }
  modbus_t* raw() { return ctx_; }

 private:
  explicit ModbusClient(modbus_t* ctx);
  modbus_t* ctx_;
  int errno_ = 0;
};

}  // namespace btms::plant::test
