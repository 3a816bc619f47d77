#include "scada/site_scada_map.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "scada/scada_map.hpp"

namespace btms::scada {

namespace {

using enum SiteField;
using enum RegType;

// The battery extremes' meanings, the same for the header (over the site) and a block (over
// the gateway's strings).
constexpr std::string_view kExtremeStringMeaning =
    "string id of that battery (its string unit is 100 + id on the gateway's port); not "
    "available with the value";
constexpr std::string_view kExtremeBatteryMeaning =
    "that battery's position in its string (1 = first; its block is at 100·position of the "
    "string unit); not available with the value";
constexpr std::string_view kExtremeGatewayMeaning =
    "k of the gateway that has that battery (the first on a tie); not available with the value";

constexpr std::array kHeaderDefs{
    SiteRegisterDef{0, "gateway_count", gateway_count, u16, 1, "", "gateways in the site file"},
    SiteRegisterDef{1, "gateways_online", gateways_online, u16, 1, "",
                    "gateways online with fresh data (heard from within 5 s)"},
    SiteRegisterDef{2, "gateways_offline", gateways_offline, u16, 1, "",
                    "gateways not online (gateway_count - gateways_online)"},
    SiteRegisterDef{3, "worst_state", site_worst_state, u16, 1, "",
                    "worst state of the online gateways (codes as a gateway's worst_state); "
                    "not available when none is online"},
    SiteRegisterDef{4, "alarm_count", site_alarm_count, u16, 1, "",
                    "the site alarm list's length, as GET /api/v1/alarms: every gateway's active "
                    "alarms (an offline gateway's last known ones) and one gateway_offline alarm "
                    "per offline gateway"},
    SiteRegisterDef{5, "unacknowledged", site_unacknowledged, u16, 1, "",
                    "alarms of that list not yet acknowledged"},
    SiteRegisterDef{6, "lowest_battery_voltage", site_lowest_voltage, u16, 0.001, "V",
                    "lowest battery voltage of the site: the lowest of the gateways' "
                    "lowest_battery_voltage (online gateways only); not available when no gateway "
                    "has one"},
    SiteRegisterDef{7, "lowest_voltage_gateway", site_lowest_voltage_gateway, u16, 1, "",
                    kExtremeGatewayMeaning},
    SiteRegisterDef{8, "lowest_voltage_string", site_lowest_voltage_string, u16, 1, "",
                    kExtremeStringMeaning},
    SiteRegisterDef{9, "lowest_voltage_battery", site_lowest_voltage_battery, u16, 1, "",
                    kExtremeBatteryMeaning},
    SiteRegisterDef{10, "highest_battery_voltage", site_highest_voltage, u16, 0.001, "V",
                    "highest battery voltage of the site (as lowest_battery_voltage)"},
    SiteRegisterDef{11, "highest_voltage_gateway", site_highest_voltage_gateway, u16, 1, "",
                    kExtremeGatewayMeaning},
    SiteRegisterDef{12, "highest_voltage_string", site_highest_voltage_string, u16, 1, "",
                    kExtremeStringMeaning},
    SiteRegisterDef{13, "highest_voltage_battery", site_highest_voltage_battery, u16, 1, "",
                    kExtremeBatteryMeaning},
    SiteRegisterDef{14, "highest_battery_temperature", site_highest_temperature, s16, 0.1, "°C",
                    "highest battery temperature of the site (as lowest_battery_voltage); not "
                    "available reads 0x8000"},
    SiteRegisterDef{15, "highest_temperature_gateway", site_highest_temperature_gateway, u16, 1, "",
                    kExtremeGatewayMeaning},
    SiteRegisterDef{16, "highest_temperature_string", site_highest_temperature_string, u16, 1, "",
                    kExtremeStringMeaning},
    SiteRegisterDef{17, "highest_temperature_battery", site_highest_temperature_battery, u16, 1, "",
                    kExtremeBatteryMeaning},
};

constexpr std::array kGatewayDefs{
    SiteRegisterDef{0, "online", online, u16, 1, "",
                    "1 online with fresh data (heard from within 5 s), else 0"},
    SiteRegisterDef{1, "link_state", link_state, u16, 1, "",
                    "the aggregator's link: 0 connecting (no data yet), 1 online, 2 offline"},
    SiteRegisterDef{2, "data_age", data_age, u16, 1, "s",
                    "time since the gateway's newest data; not available before the first"},
    SiteRegisterDef{3, "worst_state", worst_state, u16, 1, "",
                    "worst state of its strings: 0 normal, 1 discharging, 2 warning, 3 alarm, "
                    "4 trip (alarm severities first, then a string discharging); not available "
                    "when not online"},
    SiteRegisterDef{4, "ups_count", ups_count, u16, 1, "",
                    "UPSs in its topology; not available before its topology was read"},
    SiteRegisterDef{5, "string_count", string_count, u16, 1, "",
                    "strings in its topology (as ups_count)"},
    SiteRegisterDef{6, "battery_count", battery_count, u16, 1, "",
                    "batteries in its topology (as ups_count)"},
    SiteRegisterDef{7, "strings_open", strings_open, u16, 1, "",
                    "strings whose protection reads 1 tripped or 3 manually opened; not available "
                    "when not online"},
    SiteRegisterDef{8, "strings_tripped", strings_tripped, u16, 1, "",
                    "strings whose protection reads 1 tripped (latched until reset); not "
                    "available when not online"},
    SiteRegisterDef{9, "alarm_count", alarm_count, u16, 1, "",
                    "its active alarms; not available when not online"},
    SiteRegisterDef{10, "unacknowledged", unacknowledged, u16, 1, "",
                    "its alarms not yet acknowledged; not available when not online"},
    SiteRegisterDef{11, "lowest_string_soc", lowest_string_soc, u16, 1, "%",
                    "lowest state of charge of its strings; not available when not online or no "
                    "string's SOC is"},
    // Offsets 12.. were added after the first layout: the fields above never move.
    SiteRegisterDef{12, "lowest_battery_voltage", lowest_voltage, u16, 0.001, "V",
                    "lowest battery voltage of its strings (each string's lowest_voltage as the "
                    "gateway computes it, quality ok; the first string on a tie), scaled as a "
                    "battery block's voltage; not available when not online or no string's is"},
    SiteRegisterDef{13, "lowest_voltage_string", lowest_voltage_string, u16, 1, "",
                    kExtremeStringMeaning},
    SiteRegisterDef{14, "lowest_voltage_battery", lowest_voltage_battery, u16, 1, "",
                    kExtremeBatteryMeaning},
    SiteRegisterDef{15, "highest_battery_voltage", highest_voltage, u16, 0.001, "V",
                    "highest battery voltage of its strings (as lowest_battery_voltage)"},
    SiteRegisterDef{16, "highest_voltage_string", highest_voltage_string, u16, 1, "",
                    kExtremeStringMeaning},
    SiteRegisterDef{17, "highest_voltage_battery", highest_voltage_battery, u16, 1, "",
                    kExtremeBatteryMeaning},
    SiteRegisterDef{18, "highest_battery_temperature", highest_temperature, s16, 0.1, "°C",
                    "highest battery temperature of its strings (as lowest_battery_voltage), "
                    "scaled as a battery block's temperature; not available reads 0x8000"},
    SiteRegisterDef{19, "highest_temperature_string", highest_temperature_string, u16, 1, "",
                    kExtremeStringMeaning},
    SiteRegisterDef{20, "highest_temperature_battery", highest_temperature_battery, u16, 1, "",
                    kExtremeBatteryMeaning},
};

// Every site register is one register: fill() writes one address per definition.
constexpr bool single_registers(std::span<const SiteRegisterDef> defs) {
  return std::all_of(defs.begin(), defs.end(),
                     [](const SiteRegisterDef& d) { return d.type == u16 || d.type == s16; });
}
static_assert(single_registers(kHeaderDefs) && single_registers(kGatewayDefs));

int size_of(std::span<const SiteRegisterDef> defs) {
  int size = 0;
  for (const auto& d : defs) size = std::max(size, d.offset + 1);
  return size;
}

void fill(std::vector<std::uint16_t>& regs, std::size_t base, std::span<const SiteRegisterDef> defs,
          const SiteFieldValues& values) {
  for (const auto& d : defs) {
    const auto& v = values[d.field];
    // The gateway map's own encoding: rounding, clamping below the not-available code, s16 as
    // two's complement.
    regs[base + static_cast<std::size_t>(d.offset)] =
        static_cast<std::uint16_t>(v ? encode(d.type, *v, d.scale) : not_available(d.type));
  }
}

std::string scale_text(const SiteRegisterDef& d) {
  if (d.unit.empty()) return "";
  return fmt::format("{:g} {}", d.scale, d.unit);
}

void render_table(std::string& out, std::span<const SiteRegisterDef> defs, bool block) {
  out += "| Address | Name | Type | Scale | Meaning |\n|---|---|---|---|---|\n";
  for (const auto& d : defs) {
    out += fmt::format("| {} | {} | {} | {} | {} |\n",
                       block ? fmt::format("100·k+{}", d.offset) : std::to_string(d.offset), d.name,
                       d.type == s16 ? "s16" : "u16", scale_text(d), d.meaning);
  }
}

}  // namespace

std::span<const SiteRegisterDef> site_header_defs() {
  return kHeaderDefs;
}

std::span<const SiteRegisterDef> site_gateway_defs() {
  return kGatewayDefs;
}

int site_gateway_block_size() {
  return size_of(kGatewayDefs);
}

int site_unit_size(int gateways) {
  const int shown = std::clamp(gateways, 0, kMaxSiteGateways);
  return shown == 0 ? size_of(kHeaderDefs) : kSiteGatewayStride * shown + site_gateway_block_size();
}

std::vector<std::uint16_t> build_site_unit(const SiteFieldValues& header,
                                           std::span<const SiteFieldValues> gateways) {
  const int shown = std::min<int>(static_cast<int>(gateways.size()), kMaxSiteGateways);
  std::vector<std::uint16_t> regs(static_cast<std::size_t>(site_unit_size(shown)), 0);
  fill(regs, 0, kHeaderDefs, header);
  for (int k = 1; k <= shown; ++k) {
    fill(regs, static_cast<std::size_t>(kSiteGatewayStride) * static_cast<std::size_t>(k),
         kGatewayDefs, gateways[static_cast<std::size_t>(k - 1)]);
  }
  return regs;
}

std::string render_site_scada_docs() {
  std::string out;
  out += "## Site SCADA endpoint (aggregator)\n\n";
  out += "`btms aggregator` (BM-AG, `docs/aggregator.md`) serves one Modbus TCP endpoint for a\n";
  out += "site of several gateways when its site file has a `[scada]` table or it is started\n";
  out += "with `--scada-port` (`btms demo --gateways N` starts it too). A unit id has one byte\n";
  out += "and every gateway already uses it for its UPSs and strings, so the site is served on\n";
  out += "several ports of the aggregator:\n\n";
  out += fmt::format(
      "- **Site port** (`[scada] port`, e.g. 1502): unit {} is the site summary below; any other\n"
      "  unit id answers exception 0A (gateway path unavailable).\n",
      kSiteUnit);
  out += "- **Gateway k's port** (site port + k, k = the gateway's place in the site file from\n";
  out += "  1, unless its `[[gateway]]` table sets `scada_port`): every read (functions 03 and\n";
  out += "  04) is forwarded unchanged (unit id, address, quantity) to that gateway's own Modbus\n";
  out += "  TCP server (`modbus = \"HOST:PORT\"`, default the gateway URL's host and port 1502)\n";
  out += "  and its answer is returned with the client's transaction id. Unit ids, addresses,\n";
  out += "  registers and the gateway's own exceptions are exactly those of the map above, so a\n";
  out += "  SCADA template made for one gateway reads every gateway through its port.\n";
  out += "  - Exception 0B (gateway target device failed to respond) when the aggregator's link\n";
  out += "    to the gateway is offline, or the gateway's Modbus server cannot be reached or\n";
  out += "    does not answer within 1 s (the aggregator then drops that connection and opens a\n";
  out += "    new one for the next request).\n";
  out += "  - Writes (functions 05, 06, 15, 16) answer exception 01 (illegal function):\n";
  out +=
      "    acknowledge alarms on the aggregator's or the gateway's web UI, or on the gateway's\n";
  out += "    own port. A gateway's write allow-list checks the client's address, and behind the\n";
  out += "    aggregator every client has the aggregator's address, so writes are not passed on.\n";
  out += "  - Other functions answer 01; a malformed frame (protocol id not 0, bad length)\n";
  out += "    closes the connection, as on a gateway.\n";
  out += "- One thread serves every port with poll(); requests to different gateways wait on\n";
  out += "  nothing but their own gateway, so a slow gateway never delays another gateway's\n";
  out += "  clients. Answers leave each connection in the order of its requests. At most 128\n";
  out += "  clients in all (a newcomer beyond is closed), a client silent for 60 s is closed,\n";
  out += "  and a client with 16 requests awaiting answers is not read until they are sent.\n\n";
  out += fmt::format("### Site unit {} (site port)\n\n", kSiteUnit);
  out += "Every register is one u16, or s16 (two's complement) where the table says so; not\n";
  out += "available reads 0xFFFF (u16) or 0x8000 (s16), and values are clamped so that a real\n";
  out += "value never reads as these codes. Battery voltages (0.001 V) and temperatures (0.1 °C)\n";
  out += "have the scaling of a gateway's battery block, so one template reads both. Read\n";
  out += "from what the aggregator holds (its links' state, topology, string summaries and\n";
  out += fmt::format(
      "alarm lists, the same as `GET /api/v1/site`), at most 200 ms old. Addresses 0..{} and\n"
      "gateway k's block at 100·k for k = 1..number of gateways (at most {}); a read beyond the\n"
      "last gateway's block answers exception 02, addresses no register defines read 0.\n\n",
      size_of(kHeaderDefs) - 1, kMaxSiteGateways);
  render_table(out, kHeaderDefs, false);
  out += "\nGateway k (1 = first `[[gateway]]` of the site file), at address 100·k + offset:\n\n";
  render_table(out, kGatewayDefs, true);
  return out;
}

}  // namespace btms::scada
