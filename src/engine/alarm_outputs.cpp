#include "engine/alarm_outputs.hpp"

#include <algorithm>

namespace btms::engine {

void AlarmOutputs::reconfigure(const std::vector<AlarmOutput>& old_outputs,
                               const std::vector<AlarmOutput>& new_outputs) {
  std::vector<std::optional<bool>> kept(new_outputs.size());
  for (std::size_t i = 0; i < old_outputs.size() && i < on_.size(); ++i) {
    const auto& old = old_outputs[i];
    const auto it = std::find(new_outputs.begin(), new_outputs.end(), old);
    if (it != new_outputs.end()) {
      kept[static_cast<std::size_t>(it - new_outputs.begin())] = on_[i];
    } else if (on_[i].value_or(false)) {
      released_.push_back(model::SetRelay{old.relay, false});
    }
  }
  on_ = std::move(kept);
}

void AlarmOutputs::step(const std::vector<AlarmOutput>& outputs, const BoardSummary& board,
                        bool any_string_tripped, std::vector<model::Command>& commands) {
  for (auto& r : released_) commands.emplace_back(r);
  released_.clear();
  for (std::size_t i = 0; i < outputs.size() && i < on_.size(); ++i) {
    bool on = false;
    switch (outputs[i].trigger) {
      case AlarmOutputTrigger::common_alarm:
        on = board.any_alarm;
        break;
      case AlarmOutputTrigger::common_warning:
        on = board.any_warning;
        break;
      case AlarmOutputTrigger::unacknowledged:
        on = board.unacknowledged > 0;
        break;
      case AlarmOutputTrigger::trip:
        on = board.any_trip || any_string_tripped;
        break;
      case AlarmOutputTrigger::ventilation:
        on = board.ventilation;
        break;
    }
    if (on_[i] != on) {
      on_[i] = on;
      commands.emplace_back(model::SetRelay{outputs[i].relay, on});
    }
  }
}

}  // namespace btms::engine
