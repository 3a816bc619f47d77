// Fuzzes the scenario parser of the virtual plant (plant/scenario.hpp) against the demo site:
// any text gives a scenario or errors with a reason, never a crash; an accepted scenario's
// events are in time order with finite, non-negative times.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "model/config/demo_site.hpp"
#include "plant/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto site = btms::model::demo_site();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = btms::plant::parse_scenario_string(text, site, "fuzz.toml");
  if (result.scenario.has_value() == !result.errors.empty()) {
    std::fprintf(stderr, "fuzz_scenario_toml: a scenario and errors, or neither\n");
    std::abort();
  }
  for (const auto& e : result.errors) {
    if (e.reason.empty()) {
      std::fprintf(stderr, "fuzz_scenario_toml: an error without a reason\n");
      std::abort();
    }
  }
  if (result.scenario) {
    double previous = 0.0;
    for (const auto& event : result.scenario->events) {
      if (!std::isfinite(event.at_s) || event.at_s < previous) {
        std::fprintf(stderr, "fuzz_scenario_toml: event time %f after %f\n", event.at_s, previous);
        std::abort();
      }
      previous = event.at_s;
    }
  }
  return 0;
}
