#include "model/plant_channels.hpp"

#include "model/ids.hpp"

namespace btms::model {

const StringChannels* PlantChannels::find_string(int string_id) const {
  for (const auto& s : strings) {
    if (s.string_id == string_id) return &s;
  }
  return nullptr;
}

PlantChannels build_plant_channels(const Site& site) {
  PlantChannels pc;
  pc.directory = std::make_shared<ChannelDirectory>();
  auto& dir = *pc.directory;
  for (const auto& s : site.strings) {
    StringChannels sc;
    sc.string_id = s.id;
    const auto sid = string_id(s.id);
    sc.voltage = dir.add(channel_name(sid, "voltage"), "V");
    sc.current = dir.add(channel_name(sid, "current"), "A");
    sc.insulation_pos = dir.add(channel_name(sid, "insulation_pos"), "kΩ");
    sc.insulation_neg = dir.add(channel_name(sid, "insulation_neg"), "kΩ");
    for (int p = 1; p <= s.batteries; ++p) {
      const auto bid = battery_id(s.id, p);
      sc.batteries.push_back(BatteryChannels{
          dir.add(channel_name(bid, "voltage"), "V"),
          dir.add(channel_name(bid, "temperature"), "°C"),
          dir.add(channel_name(bid, "resistance"), "mΩ"),
          dir.add(channel_name(bid, "balancing"), ""),
      });
    }
    pc.strings.push_back(std::move(sc));
  }
  if (site.mc.present) {
    for (const auto& th : site.mc.th) {
      const auto aid = ambient_id(th.index);
      pc.ambients.push_back(AmbientChannels{th.index,
                                            dir.add(channel_name(aid, "temperature"), "°C"),
                                            dir.add(channel_name(aid, "humidity"), "%RH")});
    }
    ModuleIoChannels mc_io;
    mc_io.lc = 0;
    for (int k = 1; k <= kMcInputs; ++k)
      mc_io.inputs.push_back(dir.add("mc/input/" + std::to_string(k), ""));
    for (int k = 1; k <= kMcRelays; ++k)
      mc_io.outputs.push_back(dir.add("mc/relay/" + std::to_string(k), ""));
    pc.io.push_back(std::move(mc_io));
    for (int j = 1; j <= site.mc.lc_count; ++j) {
      ModuleIoChannels lc_io;
      lc_io.lc = j;
      const auto lid = "lc/" + std::to_string(j);
      for (int k = 1; k <= kLcInputs; ++k)
        lc_io.inputs.push_back(dir.add(lid + "/input/" + std::to_string(k), ""));
      for (int k = 1; k <= kLcOutputs; ++k)
        lc_io.outputs.push_back(dir.add(lid + "/output/" + std::to_string(k), ""));
      pc.io.push_back(std::move(lc_io));
    }
    pc.mc_watchdog_tripped = dir.add("mc/watchdog_tripped", "");
  }
  return pc;
}

}  // namespace btms::model
