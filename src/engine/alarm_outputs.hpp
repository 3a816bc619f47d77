// Relay outputs driven by the alarm board (EngineConfig::alarm_outputs): SetRelay on change
// only (and once at the first step); outputs dropped by a new configuration are released.
#pragma once

#include <optional>
#include <vector>

#include "engine/alarm_board.hpp"
#include "engine/engine_config.hpp"
#include "model/commands.hpp"

namespace btms::engine {

class AlarmOutputs {
 public:
  explicit AlarmOutputs(std::size_t outputs) : on_(outputs) {}
  // Keeps the state of outputs still in the list; releases the dropped ones at the next step.
  void reconfigure(const std::vector<AlarmOutput>& old_outputs,
                   const std::vector<AlarmOutput>& new_outputs);
  void step(const std::vector<AlarmOutput>& outputs, const BoardSummary& board,
            bool any_string_tripped, std::vector<model::Command>& commands);

 private:
  std::vector<std::optional<bool>> on_;    // [alarm output], as last commanded
  std::vector<model::SetRelay> released_;  // dropped by a new configuration, still on
};

}  // namespace btms::engine
