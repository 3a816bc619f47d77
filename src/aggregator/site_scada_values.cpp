#include "aggregator/site_scada_values.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <span>
#include <string_view>

#include "aggregator/site_view.hpp"
#include "model/derived_channels.hpp"

namespace btms::aggregator {

namespace {

using nlohmann::json;
using scada::SiteField;

std::optional<std::uint32_t> worst_code(const std::string& state) {
  if (state == "normal") return scada::kWorstNormal;
  if (state == "discharging") return scada::kWorstDischarging;
  if (state == "warning") return scada::kWorstWarning;
  if (state == "alarm") return scada::kWorstAlarm;
  if (state == "trip") return scada::kWorstTrip;
  return std::nullopt;  // offline, connecting
}

// A reading's value when its quality is ok.
std::optional<double> ok_value(const json& reading) {
  if (!reading.is_object() || reading.value("quality", "") != "ok" || !reading.contains("value") ||
      !reading["value"].is_number()) {
    return std::nullopt;
  }
  return reading["value"].get<double>();
}

std::uint32_t count_of(const json& topology, const char* key) {
  return static_cast<std::uint32_t>(topology[key].size());
}

// One battery extreme and where it is, in a block's or the header's fields (the header adds the
// gateway's k).
struct ExtremeFields {
  SiteField value, string, battery;
};
constexpr ExtremeFields kLowestVoltage{SiteField::lowest_voltage, SiteField::lowest_voltage_string,
                                       SiteField::lowest_voltage_battery};
constexpr ExtremeFields kHighestVoltage{SiteField::highest_voltage,
                                        SiteField::highest_voltage_string,
                                        SiteField::highest_voltage_battery};
constexpr ExtremeFields kHighestTemperature{SiteField::highest_temperature,
                                            SiteField::highest_temperature_string,
                                            SiteField::highest_temperature_battery};
constexpr ExtremeFields kSiteLowestVoltage{SiteField::site_lowest_voltage,
                                           SiteField::site_lowest_voltage_string,
                                           SiteField::site_lowest_voltage_battery};
constexpr ExtremeFields kSiteHighestVoltage{SiteField::site_highest_voltage,
                                            SiteField::site_highest_voltage_string,
                                            SiteField::site_highest_voltage_battery};
constexpr ExtremeFields kSiteHighestTemperature{SiteField::site_highest_temperature,
                                                SiteField::site_highest_temperature_string,
                                                SiteField::site_highest_temperature_battery};

// Whether `candidate` replaces `best` (strictly: on a tie the first one found stays).
bool beats(double candidate, const std::optional<double>& best, bool lowest) {
  return !best || (lowest ? candidate < *best : candidate > *best);
}

// The gateway's extreme over its strings (topology order) from the derived string channels,
// read as the site summary reads them; figures not of quality ok do not count.
void string_extremes(scada::SiteFieldValues& block, const json& strings, const json& channels,
                     std::string_view quantity, const ExtremeFields& fields, bool lowest) {
  for (const auto& s : strings) {
    const int id = s.value("id", 0);
    const auto extreme = string_extreme(channels, id, quantity);
    if (!extreme || !extreme->ok || !beats(extreme->value, block[fields.value], lowest)) continue;
    block[fields.value] = extreme->value;
    block[fields.string] = id;
    block[fields.battery] = extreme->battery;
  }
}

// The site's extreme: the gateways' extremes compared, the gateway's k added.
void site_extreme(scada::SiteFieldValues& header, std::span<const GatewayScadaSummary> gateways,
                  const ExtremeFields& block_fields, const ExtremeFields& site_fields,
                  SiteField site_gateway, bool lowest) {
  for (std::size_t i = 0; i < gateways.size(); ++i) {
    const auto& b = gateways[i].block;
    const auto value = b[block_fields.value];
    if (!value || !beats(*value, header[site_fields.value], lowest)) continue;
    header[site_fields.value] = value;
    header[site_gateway] = static_cast<double>(i + 1);
    header[site_fields.string] = b[block_fields.string];
    header[site_fields.battery] = b[block_fields.battery];
  }
}

}  // namespace

bool gateway_unavailable(const GatewayData& g, std::int64_t now_ms) {
  return g.state == LinkState::offline || (g.last_data_ms != 0 && !is_fresh(g, now_ms));
}

GatewayScadaSummary gateway_scada_summary(const GatewayData& g, std::int64_t now_ms) {
  GatewayScadaSummary out;
  auto& b = out.block;
  const bool fresh = is_fresh(g, now_ms);
  b[SiteField::online] = fresh ? 1 : 0;
  b[SiteField::link_state] = g.state == LinkState::online    ? scada::kLinkOnline
                             : g.state == LinkState::offline ? scada::kLinkOffline
                                                             : scada::kLinkConnecting;
  if (g.last_data_ms != 0) {
    b[SiteField::data_age] =
        static_cast<std::uint32_t>(std::max<std::int64_t>(0, now_ms - g.last_data_ms) / 1000);
  }
  const auto& t = g.topology;
  if (t.is_object() && t.contains("upses") && t["upses"].is_array() && t.contains("strings") &&
      t["strings"].is_array()) {
    b[SiteField::ups_count] = count_of(t, "upses");
    b[SiteField::string_count] = count_of(t, "strings");
    std::uint32_t batteries = 0;
    for (const auto& s : t["strings"]) batteries += s.value("batteries", 0U);
    b[SiteField::battery_count] = batteries;
  }
  int alarms = 0, unacknowledged = 0;
  if (g.alarms.is_object() && g.alarms.contains("alarms") && g.alarms["alarms"].is_array()) {
    for (const auto& a : g.alarms["alarms"]) {
      ++alarms;
      if (!a.value("acknowledged", false)) ++unacknowledged;
    }
  }
  out.listed_alarms = alarms;
  out.listed_unacknowledged = unacknowledged;
  if (g.last_data_ms != 0 && !fresh) {
    // the site's own gateway_offline alarm (site_view.hpp), never acknowledged
    ++out.listed_alarms;
    ++out.listed_unacknowledged;
  }
  if (!fresh) return out;  // live values of a gateway not heard from are not available

  b[SiteField::worst_state] = worst_code(worst_state(g, now_ms));
  b[SiteField::alarm_count] = static_cast<std::uint32_t>(alarms);
  b[SiteField::unacknowledged] = static_cast<std::uint32_t>(unacknowledged);
  std::uint32_t open = 0, tripped = 0;
  std::optional<double> lowest_soc;
  for (const auto& [name, reading] : g.channels.items()) {
    if (!name.starts_with("string/")) continue;
    const auto value = ok_value(reading);
    if (!value) continue;
    if (name.ends_with("/protection")) {
      const auto state = std::lround(*value);
      if (state == static_cast<long>(model::ProtectionState::tripped)) ++tripped;
      if (state == static_cast<long>(model::ProtectionState::tripped) ||
          state == static_cast<long>(model::ProtectionState::manual_open)) {
        ++open;
      }
    } else if (name.ends_with("/soc")) {
      lowest_soc = lowest_soc ? std::min(*lowest_soc, *value) : *value;
    }
  }
  b[SiteField::strings_open] = open;
  b[SiteField::strings_tripped] = tripped;
  if (lowest_soc) {
    b[SiteField::lowest_string_soc] =
        static_cast<std::uint32_t>(std::lround(std::clamp(*lowest_soc, 0.0, 100.0)));
  }
  if (t.is_object() && t.contains("strings") && t["strings"].is_array()) {
    string_extremes(b, t["strings"], g.channels, "lowest_voltage", kLowestVoltage, true);
    string_extremes(b, t["strings"], g.channels, "highest_voltage", kHighestVoltage, false);
    string_extremes(b, t["strings"], g.channels, "highest_temperature", kHighestTemperature, false);
  }
  return out;
}

std::vector<std::uint16_t> site_scada_unit(std::span<const GatewayScadaSummary> gateways) {
  scada::SiteFieldValues header;
  std::vector<scada::SiteFieldValues> blocks;
  std::uint32_t online = 0, alarms = 0, unacknowledged = 0;
  std::optional<double> worst;
  for (const auto& g : gateways) {
    blocks.push_back(g.block);
    if (g.block[SiteField::online] == 1U) ++online;
    if (const auto w = g.block[SiteField::worst_state]) worst = worst ? std::max(*worst, *w) : *w;
    alarms += static_cast<std::uint32_t>(g.listed_alarms);
    unacknowledged += static_cast<std::uint32_t>(g.listed_unacknowledged);
  }
  header[SiteField::gateway_count] = static_cast<std::uint32_t>(gateways.size());
  header[SiteField::gateways_online] = online;
  header[SiteField::gateways_offline] = static_cast<std::uint32_t>(gateways.size()) - online;
  header[SiteField::site_worst_state] = worst;
  header[SiteField::site_alarm_count] = alarms;
  header[SiteField::site_unacknowledged] = unacknowledged;
  site_extreme(header, gateways, kLowestVoltage, kSiteLowestVoltage,
               SiteField::site_lowest_voltage_gateway, true);
  site_extreme(header, gateways, kHighestVoltage, kSiteHighestVoltage,
               SiteField::site_highest_voltage_gateway, false);
  site_extreme(header, gateways, kHighestTemperature, kSiteHighestTemperature,
               SiteField::site_highest_temperature_gateway, false);
  return scada::build_site_unit(header, blocks);
}

}  // namespace btms::aggregator
