// SCADA writes: the only thing a SCADA may write is an alarm acknowledgement (the command
// registers of scada_map). Decides whether a client may write at all (writes enabled, address
// allow-listed), checks the register and the value, and queues the acknowledgement for the
// engine without ever waiting for it: the Modbus poll loop calls this and must not block.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine_service.hpp"
#include "model/topology.hpp"
#include "scada/address_allow_list.hpp"
#include "scada/modbus_frame.hpp"

namespace btms::scada {

struct WriteCounters {
  std::uint64_t accepted = 0;             // acknowledgements queued for the engine
  std::uint64_t refused = 0;              // every write answered with an exception
  std::uint64_t refused_disabled = 0;     // of which: writes are disabled (01)
  std::uint64_t refused_not_allowed = 0;  // of which: client address not allowed (01)
};

// Who writes: one per connection.
struct WriteClient {
  std::uint32_t address = 0;    // IPv4, host byte order
  bool refusal_logged = false;  // a not-allowed client is logged once per connection, not per
                                // request, so a polling master cannot flood the log
};

class ScadaWrites {
 public:
  ScadaWrites(bool allow_writes, AddressAllowList allow_list,
              std::shared_ptr<const model::Site> site);

  // May be called at any time; until then (or with nullptr) accepted writes answer 04.
  void set_engine(std::shared_ptr<engine::EngineService> engine);

  // A write of `values` from `address` on to unit_id by `client`. Returns 0 when the
  // acknowledgement was queued for the engine, else the Modbus exception code: 01 writes
  // disabled or client not allowed, 03 not exactly one value, 02 not a command register of a
  // configured unit, 03 value other than kAcknowledgeValue, 04 no engine or submit failed.
  std::uint8_t write(WriteClient& client, int unit_id, std::uint16_t address,
                     std::span<const std::uint16_t> values);

  WriteCounters counters() const;

 private:
  std::uint8_t refuse(std::uint8_t code);
  void reap_finished();

  bool allow_writes_;
  AddressAllowList allow_list_;
  std::shared_ptr<const model::Site> site_;

  mutable std::mutex engine_mutex_;
  std::shared_ptr<engine::EngineService> engine_;

  // Results still to come, looked at (never waited for) on the next write, so that an
  // acknowledgement the engine refuses is at least logged.
  std::vector<std::pair<std::string, std::future<engine::ActionResult>>> pending_;

  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> refused_disabled_{0};
  std::atomic<std::uint64_t> refused_not_allowed_{0};
};

// The RegisterWriter of one connection: binds the client to the server's ScadaWrites.
class ClientWriter final : public RegisterWriter {
 public:
  ClientWriter(ScadaWrites& writes, std::uint32_t client_address)
      : writes_(&writes), client_{client_address, false} {}
  std::uint8_t write_registers(int unit_id, std::uint16_t address,
                               std::span<const std::uint16_t> values) override {
    return writes_->write(client_, unit_id, address, values);
  }

 private:
  ScadaWrites* writes_;
  WriteClient client_;
};

}  // namespace btms::scada
