// Channels the engine computes from the plant snapshot and publishes in a snapshot of its own
// (same Snapshot type, its own ChannelDirectory). Web, history, SCADA and cloud read them by
// these names; the SCADA map and the UI depend on the names and codes below.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::model {

// Quantities (append to an ID: battery/3/17/soc, string/3/state, ups/1/runtime).
//  battery/S/P/  soc (%), soh (%), status (BatteryStatus), alarm_bits (BatteryAlarmBit),
//                resistance_baseline (mΩ), balancing_command (0/1)
//  string/S/     soc (%), state (StringState), status (DeviceStatus), alarm_bits (StringAlarmBit),
//                balance (% 0..100), spread (V, max - min battery voltage), stddev (V),
//                protection (ProtectionState), relay_closed (0/1, as fed back), runtime (min,
//                on battery at present load; not available otherwise),
//                lowest_voltage / highest_voltage (V) and highest_temperature (°C) over the
//                batteries with a good reading, each with the battery's position beside it
//                (lowest_voltage_battery, ...): the string's extremes travel upstream (site
//                view, cloud) without every battery's values
//  ups/U/        status (DeviceStatus), voltage (V, mean of its strings), current (A, sum),
//                soc (%, mean), runtime (min), alarm_bits (UpsAlarmBit), on_battery (0/1)
//  site/         active_alarms (count), unacknowledged_alarms (count)

// initializing: not yet known (a battery whose resistance baseline is still being learned after
// a start, with no alarm active). Not an error: SCADA serves it as its own code (3).
enum class DeviceStatus : std::uint8_t { disabled = 0, ok = 1, error = 2, initializing = 3 };

// Codes as in the seed product family's SCADA map (0..5), disconnected added as 6.
enum class StringState : std::uint8_t {
  float_charge = 0,
  equalizing = 1,
  discharge = 2,
  idle = 3,
  abnormal = 5,
  disconnected = 6,
};

enum class ProtectionState : std::uint8_t {
  closed = 0,            // string connected, nothing pending
  tripped = 1,           // opened by protection, latched until an operator resets it
  held_last_string = 2,  // a trip was due but the string is the last one closed on its UPS
  manual_open = 3,       // opened by an operator
};

// String alarm bits, b0..b6 exactly as the seed's SCADA map; ours follow.
enum StringAlarmBit : std::uint16_t {
  kStringCurrentHigh = 1u << 0,  // charging current high
  kStringCurrentLow = 1u << 1,   // discharging current high (current below the low limit)
  kStringVoltageHigh = 1u << 2,
  kStringVoltageLow = 1u << 3,
  kStringSocLow = 1u << 4,
  kStringSohLow = 1u << 5,
  kStringCurrentSensorDisconnected = 1u << 6,
  kStringInsulationLow = 1u << 7,
  kStringBatteryAlarm = 1u << 8,  // at least one battery of the string in alarm
  kStringCommLost = 1u << 9,      // a sensor of the string does not answer
  kStringThermalRunaway = 1u << 10,
  kStringRelayMismatch = 1u << 11,
};

enum BatteryAlarmBit : std::uint16_t {
  kBatteryVoltageHigh = 1u << 0,
  kBatteryVoltageLow = 1u << 1,
  kBatteryTemperatureHigh = 1u << 2,
  kBatteryResistanceWarning = 1u << 3,  // +20 % over baseline
  kBatteryResistanceAlarm = 1u << 4,    // +50 % over baseline
  kBatteryDeltaTAmbient = 1u << 5,
  kBatterySocLow = 1u << 6,
  kBatterySohLow = 1u << 7,
  kBatteryCommLost = 1u << 8,
  kBatteryThermalRunaway = 1u << 9,
};

enum UpsAlarmBit : std::uint16_t {
  kUpsOnBattery = 1u << 0,
  kUpsStringError = 1u << 1,
  kUpsRuntimeLow = 1u << 2,
  kUpsStringDisconnected = 1u << 3,
};

// Direct ids of the derived channels, built once from the topology (like PlantChannels) so the
// engine writes them without name lookups and every consumer agrees on the names above.
struct DerivedBatteryChannels {
  ChannelId soc, soh, status, alarm_bits, resistance_baseline, balancing_command;
};
struct DerivedStringChannels {
  int string_id = 0;
  ChannelId soc, state, status, alarm_bits, balance, spread, stddev, protection, relay_closed,
      runtime;
  ChannelId lowest_voltage, lowest_voltage_battery, highest_voltage, highest_voltage_battery,
      highest_temperature, highest_temperature_battery;
  std::vector<DerivedBatteryChannels> batteries;  // [position - 1]
};
struct DerivedUpsChannels {
  int ups_id = 0;
  ChannelId status, voltage, current, soc, runtime, alarm_bits, on_battery;
};
struct DerivedChannels {
  std::shared_ptr<ChannelDirectory> directory;
  std::vector<DerivedStringChannels> strings;  // in the order of Site::strings
  std::vector<DerivedUpsChannels> upses;       // in the order of Site::upses
  ChannelId site_active_alarms = 0, site_unacknowledged_alarms = 0;
};
DerivedChannels build_derived_channels(const Site& site);

}  // namespace btms::model
