#include "model/channel_resolution.hpp"

#include <array>
#include <cmath>
#include <utility>

#include "devices/register_map.hpp"

namespace btms::model {
namespace {

constexpr std::array<double, 10> kPow10 = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

struct Rule {
  std::string_view kind;      // first part of the name: battery, string, ups, ambient, ...
  std::string_view quantity;  // last part of the name
  double resolution;
};

double scale_of(const devices::DeviceMap& map, std::string_view reg) {
  return map.reg(reg).scale;
}

// Plant channels read their register's scale once; derived ones are ours (engine outputs are
// computed in double precision, but none is meaningful beyond these steps: SOC and SOH at
// 0.1 % as the UI shows them, voltages at the sensors' own resolution).
const std::array<Rule, 39>& rules() {
  static const std::array<Rule, 39> table = [] {
    const auto& cs = devices::bm_cs_map();
    const auto& gs = devices::bm_gs_map();
    const auto& hs = devices::bm_hs_map();
    const auto& mc = devices::bm_mc_map();
    const double string_voltage = scale_of(gs, "string_voltage");
    const double current = scale_of(hs, "current");
    return std::array<Rule, 39>{{
        // Plant: BM-CS, BM-GS, BM-HS, BM-TH (through the MC).
        {"battery", "voltage", scale_of(cs, "voltage")},
        {"battery", "temperature", scale_of(cs, "temperature")},
        {"battery", "resistance", scale_of(cs, "resistance")},
        {"battery", "balancing", 1.0},
        {"string", "voltage", string_voltage},
        {"string", "current", current},
        {"string", "insulation_pos", scale_of(gs, "insulation_pos")},
        {"string", "insulation_neg", scale_of(gs, "insulation_neg")},
        {"ambient", "temperature", scale_of(mc, "th[1].temperature")},
        {"ambient", "humidity", scale_of(mc, "th[1].humidity")},
        // Derived (src/model/derived_channels.hpp).
        {"battery", "soc", 0.1},
        {"battery", "soh", 0.1},
        {"battery", "status", 1.0},
        {"battery", "alarm_bits", 1.0},
        {"battery", "resistance_baseline", scale_of(cs, "resistance")},
        {"battery", "balancing_command", 1.0},
        {"string", "soc", 0.1},
        {"string", "state", 1.0},
        {"string", "status", 1.0},
        {"string", "alarm_bits", 1.0},
        {"string", "balance", 0.1},
        {"string", "spread", scale_of(cs, "voltage")},
        {"string", "stddev", scale_of(cs, "voltage")},
        {"string", "protection", 1.0},
        {"string", "relay_closed", 1.0},
        {"string", "runtime", 0.1},
        {"string", "lowest_voltage", scale_of(cs, "voltage")},
        {"string", "lowest_voltage_battery", 1.0},
        {"string", "highest_voltage", scale_of(cs, "voltage")},
        {"string", "highest_voltage_battery", 1.0},
        {"string", "highest_temperature", scale_of(cs, "temperature")},
        {"string", "highest_temperature_battery", 1.0},
        {"ups", "status", 1.0},
        {"ups", "voltage", string_voltage},
        {"ups", "current", current},
        {"ups", "soc", 0.1},
        {"ups", "runtime", 0.1},
        {"ups", "alarm_bits", 1.0},
        {"ups", "on_battery", 1.0},
    }};
  }();
  return table;
}

}  // namespace

double channel_resolution(std::string_view name) {
  const auto first_slash = name.find('/');
  const auto last_slash = name.rfind('/');
  if (first_slash == std::string_view::npos) return 0.0;
  const auto kind = name.substr(0, first_slash);
  const auto quantity = name.substr(last_slash + 1);
  // Digital inputs, relays, the watchdog flag and alarm counts are whole numbers.
  if (kind == "mc" || kind == "lc" || kind == "site") return 1.0;
  for (const auto& rule : rules())
    if (rule.kind == kind && rule.quantity == quantity) return rule.resolution;
  return 0.0;
}

double round_to_resolution(double value, double resolution) {
  if (!(resolution > 0.0) || !std::isfinite(value)) return value;
  // A decimal step (0.01) divides the step count by 100 rather than multiplying it by 0.01:
  // the result is then the double nearest the decimal (548.43, not 548.4300000000001).
  const int decimals = resolution_decimals(resolution);
  const double steps = std::nearbyint(value / resolution);
  const double per_unit = kPow10[static_cast<std::size_t>(decimals)];
  if (decimals > 0 && std::fabs(resolution * per_unit - 1.0) < 1e-9) return steps / per_unit;
  return steps * resolution;
}

bool differs_at_resolution(double a, double b, double resolution) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) != std::isnan(b);
  if (!(resolution > 0.0)) return a != b;
  return std::nearbyint(a / resolution) != std::nearbyint(b / resolution);
}

int resolution_decimals(double resolution) {
  if (!(resolution > 0.0) || resolution >= 1.0) return 0;
  for (int decimals = 1; decimals <= 9; ++decimals) {
    const double scaled = resolution * kPow10[static_cast<std::size_t>(decimals)];
    if (std::fabs(scaled - std::nearbyint(scaled)) < 1e-9) return decimals;
  }
  return 9;
}

}  // namespace btms::model
