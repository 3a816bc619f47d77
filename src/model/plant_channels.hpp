// The channels every gateway has, derived from the topology, with direct ids for the hot paths
// (acquisition writes them, the engine reads them) so nobody looks names up per cycle.
#pragma once

#include <memory>
#include <vector>

#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::model {

struct BatteryChannels {
  ChannelId voltage;      // V
  ChannelId temperature;  // °C, at the negative pole
  ChannelId resistance;   // mΩ, internal resistance
  ChannelId balancing;    // 1 while the sensor bypasses current, else 0
};

struct StringChannels {
  int string_id = 0;
  ChannelId voltage;                       // V (BM-GS)
  ChannelId current;                       // A, + charge / - discharge (BM-HS)
  ChannelId insulation_pos;                // kΩ, R+ to earth (BM-GS)
  ChannelId insulation_neg;                // kΩ, R- to earth (BM-GS)
  std::vector<BatteryChannels> batteries;  // [position - 1]
};

struct AmbientChannels {
  int th_index = 0;
  ChannelId temperature;  // °C
  ChannelId humidity;     // %RH
};

struct ModuleIoChannels {
  int lc = 0;                      // 0 = MC, 1..4 = BM-LC
  std::vector<ChannelId> inputs;   // [point - 1], 0/1
  std::vector<ChannelId> outputs;  // [point - 1], 0/1 as fed back by the module
};

struct PlantChannels {
  std::shared_ptr<ChannelDirectory> directory;
  std::vector<StringChannels> strings;  // in the order of Site::strings
  std::vector<AmbientChannels> ambients;
  std::vector<ModuleIoChannels> io;   // MC first, then each BM-LC
  ChannelId mc_watchdog_tripped = 0;  // valid only when the site has an MC

  const StringChannels* find_string(int string_id) const;
};

// Names: battery/S/P/{voltage,temperature,resistance,balancing}, string/S/{voltage,current,
// insulation_pos,insulation_neg}, ambient/I/{temperature,humidity}, mc/input/K, mc/relay/K,
// lc/J/input/K, lc/J/output/K, mc/watchdog_tripped.
PlantChannels build_plant_channels(const Site& site);

}  // namespace btms::model
