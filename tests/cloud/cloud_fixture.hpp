// A small site and hand-made step bundles for the cloud link's tests: the link reads only the
// publication bus, so the tests publish what the engine would.
#pragma once

#include <cmath>
#include <memory>

#include "engine/step_publication.hpp"
#include "model/derived_channels.hpp"
#include "model/plant_channels.hpp"
#include "model/topology.hpp"

namespace btms::cloud::test {

inline model::Site make_site(int strings, int batteries_per_string) {
  model::Site site;
  site.name = "Test Site";
  for (int i = 1; i <= strings; ++i) {
    model::String s;
    s.id = i;
    s.ups_id = 1;
    s.batteries = batteries_per_string;
    site.strings.push_back(s);
  }
  return site;
}

// Battery voltages 13.000 + 0.01 * position + 0.05 * step V (every step moves every battery past
// the 0.01 V deadband), temperatures 25 °C, resistance 4 mΩ, SOC 90 %, SOH 100 %.
class BundleMaker {
 public:
  explicit BundleMaker(const model::Site& site)
      : site_(site),
        plant_(model::build_plant_channels(site)),
        derived_(model::build_derived_channels(site)) {}

  static double voltage(int position, std::uint64_t step) {
    return 13.0 + 0.01 * position + 0.05 * static_cast<double>(step % 20);
  }

  std::shared_ptr<const engine::StepBundle> make(
      std::uint64_t step, std::int64_t time_ms, model::Quality quality = model::Quality::ok,
      std::shared_ptr<const engine::AlarmList> alarms = nullptr) const {
    auto plant = std::make_shared<model::Snapshot>();
    plant->channels = plant_.directory;
    plant->samples.assign(plant_.directory->size(), model::Sample{0, time_ms, model::Quality::ok});
    auto derived = std::make_shared<model::Snapshot>();
    derived->channels = derived_.directory;
    derived->samples.assign(derived_.directory->size(),
                            model::Sample{0, time_ms, model::Quality::ok});
    for (std::size_t si = 0; si < plant_.strings.size(); ++si) {
      const auto& s = plant_.strings[si];
      plant->samples[s.voltage] = {54.0, time_ms, model::Quality::ok};
      plant->samples[s.current] = {1.5, time_ms, model::Quality::ok};
      for (std::size_t b = 0; b < s.batteries.size(); ++b) {
        const auto& ch = s.batteries[b];
        const int position = static_cast<int>(b) + 1;
        plant->samples[ch.voltage] = {voltage(position, step), time_ms, quality};
        plant->samples[ch.temperature] = {25.0, time_ms, quality};
        plant->samples[ch.resistance] = {4.0, time_ms, quality};
        const auto& d = derived_.strings[si].batteries[b];
        derived->samples[d.soc] = {90.0, time_ms, model::Quality::ok};
        derived->samples[d.soh] = {100.0, time_ms, model::Quality::ok};
      }
    }
    plant->time_ms = time_ms;
    derived->time_ms = time_ms;
    plant->sequence = derived->sequence = step;
    auto bundle = std::make_shared<engine::StepBundle>();
    bundle->step = step;
    bundle->time_ms = time_ms;
    bundle->plant = plant;
    bundle->derived = derived;
    bundle->alarms = alarms ? alarms : std::make_shared<const engine::AlarmList>();
    return bundle;
  }

 private:
  model::Site site_;
  model::PlantChannels plant_;
  model::DerivedChannels derived_;
};

}  // namespace btms::cloud::test
