// One libmodbus master context for one bus (RTU or TCP): connect / reconnect, timeouts, and
// every error classified so the worker can count timeouts, CRC errors and exceptions apart.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "model/topology.hpp"

struct _modbus;

namespace btms::fieldbus {

// wrong_unit: an answer from another unit id than asked (a Modbus TCP gateway or converter that
// mixed up its serial lines); never taken as the asked device's values.
enum class LinkError { none, timeout, crc, exception, connection, wrong_unit, other };

// Checks one Modbus TCP answer (the whole ADU: MBAP header, unit id, PDU) to a read of
// out.size() registers with `function` (03 or 04) from `unit` under `transaction`, and copies
// the registers into `out` when it fits. Free of sockets so that it can be unit-tested and
// fuzzed (libmodbus does not check the unit id of a TCP answer at all).
enum class AnswerCheck {
  ok,
  other_transaction,  // a late answer to an earlier request that timed out: skip it
  wrong_unit,
  exception,  // a Modbus exception answer from the asked unit
  malformed,  // wrong protocol id, length, function or byte count
};
AnswerCheck check_read_answer(std::span<const std::uint8_t> adu, std::uint16_t transaction,
                              int unit, int function, std::span<std::uint16_t> out);

// One register read of a pipelined batch (ModbusLink::read_pipelined): what to ask, where the
// registers go, and how it ended.
struct ReadRequest {
  int address = 0;
  int function = 0;  // 03 (holding) or 04 (input)
  std::uint16_t start = 0;
  std::span<std::uint16_t> out;
  LinkError result = LinkError::other;
};

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
  // Modbus TCP only: sends the reads in windows of up to `depth` requests in flight at once (the
  // MBAP transaction id pairs each answer with its request, as the Modbus TCP specification
  // allows) and sets every request's result. One send and usually one receive per window
  // instead of one of each per request: the system calls and wake-ups were most of the bus
  // threads' CPU at 3,840 batteries. depth 1 is the same as reading one at a time.
  void read_pipelined(std::span<ReadRequest> requests, int depth);
  // Write to address 0: every device on the bus executes it and none answers.
  void broadcast_write(std::uint16_t reg, std::uint16_t value);

 private:
  LinkError classify(int rc);
  // Reads over Modbus TCP without libmodbus's receive path, so that the transaction and the
  // unit id of every answer are checked (check_read_answer).
  LinkError tcp_read(int address, int function, std::uint16_t start, std::span<std::uint16_t> out);
  // timeout_partial: part of a frame came, the rest did not: the stream is out of step.
  enum class RecvResult { ok, timeout, timeout_partial, closed };
  // Receives one whole Modbus TCP frame into the front of rx_ (size = its length). Anything but
  // ok and timeout closes the connection (out of step, not Modbus, or gone).
  enum class FrameResult { ok, timeout, timeout_partial, garbage, closed };
  FrameResult receive_frame(std::chrono::steady_clock::time_point deadline, bool& first_wait,
                            std::size_t& size);
  // Sends every byte; false (and closed) when the connection is gone.
  bool send_all(std::span<const std::uint8_t> bytes);
  // Receives until rx_ holds at least `size` bytes or `deadline` passes.
  RecvResult receive_at_least(std::size_t size, std::chrono::steady_clock::time_point deadline,
                              bool& first_wait);
  void consume_rx(std::size_t size);

  model::Bus bus_;
  _modbus* ctx_ = nullptr;
  bool connected_ = false;
  std::uint16_t transaction_ = 0;  // of the last tcp_read request
  // Received and not yet taken (Modbus TCP): two of the largest answers.
  std::array<std::uint8_t, 520> rx_{};
  std::size_t rx_size_ = 0;
};

}  // namespace btms::fieldbus
