#include "notify/snmp_mib_view.hpp"

#include <algorithm>
#include <cmath>

#include "model/derived_channels.hpp"
#include "model/ids.hpp"

namespace btms::notify {

namespace {

using snmp_oids::Oid;

class ViewBuilder {
 public:
  ViewBuilder(const model::Snapshot* plant, const model::Snapshot* derived)
      : plant_(plant), derived_(derived) {}

  // The fresh sample of a channel (plant first, then derived); nullptr when absent or not ok.
  const model::Sample* fresh(const std::string& name) const {
    const auto* s = sample(name);
    return s && s->quality == model::Quality::ok ? s : nullptr;
  }

  // 1 ok, 2 stale, 3 commLost, 4 invalid (BTMS-MIB); 3 when the channel does not exist.
  static std::int64_t quality_code(const model::Sample* s) {
    if (!s) return 3;
    switch (s->quality) {
      case model::Quality::ok:
        return 1;
      case model::Quality::stale:
        return 2;
      case model::Quality::comm_lost:
        return 3;
      case model::Quality::invalid:
        return 4;
    }
    return 3;
  }

  const model::Sample* sample(const std::string& name) const {
    for (const auto* snap : {plant_, derived_}) {
      if (!snap || !snap->channels) continue;
      if (const auto id = snap->channels->find(name); id && *id < snap->samples.size()) {
        return &snap->samples[*id];
      }
    }
    return nullptr;
  }

  // value x scale, rounded, when fresh.
  void scaled(MibView& view, Oid oid, const std::string& name, double scale,
              MibValue::Type type = MibValue::Type::integer) const {
    if (const auto* s = fresh(name)) {
      view[std::move(oid)] = {type, std::llround(s->value * scale), {}};
    }
  }

 private:
  const model::Snapshot* plant_;
  const model::Snapshot* derived_;
};

Oid with(Oid base, std::initializer_list<std::uint32_t> tail) {
  base.insert(base.end(), tail.begin(), tail.end());
  return base;
}

}  // namespace

MibView build_mib_view(const model::Site& site, const model::Snapshot* plant,
                       const model::Snapshot* derived) {
  using T = MibValue::Type;
  MibView view;
  const ViewBuilder b(plant, derived);
  const auto& objects = snmp_oids::kBtmsObjects;
  view[with(objects, {1, 1, 0})] = {T::text, 0, site.name};
  view[with(objects, {1, 2, 0})] = {T::gauge, static_cast<std::int64_t>(site.strings.size()), {}};
  b.scaled(view, with(objects, {1, 3, 0}), "site/active_alarms", 1.0, T::gauge);

  for (const auto& s : site.strings) {
    const auto sid = model::string_id(s.id);
    const auto n = static_cast<std::uint32_t>(s.id);
    const auto col = [&](std::uint32_t c) { return with(snmp_oids::kStringEntry, {c, n}); };
    view[col(2)] = {T::text, 0, s.name};
    view[col(3)] = {T::integer, s.ups_id, {}};
    view[col(4)] = {T::integer, s.batteries, {}};
    b.scaled(view, col(5), model::channel_name(sid, "voltage"), 100.0);
    b.scaled(view, col(6), model::channel_name(sid, "current"), 100.0);
    b.scaled(view, col(7), model::channel_name(sid, "soc"), 1.0);
    b.scaled(view, col(8), model::channel_name(sid, "state"), 1.0);
    b.scaled(view, col(9), model::channel_name(sid, "alarm_bits"), 1.0, T::gauge);
    view[col(10)] = {
        T::integer, ViewBuilder::quality_code(b.sample(model::channel_name(sid, "voltage"))), {}};
    for (int p = 1; p <= s.batteries; ++p) {
      const auto bid = model::battery_id(s.id, p);
      const auto pos = static_cast<std::uint32_t>(p);
      const auto bcol = [&](std::uint32_t c) {
        return with(snmp_oids::kBatteryEntry, {c, n, pos});
      };
      b.scaled(view, bcol(2), model::channel_name(bid, "voltage"), 1000.0);     // mV
      b.scaled(view, bcol(3), model::channel_name(bid, "temperature"), 10.0);   // 0.1 °C
      b.scaled(view, bcol(4), model::channel_name(bid, "resistance"), 1000.0);  // µΩ
      b.scaled(view, bcol(5), model::channel_name(bid, "soc"), 1.0);
      b.scaled(view, bcol(6), model::channel_name(bid, "soh"), 1.0);
      b.scaled(view, bcol(7), model::channel_name(bid, "status"), 1.0);
      b.scaled(view, bcol(8), model::channel_name(bid, "alarm_bits"), 1.0, T::gauge);
      view[bcol(9)] = {
          T::integer, ViewBuilder::quality_code(b.sample(model::channel_name(bid, "voltage"))), {}};
    }
  }

  // UPS-MIB describes one UPS per agent: served only when the gateway watches exactly one.
  if (site.upses.size() == 1) {
    const auto uid = "ups/" + std::to_string(site.upses.front().id);
    const auto& ups = snmp_oids::kUpsBattery;
    // upsBatteryStatus: normal(2), batteryLow(3) when the runtime is low; unknown(1) without
    // fresh alarm bits.
    if (const auto* bits = b.fresh(uid + "/alarm_bits")) {
      const bool low = (static_cast<std::uint32_t>(bits->value) & model::kUpsRuntimeLow) != 0;
      view[with(ups, {1, 0})] = {T::integer, low ? 3 : 2, {}};
    } else {
      view[with(ups, {1, 0})] = {T::integer, 1, {}};
    }
    b.scaled(view, with(ups, {3, 0}), uid + "/runtime", 1.0);   // upsEstimatedMinutesRemaining
    b.scaled(view, with(ups, {4, 0}), uid + "/soc", 1.0);       // upsEstimatedChargeRemaining
    b.scaled(view, with(ups, {5, 0}), uid + "/voltage", 10.0);  // upsBatteryVoltage, 0.1 V
    b.scaled(view, with(ups, {6, 0}), uid + "/current", 10.0);  // upsBatteryCurrent, 0.1 A
  }
  return view;
}

void add_ups_alarm_group(MibView& view, const std::vector<UpsAlarmRow>& rows, std::int64_t now_ms,
                         std::uint32_t uptime_cs) {
  using T = MibValue::Type;
  view[snmp_oids::kUpsAlarmsPresent0] = {T::gauge, static_cast<std::int64_t>(rows.size()), {}, {}};
  for (const auto& row : rows) {
    const auto col = [&](std::uint32_t c) { return with(snmp_oids::kUpsAlarmEntry, {c, row.id}); };
    view[col(1)] = {T::integer, row.id, {}, {}};
    view[col(2)] = {T::object_id, 0, {}, ups_alarm_descr(row.alarm)};
    const std::int64_t age_cs = std::max<std::int64_t>(0, (now_ms - row.since_ms) / 10);
    view[col(3)] = {
        T::timeticks, std::max<std::int64_t>(0, std::int64_t{uptime_cs} - age_cs), {}, {}};
  }
}

}  // namespace btms::notify
