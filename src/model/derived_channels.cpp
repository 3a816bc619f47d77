#include "model/derived_channels.hpp"

#include "model/ids.hpp"

namespace btms::model {

DerivedChannels build_derived_channels(const Site& site) {
  DerivedChannels out;
  out.directory = std::make_shared<ChannelDirectory>();
  auto& d = *out.directory;
  for (const auto& s : site.strings) {
    const auto sid = string_id(s.id);
    DerivedStringChannels str;
    str.string_id = s.id;
    for (int p = 1; p <= s.batteries; ++p) {
      const auto bid = battery_id(s.id, p);
      str.batteries.push_back(DerivedBatteryChannels{
          d.add(channel_name(bid, "soc"), "%"), d.add(channel_name(bid, "soh"), "%"),
          d.add(channel_name(bid, "status"), ""), d.add(channel_name(bid, "alarm_bits"), ""),
          d.add(channel_name(bid, "resistance_baseline"), "mΩ"),
          d.add(channel_name(bid, "balancing_command"), "")});
    }
    str.soc = d.add(channel_name(sid, "soc"), "%");
    str.state = d.add(channel_name(sid, "state"), "");
    str.status = d.add(channel_name(sid, "status"), "");
    str.alarm_bits = d.add(channel_name(sid, "alarm_bits"), "");
    str.balance = d.add(channel_name(sid, "balance"), "%");
    str.spread = d.add(channel_name(sid, "spread"), "V");
    str.stddev = d.add(channel_name(sid, "stddev"), "V");
    str.protection = d.add(channel_name(sid, "protection"), "");
    str.relay_closed = d.add(channel_name(sid, "relay_closed"), "");
    str.runtime = d.add(channel_name(sid, "runtime"), "min");
    str.lowest_voltage = d.add(channel_name(sid, "lowest_voltage"), "V");
    str.lowest_voltage_battery = d.add(channel_name(sid, "lowest_voltage_battery"), "");
    str.highest_voltage = d.add(channel_name(sid, "highest_voltage"), "V");
    str.highest_voltage_battery = d.add(channel_name(sid, "highest_voltage_battery"), "");
    str.highest_temperature = d.add(channel_name(sid, "highest_temperature"), "°C");
    str.highest_temperature_battery = d.add(channel_name(sid, "highest_temperature_battery"), "");
    out.strings.push_back(std::move(str));
  }
  for (const auto& u : site.upses) {
    const auto uid = ups_id(u.id);
    out.upses.push_back(DerivedUpsChannels{
        u.id, d.add(channel_name(uid, "status"), ""), d.add(channel_name(uid, "voltage"), "V"),
        d.add(channel_name(uid, "current"), "A"), d.add(channel_name(uid, "soc"), "%"),
        d.add(channel_name(uid, "runtime"), "min"), d.add(channel_name(uid, "alarm_bits"), ""),
        d.add(channel_name(uid, "on_battery"), "")});
  }
  out.site_active_alarms = d.add("site/active_alarms", "");
  out.site_unacknowledged_alarms = d.add("site/unacknowledged_alarms", "");
  return out;
}

}  // namespace btms::model
