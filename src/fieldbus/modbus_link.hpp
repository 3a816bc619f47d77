// One libmodbus master context for one bus (RTU or TCP): connect / reconnect, timeouts, and
// every error classified so the worker can count timeouts, CRC errors and exceptions apart.
#pragma once

#include <cstdint>
#include <span>

#include "model/topology.hpp"

struct _modbus;

namespace btms::fieldbus {

enum class LinkError { none, timeout, crc, exception, connection, other };

class ModbusLink {
 public:
  explicit ModbusLink(const model::Bus& bus);
  ~ModbusLink();
  ModbusLink(const ModbusLink&) = delete;
  ModbusLink& operator=(const ModbusLink&) = delete;

  // Connects when not connected; false when the bus cannot be opened.
  bool ensure_connected();
  void close();
  bool connected() const { return connected_; }
  bool is_tcp() const { return bus_.kind == model::BusKind::tcp; }

  LinkError read_input(int address, std::uint16_t start, std::span<std::uint16_t> out);
  LinkError read_holding(int address, std::uint16_t start, std::span<std::uint16_t> out);
  LinkError write_register(int address, std::uint16_t reg, std::uint16_t value);
  LinkError write_registers(int address, std::uint16_t start,
                            std::span<const std::uint16_t> values);
  // Write to address 0: every device on the bus executes it and none answers.
  void broadcast_write(std::uint16_t reg, std::uint16_t value);

 private:
  LinkError classify(int rc);

  model::Bus bus_;
  _modbus* ctx_ = nullptr;
  bool connected_ = false;
};

}  // namespace btms::fieldbus
