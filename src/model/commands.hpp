// Commands from the engine (or an operator through the API) to the field devices. The engine
// submits them; the bus worker that owns the device sends them ahead of its next poll.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "model/topology.hpp"

namespace btms::model {

struct SetBalancing {
  int string_id = 0;
  int position = 0;  // battery position, 1-based
  bool on = false;
};

// Energize (on = true) or release one relay output of the MC or a BM-LC.
struct SetRelay {
  IoPoint point;
  bool on = false;
};

struct RequestResistanceTest {
  int string_id = 0;
  int position = 0;  // 0 = every battery of the string
};

using Command = std::variant<SetBalancing, SetRelay, RequestResistanceTest>;

// Where commands go. submit() must never block for long: it only queues.
class CommandSink {
 public:
  virtual ~CommandSink() = default;
  virtual void submit(const Command& command) = 0;
};

}  // namespace btms::model
