// The site as the configuration describes it: UPSs, strings, batteries, field buses and which
// device sits at which address. Plain data, validated by config_parser; every other part reads it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace btms::model {

// Limits of the seed's product family (ANCHORS.md, "Limits").
inline constexpr int kMaxUpsPerGateway = 32;
inline constexpr int kMaxStringsPerGateway = 32;
inline constexpr int kMaxBatteriesPerString = 120;
inline constexpr int kMaxThPerMc = 32;
inline constexpr int kMaxLcPerMc = 4;
inline constexpr int kMcInputs = 16;   // digital inputs on the MC itself
inline constexpr int kMcRelays = 16;   // relay outputs on the MC itself
inline constexpr int kLcInputs = 16;   // per BM-LC
inline constexpr int kLcOutputs = 16;  // per BM-LC
inline constexpr int kMinModbusAddress = 1;
inline constexpr int kMaxModbusAddress = 247;

enum class Chemistry { vrla_agm, vrla_gel, flooded };

struct BatteryType {
  std::string name;
  double nominal_voltage_V = 12.0;  // 2, 6 or 12
  int cells = 6;                    // cells in series in one battery (block)
  double capacity_Ah = 100.0;       // C10 rating
  Chemistry chemistry = Chemistry::vrla_agm;
  double float_voltage_per_cell_V = 2.27;  // at 25 °C
  // Internal resistance of a new battery; 0 = estimate from capacity (ANCHORS.md table).
  double resistance_new_mOhm = 0.0;
};

enum class BusKind { tcp, rtu };

struct Bus {
  std::string name;
  BusKind kind = BusKind::tcp;
  // tcp
  std::string host = "127.0.0.1";
  int port = 502;
  // Reads in flight at once (1 = one at a time). A Modbus TCP server that answers pipelined
  // requests in order (the transaction id pairs them) lets the master send a window of reads in
  // one segment: fewer system calls and wake-ups on both sides. Many serial gateways accept
  // only one outstanding request: keep 1 for them.
  int pipeline_depth = 1;
  // rtu
  std::string device;  // e.g. /dev/ttyUSB0
  int baud = 19200;
  char parity = 'N';  // N, E or O
  int data_bits = 8;
  int stop_bits = 1;
  // both
  int timeout_ms = 100;          // response timeout per request
  int cycle_ms = 1000;           // target poll cycle (0 = as fast as the bus allows)
  bool broadcast_sample = true;  // send "sample now" to address 0 at cycle start
};

// A reference to one digital input or relay output: on the MC itself (lc == 0) or on BM-LC lc.
struct IoPoint {
  int lc = 0;     // 0 = MC, 1..4 = BM-LC index
  int index = 0;  // 1-based point number on that module
  bool operator==(const IoPoint&) const = default;
};

struct Ups {
  int id = 0;  // 1..32, stable: ups/<id>
  std::string name;
  double rated_power_kW = 0.0;  // for runtime estimation and the virtual plant's load
};

struct String {
  int id = 0;  // 1..32, stable: string/<id>
  int ups_id = 0;
  std::string name;
  std::string battery_type;                 // name of a BatteryType
  int batteries = 0;                        // 1..120
  std::string bus;                          // bus name; all sensors of the string sit on it
  int first_cs_address = 1;                 // BM-CS of battery k sits at first_cs_address + k - 1
  int gs_address = 0;                       // BM-GS (string voltage, insulation); 0 = none
  int hs_address = 0;                       // BM-HS (current); 0 = none
  int current_range_A = 400;                // BM-HS range: 100, 200, 400, 800 or 1000
  std::optional<IoPoint> disconnect_relay;  // output that holds the string's contactor closed
  std::optional<IoPoint> relay_feedback;    // input reporting the contactor's real position
  int ambient_th = 0;  // index of the BM-TH that measures this string's ambient (0 = none)
};

struct ThSensor {
  int index = 0;  // 1..32 on the MC, stable: ambient/<index>
  std::string name;
};

struct DigitalInput {
  IoPoint point;
  std::string name;        // e.g. "Battery room door"
  std::string alarm_text;  // shown when active
  bool active_high = true;
};

struct MasterController {
  bool present = false;
  std::string bus;
  int address = 0;
  std::vector<ThSensor> th;
  int lc_count = 0;  // BM-LC modules attached, 0..4
  int watchdog_timeout_s = 10;
  std::vector<DigitalInput> inputs;
};

// Where the gateway keeps its history: the embedded SQLite file in the data folder (default), or a
// PostgreSQL server for large sites and aggregators.
struct HistorySettings {
  enum class Backend : std::uint8_t { sqlite, postgresql };
  Backend backend = Backend::sqlite;
  std::string postgresql;  // libpq connection string, e.g. "host=db.local dbname=btms user=btms"
};

struct Site {
  std::string name;
  HistorySettings history;
  std::vector<BatteryType> battery_types;
  std::vector<Bus> buses;
  std::vector<Ups> upses;
  std::vector<String> strings;
  MasterController mc;

  const BatteryType* find_battery_type(const std::string& type_name) const;
  const Bus* find_bus(const std::string& bus_name) const;
  const Ups* find_ups(int ups_id) const;
  const String* find_string(int string_id) const;
  int total_batteries() const;
};

}  // namespace btms::model
