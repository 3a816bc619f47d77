// The aggregator's site SCADA endpoint, defined once: the site summary unit's register layout
// (a header, then one fixed block per gateway) that the aggregator's server fills and the
// generated docs/scada-modbus.md describes. The per-gateway ports forward to each gateway's own
// map (scada_map.hpp) unchanged, so they need no table of their own.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scada/scada_map.hpp"

namespace btms::scada {

// The site summary answers on this unit id of the site port; any other unit answers 0x0A.
inline constexpr int kSiteUnit = 1;
// Gateway k (1-based, site-file order) has its block at address kSiteGatewayStride * k.
inline constexpr int kSiteGatewayStride = 100;
// Blocks fit below address 65536: at most this many gateways appear on the site unit.
inline constexpr int kMaxSiteGateways = 0xFFFF / kSiteGatewayStride - 1;

// What a site register holds. Header fields first, then the fields of a gateway's block.
enum class SiteField : std::uint8_t {
  gateway_count,
  gateways_online,
  gateways_offline,
  site_worst_state,
  site_alarm_count,
  site_unacknowledged,
  // the site's battery extremes: value, gateway k, string id, battery position
  site_lowest_voltage,
  site_lowest_voltage_gateway,
  site_lowest_voltage_string,
  site_lowest_voltage_battery,
  site_highest_voltage,
  site_highest_voltage_gateway,
  site_highest_voltage_string,
  site_highest_voltage_battery,
  site_highest_temperature,
  site_highest_temperature_gateway,
  site_highest_temperature_string,
  site_highest_temperature_battery,
  online,
  link_state,
  data_age,
  worst_state,
  ups_count,
  string_count,
  battery_count,
  strings_open,
  strings_tripped,
  alarm_count,
  unacknowledged,
  lowest_string_soc,
  // the gateway's battery extremes over its strings: value, string id, battery position
  lowest_voltage,
  lowest_voltage_string,
  lowest_voltage_battery,
  highest_voltage,
  highest_voltage_string,
  highest_voltage_battery,
  highest_temperature,
  highest_temperature_string,
  highest_temperature_battery,
};
inline constexpr std::size_t kSiteFieldCount = 39;

// Worst state codes (the aggregator's worst_state: trip > alarm > warning > discharging >
// normal); a gateway that is not online reads not available instead.
enum WorstStateCode : std::uint16_t {
  kWorstNormal = 0,
  kWorstDischarging = 1,
  kWorstWarning = 2,
  kWorstAlarm = 3,
  kWorstTrip = 4,
};
// Link state codes.
enum LinkStateCode : std::uint16_t { kLinkConnecting = 0, kLinkOnline = 1, kLinkOffline = 2 };

// Registers are encoded as the gateway's own map encodes them (scada::encode): a SCADA template
// reads a battery voltage or temperature here with the scaling of the gateway's battery blocks.
struct SiteRegisterDef {
  int offset;  // in the header, or within a gateway's block
  std::string_view name;
  SiteField field;
  RegType type;  // u16 or s16 (one register each)
  double scale;  // engineering units per count: value = raw * scale
  std::string_view unit;
  std::string_view meaning;
};

std::span<const SiteRegisterDef> site_header_defs();
std::span<const SiteRegisterDef> site_gateway_defs();
// Addresses of a gateway block (one past its highest offset).
int site_gateway_block_size();
// Registers of the site unit for a site of `gateways` gateways (header and every block).
int site_unit_size(int gateways);

// One block's values by field (header fields for the header, block fields for a gateway), in
// engineering units (the register holds value / scale, rounded); nullopt = not available, read
// as 0xFFFF (u16) or 0x8000 (s16). Values beyond the type's range are clamped below those codes.
struct SiteFieldValues {
  std::array<std::optional<double>, kSiteFieldCount> values{};
  std::optional<double>& operator[](SiteField f) { return values[static_cast<std::size_t>(f)]; }
  const std::optional<double>& operator[](SiteField f) const {
    return values[static_cast<std::size_t>(f)];
  }
};

// The site unit's registers: header at 0, gateway k's block at 100 * k; addresses that no
// register defines read 0.
std::vector<std::uint16_t> build_site_unit(const SiteFieldValues& header,
                                           std::span<const SiteFieldValues> gateways);

// The "Site SCADA endpoint (aggregator)" section of docs/scada-modbus.md.
std::string render_site_scada_docs();

}  // namespace btms::scada
