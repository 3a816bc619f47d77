#include "devices/register_map.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace btms::devices {

std::string_view device_code(DeviceType type) {
  switch (type) {
    case DeviceType::bm_cs:
      return "BM-CS";
    case DeviceType::bm_gs:
      return "BM-GS";
    case DeviceType::bm_hs:
      return "BM-HS";
    case DeviceType::bm_mc:
      return "BM-MC";
  }
  return "?";
}

std::optional<DeviceType> device_type_from_code(std::uint16_t code) {
  if (code >= 1 && code <= 4) return static_cast<DeviceType>(code);
  return std::nullopt;
}

const RegisterDef& DeviceMap::reg(std::string_view name) const {
  for (const auto& r : registers) {
    if (r.name == name) return r;
  }
  throw std::out_of_range("no register '" + std::string(name) + "' in " +
                          std::string(device_code(type)));
}

int register_count(ValueType type) {
  return (type == ValueType::u32 || type == ValueType::s32) ? 2 : 1;
}

namespace {
std::uint32_t join(std::span<const std::uint16_t> words) {
  return (static_cast<std::uint32_t>(words[0]) << 16) | words[1];
}
void split(std::uint32_t value, std::span<std::uint16_t> words) {
  words[0] = static_cast<std::uint16_t>(value >> 16);
  words[1] = static_cast<std::uint16_t>(value & 0xFFFFu);
}
}  // namespace

bool is_not_available(ValueType type, std::span<const std::uint16_t> words) {
  switch (type) {
    case ValueType::u16:
      return words[0] == 0xFFFFu;
    case ValueType::s16:
      return words[0] == 0x8000u;
    case ValueType::u32:
      return join(words) == 0xFFFFFFFFu;
    case ValueType::s32:
      return join(words) == 0x80000000u;
    case ValueType::bits16:
      return false;
  }
  return false;
}

std::optional<double> decode(const RegisterDef& def, std::span<const std::uint16_t> words) {
  if (words.size() < static_cast<std::size_t>(register_count(def.type))) {
    throw std::invalid_argument("too few words for register " + def.name);
  }
  if (is_not_available(def.type, words)) return std::nullopt;
  double raw = 0.0;
  switch (def.type) {
    case ValueType::u16:
    case ValueType::bits16:
      raw = words[0];
      break;
    case ValueType::s16:
      raw = static_cast<std::int16_t>(words[0]);
      break;
    case ValueType::u32:
      raw = join(words);
      break;
    case ValueType::s32:
      raw = static_cast<std::int32_t>(join(words));
      break;
  }
  return raw * def.scale;
}

void encode(const RegisterDef& def, double value, std::span<std::uint16_t> words) {
  const double raw = std::round(value / def.scale);
  // Clamp below each type's not-available marker so a real value never reads as missing.
  switch (def.type) {
    case ValueType::u16:
    case ValueType::bits16:
      words[0] = static_cast<std::uint16_t>(std::clamp(raw, 0.0, 65534.0));
      break;
    case ValueType::s16:
      words[0] =
          static_cast<std::uint16_t>(static_cast<std::int16_t>(std::clamp(raw, -32767.0, 32767.0)));
      break;
    case ValueType::u32:
      split(static_cast<std::uint32_t>(std::clamp(raw, 0.0, 4294967294.0)), words);
      break;
    case ValueType::s32:
      split(static_cast<std::uint32_t>(
                static_cast<std::int32_t>(std::clamp(raw, -2147483647.0, 2147483647.0))),
            words);
      break;
  }
}

void encode_not_available(ValueType type, std::span<std::uint16_t> words) {
  switch (type) {
    case ValueType::u16:
    case ValueType::bits16:
      words[0] = 0xFFFFu;
      break;
    case ValueType::s16:
      words[0] = 0x8000u;
      break;
    case ValueType::u32:
      split(0xFFFFFFFFu, words);
      break;
    case ValueType::s32:
      split(0x80000000u, words);
      break;
  }
}

std::optional<double> decode_from_block(const RegisterDef& def, std::uint16_t block_start,
                                        std::span<const std::uint16_t> block) {
  const auto count = static_cast<std::size_t>(register_count(def.type));
  if (def.address < block_start || def.address - block_start + count > block.size()) {
    throw std::out_of_range("register " + def.name + " is outside the block");
  }
  return decode(def, block.subspan(def.address - block_start, count));
}

namespace {

using enum Table;
using enum ValueType;
using enum Access;

void add_identity(std::vector<RegisterDef>& regs) {
  regs.push_back({"device_type", input, common::kDeviceType, u16, 1, "", read,
                  "Device type code: 1 BM-CS, 2 BM-GS, 3 BM-HS, 4 BM-MC"});
  regs.push_back({"firmware", input, common::kFirmware, u16, 1, "", read,
                  "Firmware version, major * 256 + minor"});
  regs.push_back({"serial", input, common::kSerialHi, u32, 1, "", read, "Serial number"});
  regs.push_back(
      {"hardware_rev", input, common::kHardwareRev, u16, 1, "", read, "Hardware revision"});
  regs.push_back(
      {"sample_now", holding, common::kSampleNow, u16, 1, "", write,
       "Write 1: latch all measurements now (send to address 0 to reach the whole bus)"});
}

DeviceMap make_cs() {
  DeviceMap m{DeviceType::bm_cs,
              "Battery sensor, one per battery (2, 6 or 12 V versions), powered by the battery it "
              "measures; bypass balancing on command.",
              {bm_cs::kStatus, bm_cs::kFastCount},
              {common::kIdentityStart, common::kIdentityCount},
              {}};
  auto& r = m.registers;
  r.push_back({"status", input, bm_cs::kStatus, bits16, 1, "", read,
               "b0 measurement valid, b1 balancing active, b2 balancing stopped by its safety "
               "timeout, b3 resistance test running, b4 temperature sensor fault"});
  r.push_back({"voltage", input, bm_cs::kVoltage, u16, 0.001, "V", read,
               "Battery terminal voltage, ±0.2 %"});
  r.push_back({"temperature", input, bm_cs::kTemperature, s16, 0.1, "°C", read,
               "Temperature at the negative pole, -20…85 °C"});
  r.push_back({"resistance", input, bm_cs::kResistance, u32, 0.001, "mΩ", read,
               "Internal resistance from the latest online test, 0.1–50 mΩ ±(1.5 % + 25 µΩ)"});
  r.push_back({"balance_current", input, bm_cs::kBalanceCurrent, u16, 1, "mA", read,
               "Bypass (balancing) current flowing now"});
  r.push_back({"sample_counter", input, bm_cs::kSampleCounter, u16, 1, "", read,
               "Counts latched samples (wraps at 65535); unchanged = no new measurement"});
  r.push_back({"resistance_age", input, bm_cs::kResistanceAge, u16, 1, "s", read,
               "Seconds since the latest resistance test (0xFFFF: none yet)"});
  add_identity(r);
  r.push_back(
      {"balance_command", holding, bm_cs::kBalanceCommand, u16, 1, "", read_write,
       "0 balancing off, 1 balancing on (bypass the battery's share of the float current)"});
  r.push_back({"balance_timeout", holding, bm_cs::kBalanceTimeout, u16, 1, "s", read_write,
               "Balancing stops by itself this long after the last command (default 600 s)"});
  r.push_back({"resistance_test_request", holding, bm_cs::kResistanceTestRequest, u16, 1, "", write,
               "Write 1: run an internal resistance test now"});
  return m;
}

DeviceMap make_gs() {
  DeviceMap m{DeviceType::bm_gs,
              "String sensor, one per string: string voltage and insulation resistance of both "
              "poles to earth.",
              {bm_gs::kStatus, bm_gs::kFastCount},
              {common::kIdentityStart, common::kIdentityCount},
              {}};
  auto& r = m.registers;
  r.push_back({"status", input, bm_gs::kStatus, bits16, 1, "", read,
               "b0 measurement valid, b1 insulation measurement running"});
  r.push_back({"string_voltage", input, bm_gs::kStringVoltage, s32, 0.01, "V", read,
               "String voltage, 20–800 V ±0.5 %"});
  r.push_back({"insulation_pos", input, bm_gs::kInsulationPos, u32, 1, "kΩ", read,
               "Insulation resistance of the positive pole to earth"});
  r.push_back({"insulation_neg", input, bm_gs::kInsulationNeg, u32, 1, "kΩ", read,
               "Insulation resistance of the negative pole to earth"});
  r.push_back({"sample_counter", input, bm_gs::kSampleCounter, u16, 1, "", read,
               "Counts latched samples (wraps at 65535)"});
  add_identity(r);
  return m;
}

DeviceMap make_hs() {
  DeviceMap m{DeviceType::bm_hs,
              "String current sensor (Hall), one per string; ranges 100, 200, 400, 800, 1000 A.",
              {bm_hs::kStatus, bm_hs::kFastCount},
              {common::kIdentityStart, common::kIdentityCount},
              {}};
  auto& r = m.registers;
  r.push_back({"status", input, bm_hs::kStatus, bits16, 1, "", read,
               "b0 measurement valid, b1 sensor disconnected (clamp or cable open)"});
  r.push_back({"current", input, bm_hs::kCurrent, s32, 0.01, "A", read,
               "String current, + charge / - discharge, ±2 % of range"});
  r.push_back({"range", input, bm_hs::kRange, u16, 1, "A", read, "Measuring range"});
  r.push_back({"sample_counter", input, bm_hs::kSampleCounter, u16, 1, "", read,
               "Counts latched samples (wraps at 65535)"});
  add_identity(r);
  return m;
}

DeviceMap make_mc() {
  DeviceMap m{DeviceType::bm_mc,
              "Master controller: 16 digital inputs, 16 relay outputs, watchdog; hosts up to 32 "
              "BM-TH ambient sensors and up to 4 BM-LC I/O modules (16 inputs + 16 outputs each), "
              "whose values it serves in its own registers.",
              {bm_mc::kStatus, bm_mc::kFastCount},
              {common::kIdentityStart, common::kIdentityCount},
              {}};
  auto& r = m.registers;
  r.push_back({"status", input, bm_mc::kStatus, bits16, 1, "", read,
               "b0 watchdog tripped (outputs in safe state), b1 master heartbeat seen"});
  r.push_back(
      {"inputs", input, bm_mc::kInputs, bits16, 1, "", read, "Digital inputs, b0 = input 1"});
  r.push_back({"relay_state", input, bm_mc::kRelayState, bits16, 1, "", read,
               "Relay outputs as they are now (after watchdog), b0 = relay 1"});
  r.push_back({"th_count", input, bm_mc::kThCount, u16, 1, "", read, "BM-TH sensors attached"});
  r.push_back({"lc_count", input, bm_mc::kLcCount, u16, 1, "", read, "BM-LC modules attached"});
  r.push_back({"sample_counter", input, bm_mc::kSampleCounter, u16, 1, "", read,
               "Counts latched samples (wraps at 65535)"});
  for (int i = 1; i <= 32; ++i) {
    const auto th = "th[" + std::to_string(i) + "]";
    r.push_back({th + ".temperature", input, bm_mc::th_temperature(i), s16, 0.1, "°C", read,
                 "BM-TH " + std::to_string(i) + " ambient temperature, -40…80 °C ±0.5 °C"});
    r.push_back({th + ".humidity", input, bm_mc::th_humidity(i), u16, 0.1, "%RH", read,
                 "BM-TH " + std::to_string(i) + " relative humidity, 0–100 %RH ±3 %RH"});
  }
  for (int j = 1; j <= 4; ++j) {
    const auto lc = "lc[" + std::to_string(j) + "]";
    r.push_back({lc + ".inputs", input, bm_mc::lc_inputs(j), bits16, 1, "", read,
                 "BM-LC " + std::to_string(j) + " digital inputs, b0 = input 1"});
    r.push_back({lc + ".outputs", input, bm_mc::lc_outputs(j), bits16, 1, "", read,
                 "BM-LC " + std::to_string(j) + " outputs as they are now"});
  }
  add_identity(r);
  r.push_back({"relay_command", holding, bm_mc::kRelayCommand, bits16, 1, "", read_write,
               "Relay outputs commanded by the master, b0 = relay 1, 1 = energized"});
  r.push_back({"heartbeat", holding, bm_mc::kHeartbeat, u16, 1, "", read_write,
               "Master heartbeat: every new value feeds the watchdog"});
  r.push_back({"watchdog_timeout", holding, bm_mc::kWatchdogTimeout, u16, 1, "s", read_write,
               "No new heartbeat for this long trips the watchdog (0 = off)"});
  r.push_back({"relay_safe_state", holding, bm_mc::kRelaySafeState, bits16, 1, "", read_write,
               "Relay outputs applied while the watchdog is tripped"});
  r.push_back({"watchdog_reset", holding, bm_mc::kWatchdogReset, u16, 1, "", write,
               "Write 1: clear a watchdog trip and return to the commanded outputs"});
  for (int j = 1; j <= 4; ++j) {
    const auto lc = "lc[" + std::to_string(j) + "]";
    r.push_back({lc + ".output_command", holding, bm_mc::lc_command(j), bits16, 1, "", read_write,
                 "BM-LC " + std::to_string(j) + " outputs commanded by the master"});
    r.push_back({lc + ".safe_state", holding, bm_mc::lc_safe_state(j), bits16, 1, "", read_write,
                 "BM-LC " + std::to_string(j) + " outputs applied while the watchdog is tripped"});
  }
  return m;
}

}  // namespace

const DeviceMap& bm_cs_map() {
  static const DeviceMap map = make_cs();
  return map;
}
const DeviceMap& bm_gs_map() {
  static const DeviceMap map = make_gs();
  return map;
}
const DeviceMap& bm_hs_map() {
  static const DeviceMap map = make_hs();
  return map;
}
const DeviceMap& bm_mc_map() {
  static const DeviceMap map = make_mc();
  return map;
}

const DeviceMap& map_of(DeviceType type) {
  switch (type) {
    case DeviceType::bm_cs:
      return bm_cs_map();
    case DeviceType::bm_gs:
      return bm_gs_map();
    case DeviceType::bm_hs:
      return bm_hs_map();
    case DeviceType::bm_mc:
      return bm_mc_map();
  }
  throw std::invalid_argument("unknown device type");
}

std::span<const DeviceMap* const> all_maps() {
  static const std::array<const DeviceMap*, 4> maps{&bm_cs_map(), &bm_gs_map(), &bm_hs_map(),
                                                    &bm_mc_map()};
  return maps;
}

}  // namespace btms::devices
