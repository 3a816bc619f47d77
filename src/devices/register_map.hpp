// Register maps of every BTMS field device, defined once: the gateway's drivers, the virtual
// plant's emulators and docs/devices.md (btms docs devices) all read these tables.
//
// Conventions for every device:
// - Measurements are input registers (function 04); commands and settings are holding registers
//   (03 read, 06/16 write).
// - 32-bit values occupy two registers, high word first (big-endian word order, "ABCD").
// - A measurement the device cannot provide reads as the type's "not available" marker:
//   u16 0xFFFF, s16 0x8000 (-32768), u32 0xFFFFFFFF, s32 0x80000000.
// - All fast values of a device sit in one block read with a single request (<= 125 registers).
// - Every device answers an identity block at input registers 100..104.
// - Writing 1 to holding register 240 ("sample now") makes a device latch its measurements; sent
//   to address 0 (broadcast) every sensor on the bus samples at the same instant.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace btms::devices {

enum class DeviceType : std::uint16_t {
  bm_cs = 1,  // cell (battery) sensor
  bm_gs = 2,  // string sensor: string voltage, insulation
  bm_hs = 3,  // string current sensor
  bm_mc = 4,  // master controller (hosts BM-TH and BM-LC)
};
std::string_view device_code(DeviceType type);  // "BM-CS", ...
std::optional<DeviceType> device_type_from_code(std::uint16_t code);

enum class Table { input, holding };
enum class ValueType { u16, s16, u32, s32, bits16 };
enum class Access { read, read_write, write };

struct RegisterDef {
  std::string name;  // e.g. "voltage", "th[3].humidity"
  Table table = Table::input;
  std::uint16_t address = 0;
  ValueType type = ValueType::u16;
  double scale = 1.0;  // engineering value = raw * scale
  std::string unit;    // unit of the engineering value
  Access access = Access::read;
  std::string meaning;
};

struct Block {
  std::uint16_t start = 0;
  std::uint16_t count = 0;
};

struct DeviceMap {
  DeviceType type;
  std::string description;
  Block fast;  // input registers read every cycle, in one request
  Block slow;  // input registers read on the slow schedule
  std::vector<RegisterDef> registers;

  const RegisterDef& reg(std::string_view name) const;  // throws std::out_of_range
};

int register_count(ValueType type);  // 1 or 2
bool is_not_available(ValueType type, std::span<const std::uint16_t> words);

// Raw register words -> engineering value; nullopt for the "not available" marker.
std::optional<double> decode(const RegisterDef& def, std::span<const std::uint16_t> words);
// Engineering value -> raw words (rounded to the register's resolution, clamped to its type).
void encode(const RegisterDef& def, double value, std::span<std::uint16_t> words);
void encode_not_available(ValueType type, std::span<std::uint16_t> words);

// Reads the value of `def` out of a block of registers that starts at block_start.
std::optional<double> decode_from_block(const RegisterDef& def, std::uint16_t block_start,
                                        std::span<const std::uint16_t> block);

const DeviceMap& bm_cs_map();
const DeviceMap& bm_gs_map();
const DeviceMap& bm_hs_map();
const DeviceMap& bm_mc_map();
const DeviceMap& map_of(DeviceType type);
std::span<const DeviceMap* const> all_maps();

// Registers shared by every device.
namespace common {
inline constexpr std::uint16_t kIdentityStart = 100;  // input
inline constexpr std::uint16_t kDeviceType = 100;     // DeviceType code
inline constexpr std::uint16_t kFirmware = 101;       // major * 256 + minor
inline constexpr std::uint16_t kSerialHi = 102;       // serial number, u32
inline constexpr std::uint16_t kHardwareRev = 104;
inline constexpr std::uint16_t kIdentityCount = 5;
inline constexpr std::uint16_t kSampleNow = 240;  // holding, write 1 (also by broadcast)
}  // namespace common

// Register addresses by name, for code that reads or writes one field.
namespace bm_cs {
// input, fast block 0..7
inline constexpr std::uint16_t kStatus = 0;
inline constexpr std::uint16_t kVoltage = 1;         // u16, 0.001 V
inline constexpr std::uint16_t kTemperature = 2;     // s16, 0.1 °C
inline constexpr std::uint16_t kResistance = 3;      // u32, 0.001 mΩ (1 µΩ)
inline constexpr std::uint16_t kBalanceCurrent = 5;  // u16, 1 mA
inline constexpr std::uint16_t kSampleCounter = 6;   // u16, +1 per latched sample
inline constexpr std::uint16_t kResistanceAge = 7;   // u16, s since the last resistance test
inline constexpr std::uint16_t kFastCount = 8;
// status bits
inline constexpr std::uint16_t kStatusValid = 1u << 0;
inline constexpr std::uint16_t kStatusBalancing = 1u << 1;
inline constexpr std::uint16_t kStatusBalanceTimeout = 1u << 2;
inline constexpr std::uint16_t kStatusResistanceTest = 1u << 3;
inline constexpr std::uint16_t kStatusTempSensorFault = 1u << 4;
// holding
inline constexpr std::uint16_t kBalanceCommand = 0;         // 0 off, 1 on
inline constexpr std::uint16_t kBalanceTimeout = 1;         // s; balancing stops by itself after it
inline constexpr std::uint16_t kResistanceTestRequest = 2;  // write 1
}  // namespace bm_cs

namespace bm_gs {
inline constexpr std::uint16_t kStatus = 0;
inline constexpr std::uint16_t kStringVoltage = 1;  // s32, 0.01 V
inline constexpr std::uint16_t kInsulationPos = 3;  // u32, 1 kΩ
inline constexpr std::uint16_t kInsulationNeg = 5;  // u32, 1 kΩ
inline constexpr std::uint16_t kSampleCounter = 7;
inline constexpr std::uint16_t kFastCount = 8;
inline constexpr std::uint16_t kStatusValid = 1u << 0;
inline constexpr std::uint16_t kStatusInsulationMeasuring = 1u << 1;
}  // namespace bm_gs

namespace bm_hs {
inline constexpr std::uint16_t kStatus = 0;
inline constexpr std::uint16_t kCurrent = 1;  // s32, 0.01 A, + charge / - discharge
inline constexpr std::uint16_t kRange = 3;    // u16, A (100, 200, 400, 800, 1000)
inline constexpr std::uint16_t kSampleCounter = 4;
inline constexpr std::uint16_t kFastCount = 5;
inline constexpr std::uint16_t kStatusValid = 1u << 0;
inline constexpr std::uint16_t kStatusDisconnected = 1u << 1;  // clamp or cable open
}  // namespace bm_hs

namespace bm_mc {
inline constexpr std::uint16_t kStatus = 0;
inline constexpr std::uint16_t kInputs = 1;      // bits16, b0 = input 1
inline constexpr std::uint16_t kRelayState = 2;  // bits16, actual relay positions
inline constexpr std::uint16_t kThCount = 3;
inline constexpr std::uint16_t kLcCount = 4;
inline constexpr std::uint16_t kSampleCounter = 5;
inline constexpr std::uint16_t kThBase = 10;  // TH i (1..32): 10 + 2(i-1) temp, 11 + 2(i-1) RH
inline constexpr std::uint16_t kLcBase =
    74;  // LC j (1..4): 74 + 2(j-1) inputs, 75 + 2(j-1) outputs
inline constexpr std::uint16_t kFastCount = 82;
inline constexpr std::uint16_t kStatusWatchdogTripped = 1u << 0;
inline constexpr std::uint16_t kStatusHeartbeatSeen = 1u << 1;
constexpr std::uint16_t th_temperature(int i) {
  return static_cast<std::uint16_t>(kThBase + 2 * (i - 1));
}
constexpr std::uint16_t th_humidity(int i) {
  return static_cast<std::uint16_t>(kThBase + 2 * (i - 1) + 1);
}
constexpr std::uint16_t lc_inputs(int j) {
  return static_cast<std::uint16_t>(kLcBase + 2 * (j - 1));
}
constexpr std::uint16_t lc_outputs(int j) {
  return static_cast<std::uint16_t>(kLcBase + 2 * (j - 1) + 1);
}
// holding
inline constexpr std::uint16_t kRelayCommand = 0;      // bits16, 1 = energized
inline constexpr std::uint16_t kHeartbeat = 1;         // any new value feeds the watchdog
inline constexpr std::uint16_t kWatchdogTimeout = 2;   // s, 0 = watchdog off
inline constexpr std::uint16_t kRelaySafeState = 3;    // bits16 applied when the watchdog trips
inline constexpr std::uint16_t kWatchdogReset = 4;     // write 1: clear the trip, resume commands
inline constexpr std::uint16_t kLcCommandBase = 10;    // LC j output command at 10 + (j-1)
inline constexpr std::uint16_t kLcSafeStateBase = 14;  // LC j safe state at 14 + (j-1)
constexpr std::uint16_t lc_command(int j) {
  return static_cast<std::uint16_t>(kLcCommandBase + (j - 1));
}
constexpr std::uint16_t lc_safe_state(int j) {
  return static_cast<std::uint16_t>(kLcSafeStateBase + (j - 1));
}
}  // namespace bm_mc

}  // namespace btms::devices
