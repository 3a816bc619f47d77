// The SCADA Modbus TCP register map, defined once: the register image, the server's address
// checks and the generated docs/scada-modbus.md all read these tables. The published part keeps
// the seed product family's addresses exactly; ours follow after them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "model/topology.hpp"

namespace btms::scada {

// Unit IDs: UPS u answers on unit u, string s on unit 100 + s.
inline constexpr int kFirstUpsUnit = 1;
inline constexpr int kLastUpsUnit = model::kMaxUpsPerGateway;
inline constexpr int kStringUnitBase = 100;
inline constexpr int kFirstStringUnit = kStringUnitBase + 1;
inline constexpr int kLastStringUnit = kStringUnitBase + model::kMaxStringsPerGateway;
// Battery b of a string unit starts at address kBatteryStride * b.
inline constexpr int kBatteryStride = 100;
inline constexpr int kMaxReadQuantity = 125;  // Modbus limit for functions 03/04

// "Not available" values: a value whose channel is missing or whose quality is not ok.
inline constexpr std::uint16_t kNotAvailableU16 = 0xFFFF;
inline constexpr std::uint16_t kNotAvailableS16 = 0x8000;
inline constexpr std::uint32_t kNotAvailableS32 = 0x80000000u;

enum class UnitKind : std::uint8_t { ups, string, battery };

// u16/s16: one register; s32 ("long"): two registers, HIGH WORD FIRST (as our field devices);
// bits: one register of flags (u16 conventions).
enum class RegType : std::uint8_t { u16, s16, s32, bits };

enum class Source : std::uint8_t {
  plant,    // channel of the plant snapshot (model/plant_channels.hpp)
  derived,  // channel of the engine snapshot (model/derived_channels.hpp)
  config,   // taken from the site configuration (no quality)
  status,   // unit status, computed from the engine's status and the unit's value quality
  quality,  // quality code of the unit's values (QualityBit)
  command,  // writable: acknowledges the alarms of `pattern` ("*" = every alarm); reads 0
};

// The only value a write to a command register accepts (functions 06 and 16); any other value
// is refused with exception 03, so a stray write of 0 or 1 acknowledges nothing.
inline constexpr std::uint16_t kAcknowledgeValue = 0xA5A5;

// Quality code bits: which kinds of "not available" the unit's values currently have.
enum QualityBit : std::uint16_t {
  kQualityStale = 1u << 0,
  kQualityCommLost = 1u << 1,
  kQualityInvalid = 1u << 2,
  kQualityMissing = 1u << 3,  // channel absent, or the engine's snapshot is not available
};

struct RegisterDef {
  int offset;  // address within the unit (for batteries: k, added to 100 * b)
  std::string_view name;
  Source source;
  // Channel name pattern (for Source::command: the alarm source acknowledged): {u} UPS id, {s}
  // string id, {b} battery position, {a} the string's ambient BM-TH index, {aux} the string's
  // relay-feedback input channel; config keys for Source::config ("ups_id", "batteries").
  std::string_view pattern;
  RegType type;
  double scale;  // engineering units per count: value = raw * scale
  std::string_view unit;
  bool published;          // part of the seed's published layout (never moves)
  bool counts_for_status;  // a not-available value here makes the unit's status error
  std::string_view meaning;
};

std::span<const RegisterDef> register_defs(UnitKind kind);
// Registers a definition occupies (2 for s32).
int register_width(RegType type);
// Number of addresses of the block (one past the highest offset).
int block_size(UnitKind kind);

// What a unit ID is; nullopt when the server does not answer that unit.
struct UnitAddress {
  UnitKind kind = UnitKind::ups;  // ups or string
  int index = 0;                  // UPS id or string id
};
std::optional<UnitAddress> unit_of(int unit_id);

// The command register of a unit kind at a protocol address of its block (UPS and string
// units only; battery blocks have none); nullptr when the address is not writable.
const RegisterDef* writable_register(UnitKind unit_kind, int address);

// Number of addressable registers of a unit kind's address space: UPS block, or the string
// block plus 120 battery blocks.
int address_space_size(UnitKind unit_kind);

// Replaces the placeholders of a pattern; nullopt when the site does not configure what the
// pattern needs ({a} without an ambient sensor, {aux} without relay feedback).
std::optional<std::string> channel_for(const RegisterDef& def, const model::Site& site, int ups,
                                       int string, int battery);

// Raw register encoding of an engineering value (round to the nearest count, clamp to the
// type's range, never producing the not-available code).
std::uint32_t encode(RegType type, double value, double scale);
std::uint32_t not_available(RegType type);

// docs/scada-modbus.md.
std::string render_scada_docs();

}  // namespace btms::scada
