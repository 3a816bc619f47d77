#include "engine/engine_config.hpp"

#include <array>
#include <utility>

namespace btms::engine {

namespace {

constexpr std::array<std::pair<AlarmOutputTrigger, std::string_view>, 5> kTriggerNames{{
    {AlarmOutputTrigger::common_alarm, "common_alarm"},
    {AlarmOutputTrigger::common_warning, "common_warning"},
    {AlarmOutputTrigger::unacknowledged, "unacknowledged"},
    {AlarmOutputTrigger::trip, "trip"},
    {AlarmOutputTrigger::ventilation, "ventilation"},
}};

// As the site file writes it: "mc:5", "lc1:3".
std::string point_name(const model::IoPoint& p) {
  return p.lc == 0 ? "mc:" + std::to_string(p.index)
                   : "lc" + std::to_string(p.lc) + ":" + std::to_string(p.index);
}

}  // namespace

std::string_view to_string(AlarmOutputTrigger trigger) {
  for (const auto& [t, name] : kTriggerNames) {
    if (t == trigger) return name;
  }
  return "?";
}

bool alarm_output_trigger_from_string(std::string_view text, AlarmOutputTrigger& out) {
  for (const auto& [t, name] : kTriggerNames) {
    if (name == text) {
      out = t;
      return true;
    }
  }
  return false;
}

std::vector<std::string> alarm_output_problems(const std::vector<AlarmOutput>& outputs,
                                               const model::Site& site) {
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto& o = outputs[i];
    const auto where = "alarm_outputs." + std::to_string(i) + ": ";
    const auto name = point_name(o.relay);
    const int outputs_on_module = o.relay.lc == 0 ? model::kMcRelays : model::kLcOutputs;
    if (!site.mc.present) {
      problems.push_back(where + name + ": the site has no master controller");
      continue;
    }
    if (o.relay.lc < 0 || o.relay.lc > site.mc.lc_count) {
      problems.push_back(where + name + ": no such BM-LC (the MC has " +
                         std::to_string(site.mc.lc_count) + ")");
      continue;
    }
    if (o.relay.index < 1 || o.relay.index > outputs_on_module) {
      problems.push_back(where + name + ": relay index outside 1.." +
                         std::to_string(outputs_on_module));
      continue;
    }
    for (const auto& s : site.strings) {
      if (s.disconnect_relay && *s.disconnect_relay == o.relay) {
        problems.push_back(where + name + " is the disconnect relay of string " +
                           std::to_string(s.id));
      }
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (outputs[j].relay == o.relay) {
        problems.push_back(where + name + " is already driven by alarm_outputs." +
                           std::to_string(j));
      }
    }
  }
  return problems;
}

}  // namespace btms::engine
