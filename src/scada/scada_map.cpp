#include "scada/scada_map.hpp"

#include "scada/site_scada_map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace btms::scada {

namespace {

using enum Source;
using enum RegType;

// UPS unit u (1..32). Offsets 0..5 are the seed's published layout.
constexpr std::array kUpsDefs{
    RegisterDef{0, "status", status, "ups/{u}/status", u16, 1, "", true, false,
                "0 disabled (not configured), 1 OK (all strings OK), 2 error"},
    RegisterDef{1, "voltage", derived, "ups/{u}/voltage", s32, 0.01, "V", true, true,
                "mean of its strings' voltages"},
    RegisterDef{3, "current", derived, "ups/{u}/current", s32, 0.01, "A", true, true,
                "sum of its strings' currents, + charge / - discharge"},
    RegisterDef{5, "soc", derived, "ups/{u}/soc", u16, 1, "%", true, true,
                "state of charge, mean of its strings"},
    RegisterDef{6, "runtime", derived, "ups/{u}/runtime", u16, 1, "min", false, false,
                "estimated runtime on battery at present load"},
    RegisterDef{7, "alarm_bits", derived, "ups/{u}/alarm_bits", bits, 1, "", false, true,
                "b0 on battery, b1 string error, b2 runtime low, b3 string disconnected"},
    RegisterDef{8, "on_battery", derived, "ups/{u}/on_battery", u16, 1, "", false, true,
                "1 while the UPS runs on battery"},
    RegisterDef{9, "quality", quality, "", bits, 1, "", false, false,
                "quality code of this unit's values (see Quality code)"},
    RegisterDef{10, "acknowledge_ups", command, "ups/{u}", u16, 1, "", false, false,
                "write 0xA5A5: acknowledge every alarm of the UPS and of its strings and their "
                "batteries"},
    RegisterDef{11, "acknowledge_site", command, "*", u16, 1, "", false, false,
                "write 0xA5A5: acknowledge every alarm of the site"},
};

// String unit 100 + s (s 1..32). Offsets 0..14 are the seed's published layout.
constexpr std::array kStringDefs{
    RegisterDef{0, "ups_id", config, "ups_id", u16, 1, "", true, false,
                "UPS the string belongs to; 0 = not connected / disabled"},
    RegisterDef{1, "status", status, "string/{s}/status", u16, 1, "", true, false,
                "0 disabled, 1 OK, 2 error"},
    RegisterDef{2, "voltage", plant, "string/{s}/voltage", s32, 0.01, "V", true, true,
                "string voltage"},
    RegisterDef{4, "current", plant, "string/{s}/current", s32, 0.01, "A", true, true,
                "string current, + charge / - discharge"},
    RegisterDef{6, "soc", derived, "string/{s}/soc", u16, 1, "%", true, true, "state of charge"},
    RegisterDef{7, "balance", derived, "string/{s}/balance", u16, 0.01, "%", true, true,
                "balance of the battery voltages, 100 % = all equal"},
    RegisterDef{8, "state", derived, "string/{s}/state", u16, 1, "", true, true,
                "0 float, 1 equalizing, 2 discharge, 3 idle, 5 abnormal, 6 disconnected"},
    RegisterDef{9, "alarm_bits", derived, "string/{s}/alarm_bits", bits, 1, "", true, true,
                "b0 current high charging, b1 current low discharging, b2 voltage high, "
                "b3 voltage low, b4 SOC low, b5 SOH low, b6 current sensor disconnected; ours: "
                "b7 insulation low, b8 battery alarm, b9 comm lost, b10 thermal runaway, "
                "b11 relay mismatch"},
    RegisterDef{10, "batteries", config, "batteries", u16, 1, "", true, false,
                "number of batteries"},
    RegisterDef{11, "ambient_temperature", plant, "ambient/{a}/temperature", s16, 0.1, "°C", true,
                true, "ambient temperature (the string's BM-TH)"},
    RegisterDef{12, "ambient_humidity", plant, "ambient/{a}/humidity", u16, 0.1, "%RH", true, true,
                "ambient humidity (the string's BM-TH)"},
    RegisterDef{13, "disconnect_relay", derived, "string/{s}/relay_closed", u16, 1, "", true, true,
                "disconnect relay: 0 open, 1 closed (as fed back)"},
    RegisterDef{14, "aux_input", plant, "{aux}", u16, 1, "", true, true,
                "aux input 0/1: the input configured as the string's relay feedback"},
    RegisterDef{15, "insulation_pos", plant, "string/{s}/insulation_pos", s32, 1, "kΩ", false, true,
                "insulation resistance R+ to earth"},
    RegisterDef{17, "insulation_neg", plant, "string/{s}/insulation_neg", s32, 1, "kΩ", false, true,
                "insulation resistance R- to earth"},
    RegisterDef{19, "spread", derived, "string/{s}/spread", u16, 0.001, "V", false, true,
                "max - min battery voltage (1 mV)"},
    RegisterDef{20, "stddev", derived, "string/{s}/stddev", u16, 0.001, "V", false, true,
                "standard deviation of the battery voltages (1 mV)"},
    RegisterDef{21, "protection", derived, "string/{s}/protection", u16, 1, "", false, true,
                "0 closed, 1 tripped, 2 held (last string), 3 manual open"},
    RegisterDef{22, "runtime", derived, "string/{s}/runtime", u16, 1, "min", false, false,
                "runtime on battery at present load; not available when not discharging"},
    RegisterDef{23, "quality", quality, "", bits, 1, "", false, false,
                "quality code of the string's own values (see Quality code)"},
    RegisterDef{24, "acknowledge_string", command, "string/{s}", u16, 1, "", false, false,
                "write 0xA5A5: acknowledge every alarm of the string and of its batteries"},
};

// Battery b (1..120) of a string unit, at 100 * b + k. k = 0..5 are the seed's layout.
constexpr std::array kBatteryDefs{
    RegisterDef{0, "status", status, "battery/{s}/{b}/status", u16, 1, "", true, false,
                "0 disabled (no such battery), 1 OK, 2 error, 3 initializing (resistance baseline "
                "still being learned after a start)"},
    RegisterDef{1, "voltage", plant, "battery/{s}/{b}/voltage", u16, 0.001, "V", true, true,
                "battery voltage"},
    RegisterDef{2, "resistance", plant, "battery/{s}/{b}/resistance", s32, 0.001, "mΩ", true, true,
                "internal resistance"},
    RegisterDef{4, "temperature", plant, "battery/{s}/{b}/temperature", s16, 0.1, "°C", true, true,
                "temperature at the negative pole"},
    RegisterDef{5, "soc", derived, "battery/{s}/{b}/soc", u16, 1, "%", true, true,
                "state of charge"},
    RegisterDef{6, "soh", derived, "battery/{s}/{b}/soh", u16, 1, "%", false, true,
                "state of health"},
    RegisterDef{7, "alarm_bits", derived, "battery/{s}/{b}/alarm_bits", bits, 1, "", false, true,
                "b0 voltage high, b1 voltage low, b2 temperature high, b3 resistance warning "
                "(+20 %), b4 resistance alarm (+50 %), b5 delta T to ambient, b6 SOC low, "
                "b7 SOH low, b8 comm lost, b9 thermal runaway"},
    RegisterDef{8, "quality", quality, "", bits, 1, "", false, false,
                "quality code of this battery's values (see Quality code)"},
    RegisterDef{9, "balancing", plant, "battery/{s}/{b}/balancing", u16, 1, "", false, true,
                "1 while the sensor bypasses current"},
    RegisterDef{10, "resistance_baseline", derived, "battery/{s}/{b}/resistance_baseline", s32,
                0.001, "mΩ", false, true, "internal resistance baseline"},
};

std::string io_input_channel(const model::IoPoint& point) {
  if (point.lc == 0) return fmt::format("mc/input/{}", point.index);
  return fmt::format("lc/{}/input/{}", point.lc, point.index);
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
}

std::string_view type_name(RegType type) {
  switch (type) {
    case RegType::u16:
      return "u16";
    case RegType::s16:
      return "s16";
    case RegType::s32:
      return "s32 (long)";
    case RegType::bits:
      return "bits";
  }
  return "?";
}

std::string_view source_name(Source source) {
  switch (source) {
    case Source::plant:
      return "plant";
    case Source::derived:
      return "engine";
    case Source::config:
      return "config";
    case Source::status:
      return "computed";
    case Source::quality:
      return "computed";
    case Source::command:
      return "write";
  }
  return "?";
}

std::string address_text(const RegisterDef& def, bool battery) {
  const int last = def.offset + register_width(def.type) - 1;
  const std::string prefix = battery ? "100·b+" : "";
  if (last == def.offset) return fmt::format("{}{}", prefix, def.offset);
  return fmt::format("{}{}–{}", prefix, def.offset, last);
}

std::string scale_text(const RegisterDef& def) {
  if (def.unit.empty()) return "";
  if (def.scale == 1.0) return fmt::format("1 {}", def.unit);
  return fmt::format("{:g} {}", def.scale, def.unit);
}

void render_table(std::string& out, UnitKind kind) {
  out += "| Address | Name | Type | Scale | Source | Published | Meaning |\n";
  out += "|---|---|---|---|---|---|---|\n";
  for (const auto& def : register_defs(kind)) {
    std::string source(source_name(def.source));
    if (!def.pattern.empty()) source += fmt::format(" `{}`", def.pattern);
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n",
                       address_text(def, kind == UnitKind::battery), def.name, type_name(def.type),
                       scale_text(def), source, def.published ? "seed" : "ours", def.meaning);
  }
}

}  // namespace

std::span<const RegisterDef> register_defs(UnitKind kind) {
  switch (kind) {
    case UnitKind::ups:
      return kUpsDefs;
    case UnitKind::string:
      return kStringDefs;
    case UnitKind::battery:
      return kBatteryDefs;
  }
  return {};
}

int register_width(RegType type) {
  return type == RegType::s32 ? 2 : 1;
}

int block_size(UnitKind kind) {
  int size = 0;
  for (const auto& def : register_defs(kind)) {
    size = std::max(size, def.offset + register_width(def.type));
  }
  return size;
}

std::optional<UnitAddress> unit_of(int unit_id) {
  if (unit_id >= kFirstUpsUnit && unit_id <= kLastUpsUnit) {
    return UnitAddress{UnitKind::ups, unit_id};
  }
  if (unit_id >= kFirstStringUnit && unit_id <= kLastStringUnit) {
    return UnitAddress{UnitKind::string, unit_id - kStringUnitBase};
  }
  return std::nullopt;
}

const RegisterDef* writable_register(UnitKind unit_kind, int address) {
  if (unit_kind == UnitKind::battery) return nullptr;
  for (const auto& def : register_defs(unit_kind)) {
    if (def.source == Source::command && def.offset == address) return &def;
  }
  return nullptr;
}

int address_space_size(UnitKind unit_kind) {
  if (unit_kind == UnitKind::ups) return block_size(UnitKind::ups);
  return kBatteryStride * model::kMaxBatteriesPerString + block_size(UnitKind::battery);
}

std::optional<std::string> channel_for(const RegisterDef& def, const model::Site& site, int ups,
                                       int string, int battery) {
  std::string name(def.pattern);
  if (name.find("{a}") != std::string::npos) {
    const auto* s = site.find_string(string);
    if (s == nullptr || s->ambient_th == 0) return std::nullopt;
    replace_all(name, "{a}", std::to_string(s->ambient_th));
  }
  if (name.find("{aux}") != std::string::npos) {
    const auto* s = site.find_string(string);
    if (s == nullptr || !s->relay_feedback) return std::nullopt;
    replace_all(name, "{aux}", io_input_channel(*s->relay_feedback));
  }
  replace_all(name, "{u}", std::to_string(ups));
  replace_all(name, "{s}", std::to_string(string));
  replace_all(name, "{b}", std::to_string(battery));
  return name;
}

std::uint32_t not_available(RegType type) {
  switch (type) {
    case RegType::u16:
    case RegType::bits:
      return kNotAvailableU16;
    case RegType::s16:
      return kNotAvailableS16;
    case RegType::s32:
      return kNotAvailableS32;
  }
  return kNotAvailableU16;
}

std::uint32_t encode(RegType type, double value, double scale) {
  const double counts = std::round(value / scale);
  // NaN never becomes a number a SCADA would trust.
  if (std::isnan(counts)) return not_available(type);
  switch (type) {
    case RegType::u16:
    case RegType::bits:
      return static_cast<std::uint32_t>(std::clamp(counts, 0.0, 65534.0));
    case RegType::s16: {
      const auto raw = static_cast<std::int16_t>(std::clamp(counts, -32767.0, 32767.0));
      return static_cast<std::uint16_t>(raw);
    }
    case RegType::s32: {
      constexpr double kMax = std::numeric_limits<std::int32_t>::max();
      const auto raw = static_cast<std::int32_t>(std::clamp(counts, -kMax, kMax));
      return static_cast<std::uint32_t>(raw);
    }
  }
  return not_available(type);
}

std::string render_scada_docs() {
  std::string out;
  out += "# SCADA Modbus TCP map\n\n";
  out += "Generated from `src/scada/scada_map.cpp` and `src/scada/site_scada_map.cpp`; do not\n";
  out += "edit. Regenerate with `build/btms docs scada > docs/scada-modbus.md`.\n\n";
  out += "## Connection\n\n";
  out += "- Modbus TCP, read-only by default: functions 03 (read holding registers) and 04\n";
  out += "  (read input registers) return the same registers. Functions 06 and 16 answer\n";
  out += "  exception 01 (illegal function) while writes are disabled; when enabled they may\n";
  out += "  only acknowledge alarms (see Writes).\n";
  out += fmt::format(
      "- Unit IDs: UPS u = unit u ({}..{}); string s = unit 100 + s ({}..{}). Every unit ID in\n"
      "  these ranges answers (a unit that is not configured reports status 0 disabled); any\n"
      "  other unit ID answers exception 0B (gateway target device failed to respond).\n",
      kFirstUpsUnit, kLastUpsUnit, kFirstStringUnit, kLastStringUnit);
  out += fmt::format(
      "- Addresses are 0-based protocol addresses. A request must lie within the unit's address\n"
      "  space (UPS: 0..{}; string: 0..{}) or it answers exception 02; addresses in the space\n"
      "  that no register below defines read 0. Quantity 0 or above {} answers exception 03.\n",
      address_space_size(UnitKind::ups) - 1, address_space_size(UnitKind::string) - 1,
      kMaxReadQuantity);
  out += "- The register image is rebuilt from the latest snapshots about every 200 ms.\n\n";
  out += "## Writes (acknowledging alarms)\n\n";
  out += "Writes are off unless the gateway enables them and names the client addresses allowed\n";
  out += "to write (IPv4 addresses and CIDR ranges, e.g. `10.0.0.5`, `10.0.1.0/24`). They only\n";
  out += "acknowledge alarms: no write switches anything in the plant.\n\n";
  out += fmt::format(
      "- The registers marked *write* below (UPS unit: `acknowledge_ups`, `acknowledge_site`;\n"
      "  string unit: `acknowledge_string`) take function 06 (write single register) or\n"
      "  function 16 (write multiple registers) with a quantity of exactly 1. The value must be\n"
      "  **0x{:04X}** ({}); they read 0.\n",
      kAcknowledgeValue, kAcknowledgeValue);
  out += "- Answers: the normal echo when the acknowledgement was handed to the engine;\n";
  out += "  exception 01 (illegal function) while writes are disabled or when the client's\n";
  out += "  address is not allowed (the refusal is logged); 02 (illegal data address) for any\n";
  out += "  other address, or a unit that is not configured; 03 (illegal data value) for any\n";
  out += "  other value, or function 16 with a quantity other than 1; 04 (server device\n";
  out += "  failure) when the engine is not available.\n";
  out += "- The server never waits for the engine: it queues the acknowledgement and answers at\n";
  out += "  once, so the echo means \"queued\", not \"done\". The acknowledgement takes effect\n";
  out += "  within one engine cycle (the engine steps on every new plant snapshot, at most about\n";
  out +=
      "  1 s apart); read the alarm bits or the web UI to see it. The event log records it with\n";
  out += "  the actor \"scada <client address>\".\n";
  out +=
      "- What each register acknowledges (unacknowledged alarms whose source is the one named or\n";
  out += "  lies under it): `acknowledge_string` of unit 100 + s: `string/s` and its batteries\n";
  out +=
      "  `battery/s/*`; `acknowledge_ups` of unit u: `ups/u` and every string of UPS u with its\n";
  out +=
      "  batteries; `acknowledge_site` (on any configured UPS unit): every alarm of the site.\n\n";
  out += "## Encoding\n\n";
  out += "- value = raw × scale. u16 unsigned, s16 two's complement, bits = flags.\n";
  out += "- **long (s32)**: two registers, 32-bit signed two's complement, **high word first**\n";
  out += "  (the register at the lower address holds bits 31..16), the same word order as our\n";
  out += "  field devices, for every pair in this map.\n";
  out +=
      "- **Not available**: a value whose channel is missing or whose quality is not ok (stale,\n";
  out += "  comm_lost, invalid) is never served as fresh. It reads u16/bits 0xFFFF, s16 0x8000\n";
  out += "  (-32768), long 0x80000000 (-2147483648). Values are clamped so that a real value\n";
  out += "  never produces these codes.\n";
  out +=
      "- **Status** (UPS, string, battery): 0 disabled when the unit or battery does not exist\n";
  out += "  in the configuration (or the engine reports it disabled); 3 initializing when the\n";
  out +=
      "  engine reports a battery still learning its resistance baseline after a start (not an\n";
  out += "  error; its field values are all available, its learned values not yet); 2 error when\n";
  out += "  the engine reports an error, the engine's status is not available, or any value\n";
  out += "  marked *counts* below is not available; else 1 OK.\n";
  out +=
      "- **Quality code** (bits): b0 a value is stale, b1 a device does not answer (comm lost),\n";
  out += "  b2 a value is invalid, b3 a channel is missing or the engine's values are not\n";
  out += "  available. 0 = all of the unit's values are fresh. Values whose source is not\n";
  out += "  configured (no BM-TH, no relay feedback) read not available and are not counted.\n\n";
  const auto counts_note = [&out](UnitKind kind) {
    std::string names;
    for (const auto& def : register_defs(kind)) {
      if (!def.counts_for_status) continue;
      if (!names.empty()) names += ", ";
      names += def.name;
    }
    out += fmt::format("\nValues that count for status and quality: {}.\n\n", names);
  };
  out += "## UPS unit u (1..32)\n\n";
  render_table(out, UnitKind::ups);
  counts_note(UnitKind::ups);
  out += "## String unit 100 + s (s = 1..32)\n\n";
  render_table(out, UnitKind::string);
  counts_note(UnitKind::string);
  out += "## Battery b (1..120) of string unit 100 + s, at address 100·b + k\n\n";
  render_table(out, UnitKind::battery);
  counts_note(UnitKind::battery);
  out += render_site_scada_docs();
  return out;
}

}  // namespace btms::scada
