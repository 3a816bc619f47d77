#include "engine/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <unordered_map>

#include "engine/alarm_rule.hpp"
#include "engine/protection.hpp"
#include "model/ids.hpp"

namespace btms::engine {

using model::ChannelId;
using model::Quality;
using model::Severity;

namespace {

// Fixed rule blocks: every battery and every string has the same rules in the same order, so
// the hot loop indexes instead of looking anything up.
enum BatteryRule : int {
  kVHigh,
  kVLow,
  kTWarn,
  kTAlarm,
  kTTrip,
  kDt,
  kRWarn,
  kRAlarm,
  kBComm,
  kSohLow,
  kBatteryRules
};
enum StringRule : int {
  kSVHigh,
  kSVLow,
  kIHigh,
  kILow,
  kInsWarn,
  kInsAlarm,
  kRunaway,
  kCurrentInvalid,
  kSComm,
  kMismatch,
  kSocLow,
  kStringRules
};

constexpr std::uint16_t kBatteryBits[kBatteryRules] = {
    model::kBatteryVoltageHigh,       model::kBatteryVoltageLow,
    model::kBatteryTemperatureHigh,   model::kBatteryTemperatureHigh,
    model::kBatteryTemperatureHigh,   model::kBatteryDeltaTAmbient,
    model::kBatteryResistanceWarning, model::kBatteryResistanceAlarm,
    model::kBatteryCommLost,          model::kBatterySohLow};
constexpr std::uint16_t kStringBits[kStringRules] = {
    model::kStringVoltageHigh,    model::kStringVoltageLow,
    model::kStringCurrentHigh,    model::kStringCurrentLow,
    model::kStringInsulationLow,  model::kStringInsulationLow,
    model::kStringThermalRunaway, model::kStringCurrentSensorDisconnected,
    model::kStringCommLost,       model::kStringRelayMismatch,
    model::kStringSocLow};

using ConfigPtr = std::shared_ptr<const AlarmRuleConfig>;

ConfigPtr analog(std::string name, Severity sev, Direction dir, double limit, double reset,
                 const EngineConfig& ec) {
  auto c = std::make_shared<AlarmRuleConfig>();
  c->name = std::move(name);
  c->severity = sev;
  c->direction = dir;
  c->limit = limit;
  c->reset = reset;
  c->debounce_count = ec.debounce_count;
  c->on_delay_ms = ec.analog_on_delay_ms;
  c->off_delay_ms = ec.analog_off_delay_ms;
  return c;
}

// A boolean condition fed as 1/0.
ConfigPtr flag(std::string name, Severity sev, std::int64_t on_delay_ms,
               std::int64_t off_delay_ms) {
  auto c = std::make_shared<AlarmRuleConfig>();
  c->name = std::move(name);
  c->severity = sev;
  c->direction = Direction::high;
  c->limit = 0.5;
  c->reset = 0.5;
  c->boolean_condition = true;
  c->on_delay_ms = on_delay_ms;
  c->off_delay_ms = off_delay_ms;
  return c;
}

// Trip alarms latch (configurable): a trip stays on the board until somebody acknowledged it,
// and the string cannot be reset before that.
ConfigPtr latched(ConfigPtr c, const EngineConfig& ec) {
  auto copy = std::make_shared<AlarmRuleConfig>(*c);
  copy->latching = ec.latch_trip_alarms;
  return copy;
}

struct Slot {
  AlarmRule rule;
  std::string source;
  std::string key;
  std::string text;          // for digital inputs and system conditions: the alarm text
  bool ventilation = false;  // drives AlarmOutputTrigger::ventilation
  bool system = false;       // set_system_condition()
  std::string raised_text;   // text of the raising event
  std::string acknowledged_by;
  std::int64_t acknowledged_ms = 0;
};

// Rules whose alarm asks for the battery room's ventilation.
bool is_ventilation_rule(std::string_view name) {
  return name == "battery_temperature_warning" || name == "battery_temperature_alarm" ||
         name == "battery_temperature_trip" || name == "battery_delta_t_ambient" ||
         name == "string_thermal_runaway";
}

double peukert_for(model::Chemistry chemistry) {
  switch (chemistry) {
    case model::Chemistry::vrla_agm:
      return 1.10;
    case model::Chemistry::vrla_gel:
      return 1.17;
    case model::Chemistry::flooded:
      return 1.25;
  }
  return 1.10;
}

struct BatteryConfigs {
  ConfigPtr rule[kBatteryRules];
};
struct StringConfigs {
  ConfigPtr rule[kStringRules];
};

// Rule configs are shared by every battery of a string.
BatteryConfigs battery_configs(const LimitSet& limits, const model::BatteryType& type,
                               const EngineConfig& ec) {
  const auto& bl = limits.battery;
  const double cells = type.cells;
  return BatteryConfigs{{
      analog("battery_voltage_high", Severity::alarm, Direction::high,
             bl.voltage_high_per_cell_V * cells,
             (bl.voltage_high_per_cell_V - bl.voltage_hysteresis_per_cell_V) * cells, ec),
      analog("battery_voltage_low", Severity::alarm, Direction::low,
             bl.voltage_low_per_cell_V * cells,
             (bl.voltage_low_per_cell_V + bl.voltage_hysteresis_per_cell_V) * cells, ec),
      analog("battery_temperature_warning", Severity::warning, Direction::high,
             bl.temperature_warning_C, bl.temperature_warning_C - bl.temperature_hysteresis_C, ec),
      analog("battery_temperature_alarm", Severity::alarm, Direction::high, bl.temperature_alarm_C,
             bl.temperature_alarm_C - bl.temperature_hysteresis_C, ec),
      latched(
          analog("battery_temperature_trip", Severity::trip, Direction::high, bl.temperature_trip_C,
                 bl.temperature_trip_C - bl.temperature_hysteresis_C, ec),
          ec),
      analog("battery_delta_t_ambient", Severity::alarm, Direction::high, bl.delta_t_ambient_K,
             bl.delta_t_ambient_K - bl.delta_t_hysteresis_K, ec),
      analog("battery_resistance_warning", Severity::warning, Direction::high,
             bl.resistance_warning_pct, bl.resistance_warning_pct - bl.resistance_hysteresis_pct,
             ec),
      analog("battery_resistance_alarm", Severity::alarm, Direction::high, bl.resistance_alarm_pct,
             bl.resistance_alarm_pct - bl.resistance_hysteresis_pct, ec),
      flag("battery_comm_lost", Severity::alarm, bl.comm_lost_delay_ms, 0),
      analog("battery_soh_low", Severity::warning, Direction::low, bl.soh_low_pct,
             bl.soh_low_pct + bl.soh_hysteresis_pct, ec),
  }};
}

StringConfigs string_configs(const LimitSet& limits, const model::BatteryType& type, int batteries,
                             const EngineConfig& ec) {
  const auto& sl = limits.string;
  const double C = type.capacity_Ah;
  const double string_cells = static_cast<double>(type.cells) * batteries;
  return StringConfigs{{
      analog("string_voltage_high", Severity::alarm, Direction::high,
             sl.voltage_high_per_cell_V * string_cells,
             (sl.voltage_high_per_cell_V - sl.voltage_hysteresis_per_cell_V) * string_cells, ec),
      analog("string_voltage_low", Severity::alarm, Direction::low,
             sl.voltage_low_per_cell_V * string_cells,
             (sl.voltage_low_per_cell_V + sl.voltage_hysteresis_per_cell_V) * string_cells, ec),
      analog("string_current_high", Severity::alarm, Direction::high, sl.charge_current_high_C * C,
             (sl.charge_current_high_C - sl.current_hysteresis_C) * C, ec),
      analog("string_current_low", Severity::alarm, Direction::low,
             -sl.discharge_current_high_C * C,
             -(sl.discharge_current_high_C - sl.current_hysteresis_C) * C, ec),
      analog("string_insulation_warning", Severity::warning, Direction::low,
             sl.insulation_warning_ohm_per_V,
             sl.insulation_warning_ohm_per_V * sl.insulation_reset_factor, ec),
      analog("string_insulation_alarm", Severity::alarm, Direction::low,
             sl.insulation_alarm_ohm_per_V,
             sl.insulation_alarm_ohm_per_V * sl.insulation_reset_factor, ec),
      latched(flag("string_thermal_runaway", Severity::trip, sl.runaway_hold_ms, 0), ec),
      flag("string_current_sensor_invalid", Severity::alarm, sl.comm_lost_delay_ms, 0),
      flag("string_comm_lost", Severity::alarm, sl.comm_lost_delay_ms, 0),
      flag("string_relay_mismatch", Severity::alarm, 0, 0),
      analog("string_soc_low", Severity::warning, Direction::low, sl.soc_low_pct,
             sl.soc_low_pct + sl.soc_hysteresis_pct, ec),
  }};
}

EstimationConfig estimation_config(const model::BatteryType& type, int batteries,
                                   const StringLimits& sl) {
  EstimationConfig est;
  est.capacity_Ah = type.capacity_Ah;
  est.cells_in_string = type.cells * batteries;
  est.float_voltage_per_cell_V = type.float_voltage_per_cell_V;
  est.capacity_test_end_per_cell_V = sl.capacity_test_end_per_cell_V;
  est.capacity_test_max_rate_C = sl.capacity_test_max_rate_C;
  est.peukert_exponent = peukert_for(type.chemistry);
  return est;
}

// ΔT slope (K/h) from two moving averages with time constants window/4 and window: a ramp of m K/h
// leaves them m × (τ_slow − τ_fast) apart.
// Until ΔT has been watched for one window (after the start, or after a gap in the readings
// longer than window/4) rising cannot be told from steady: the rule then judges without it
// (hot + current, held), because a monitor that restarts during a runaway must not wait.
struct DeltaTTrend {
  double fast_K = 0.0;
  double slow_K = 0.0;
  bool primed = false;
  std::int64_t watched_since_ms = 0;
  std::int64_t last_ms = 0;
};

struct Baseline {
  double sum_mOhm = 0.0;
  int count = 0;
  std::optional<double> value_mOhm;
};

struct DerivedBattery {
  ChannelId soc, soh, status, alarm_bits, resistance_baseline, balancing_command;
};
struct DerivedString {
  ChannelId soc, state, status, alarm_bits, balance, spread, stddev, protection, relay_closed,
      runtime;
};
struct DerivedUps {
  ChannelId status, voltage, current, soc, runtime, alarm_bits, on_battery;
};

struct StringCtx {
  const model::String* cfg = nullptr;
  const model::StringChannels* ch = nullptr;
  const model::BatteryType* type = nullptr;
  const LimitSet* limits = nullptr;
  std::size_t first_battery_slot = 0;
  std::size_t first_string_slot = 0;
  std::optional<ChannelId> ambient;
  std::optional<ChannelId> feedback;
  std::vector<Baseline> baselines;
  std::vector<bool> balancing_on;
  bool low_suppressed = false;
  // Resistance tests: the last good reading (a change = a new test) and the end of the float
  // alarm suppression that follows, per battery.
  std::vector<std::optional<double>> last_resistance_mOhm;
  std::vector<std::int64_t> float_suppressed_until_ms;
  std::vector<DeltaTTrend> trend;
  std::optional<std::int64_t> last_step_ms;
  std::unique_ptr<Protection> protection;
  std::unique_ptr<StringEstimator> estimator;
  DerivedString out{};
  std::vector<DerivedBattery> battery_out;
  // Per-step scratch, kept to avoid allocating each step.
  std::vector<std::optional<double>> volts, temps;
  std::vector<char> runaway_battery;  // hot and rising this step
};

struct InputSlot {
  std::size_t slot = 0;
  ChannelId channel = 0;
  bool active_high = true;
};

std::string fmt_value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

struct Engine::Impl {
  // Own copies: the rule contexts point into them, so the caller's may go away.
  model::Site site;
  model::PlantChannels plant;
  EngineConfig config;
  std::vector<Slot> slots;
  std::unordered_map<std::string, std::size_t> by_key;
  std::vector<StringCtx> strings;
  std::vector<InputSlot> inputs;
  std::optional<std::size_t> watchdog_slot;
  ChannelId watchdog_channel = 0;
  std::shared_ptr<model::ChannelDirectory> directory = std::make_shared<model::ChannelDirectory>();
  std::vector<std::pair<int, DerivedUps>> ups_out;
  ChannelId site_active = 0, site_unacked = 0;
  std::unique_ptr<EqualizationStrategy> equalization;
  std::uint64_t next_event_id;
  std::uint64_t sequence = 0;
  std::vector<model::Event> queued_events;
  std::vector<model::Command> queued_commands;
  bool custom_equalization = false;
  std::vector<std::optional<bool>> output_on;     // [alarm output], as last commanded
  std::vector<model::SetRelay> released_outputs;  // outputs dropped by set_config, still on

  Impl(const model::Site& s, const model::PlantChannels& p, EngineConfig c)
      : site(s),
        plant(p),
        config(std::move(c)),
        equalization(std::make_unique<VoltageEqualization>(config.equalization)),
        next_event_id(config.first_event_id) {
    if (const auto problems = alarm_output_problems(config.alarm_outputs, site); !problems.empty())
      throw std::invalid_argument("engine: " + problems.front());
    build_rules();
    build_directory();
    output_on.resize(config.alarm_outputs.size());
  }

  // Queues what a call between two steps produced, for the next step's output.
  void queue(EngineOutput&& tmp) {
    for (auto& e : tmp.events) queued_events.push_back(std::move(e));
  }

  bool acknowledge_slot(Slot& s, const std::string& user, const std::string& comment,
                        std::int64_t now_ms) {
    if (!s.rule.is_active() || s.rule.acknowledged()) return false;
    const auto tr = s.rule.acknowledge();
    s.acknowledged_by = user;
    s.acknowledged_ms = now_ms;
    std::string text = s.source + " " + s.rule.config().name + " acknowledged by " + user;
    if (!comment.empty()) text += ": " + comment;
    queued_events.push_back(
        make_event(model::EventKind::alarm_acknowledged, s.rule.config().severity, now_ms, s.source,
                   s.rule.config().name, std::move(text), s.rule.last_value(), user));
    if (tr == Transition::cleared) {
      EngineOutput tmp;
      emit_transition(s, tr, now_ms, tmp);
      queue(std::move(tmp));
    }
    return true;
  }

  // Every limit-derived piece of state follows `config` (rule limits keep their alarm state).
  void apply_config() {
    for (auto& ctx : strings) {
      ctx.limits = &config.limits(ctx.cfg->id);
      const auto b = battery_configs(*ctx.limits, *ctx.type, config);
      const auto st = string_configs(*ctx.limits, *ctx.type, ctx.cfg->batteries, config);
      for (std::size_t k = 0; k < static_cast<std::size_t>(ctx.cfg->batteries); ++k) {
        for (int r = 0; r < kBatteryRules; ++r) {
          slots[ctx.first_battery_slot + k * kBatteryRules + static_cast<std::size_t>(r)]
              .rule.reconfigure(b.rule[r]);
        }
      }
      for (int r = 0; r < kStringRules; ++r)
        slots[ctx.first_string_slot + static_cast<std::size_t>(r)].rule.reconfigure(st.rule[r]);
      ctx.protection->set_mismatch_delay(ctx.limits->string.relay_mismatch_delay_ms);
      ctx.estimator->set_capacity_test(ctx.limits->string.capacity_test_end_per_cell_V,
                                       ctx.limits->string.capacity_test_max_rate_C);
    }
    for (const auto& in : inputs) {
      auto& s = slots[in.slot];
      s.rule.reconfigure(flag("digital_input", Severity::alarm, config.input_debounce_ms,
                              config.input_debounce_ms));
    }
    if (watchdog_slot) {
      slots[*watchdog_slot].rule.reconfigure(
          flag("mc_watchdog_tripped", Severity::alarm, config.input_debounce_ms, 0));
    }
    if (!custom_equalization)
      equalization = std::make_unique<VoltageEqualization>(config.equalization);
  }

  void alarm_outputs(std::int64_t now_ms, EngineOutput& out);

  std::size_t add_slot(ConfigPtr cfg, std::string source, std::string text = {}) {
    auto key = source + ":" + cfg->name;
    by_key.emplace(key, slots.size());
    const bool ventilation = is_ventilation_rule(cfg->name);
    slots.push_back(Slot{AlarmRule(std::move(cfg)),
                         std::move(source),
                         std::move(key),
                         std::move(text),
                         ventilation,
                         false,
                         {},
                         {},
                         0});
    return slots.size() - 1;
  }

  static std::optional<ChannelId> io_input(const model::PlantChannels& plant,
                                           const model::IoPoint& p) {
    for (const auto& m : plant.io) {
      if (m.lc == p.lc && p.index >= 1 && static_cast<std::size_t>(p.index) <= m.inputs.size()) {
        return m.inputs[static_cast<std::size_t>(p.index - 1)];
      }
    }
    return std::nullopt;
  }

  void build_rules() {
    std::size_t total = 0;
    for (const auto& s : site.strings)
      total += static_cast<std::size_t>(s.batteries) * kBatteryRules + kStringRules;
    slots.reserve(total + site.mc.inputs.size() + 1);
    by_key.reserve(total + site.mc.inputs.size() + 1);
    const auto& ec = config;
    for (const auto& s : site.strings) {
      StringCtx ctx;
      ctx.cfg = &s;
      ctx.ch = plant.find_string(s.id);
      ctx.type = site.find_battery_type(s.battery_type);
      if (ctx.ch == nullptr || ctx.ch->batteries.size() != static_cast<std::size_t>(s.batteries)) {
        throw std::invalid_argument("engine: no plant channels for string " + std::to_string(s.id));
      }
      if (ctx.type == nullptr) {
        throw std::invalid_argument("engine: string " + std::to_string(s.id) +
                                    " has unknown battery type " + s.battery_type);
      }
      ctx.limits = &ec.limits(s.id);
      const auto b = battery_configs(*ctx.limits, *ctx.type, ec);
      const auto st = string_configs(*ctx.limits, *ctx.type, s.batteries, ec);
      ctx.first_battery_slot = slots.size();
      for (int p = 1; p <= s.batteries; ++p) {
        const auto bid = model::battery_id(s.id, p);
        for (const auto& cfg : b.rule) add_slot(cfg, bid);
      }
      ctx.first_string_slot = slots.size();
      for (const auto& cfg : st.rule) add_slot(cfg, model::string_id(s.id));
      if (s.ambient_th != 0) {
        for (const auto& a : plant.ambients) {
          if (a.th_index == s.ambient_th) ctx.ambient = a.temperature;
        }
      }
      if (s.relay_feedback) ctx.feedback = io_input(plant, *s.relay_feedback);
      ctx.baselines.resize(static_cast<std::size_t>(s.batteries));
      ctx.balancing_on.assign(static_cast<std::size_t>(s.batteries), false);
      ctx.volts.resize(static_cast<std::size_t>(s.batteries));
      ctx.temps.resize(static_cast<std::size_t>(s.batteries));
      ctx.last_resistance_mOhm.resize(static_cast<std::size_t>(s.batteries));
      ctx.float_suppressed_until_ms.assign(static_cast<std::size_t>(s.batteries), 0);
      ctx.trend.resize(static_cast<std::size_t>(s.batteries));
      ctx.protection = std::make_unique<Protection>(
          ProtectionConfig{s.id, s.disconnect_relay, ctx.limits->string.relay_mismatch_delay_ms});
      ctx.estimator = std::make_unique<StringEstimator>(
          s.id, estimation_config(*ctx.type, s.batteries, ctx.limits->string));
      strings.push_back(std::move(ctx));
    }
    if (site.mc.present) {
      for (const auto& in : site.mc.inputs) {
        const auto ch = io_input(plant, in.point);
        if (!ch) continue;
        const auto src = in.point.lc == 0 ? "mc/input/" + std::to_string(in.point.index)
                                          : "lc/" + std::to_string(in.point.lc) + "/input/" +
                                                std::to_string(in.point.index);
        const auto text = in.alarm_text.empty() ? in.name : in.alarm_text;
        inputs.push_back(
            InputSlot{add_slot(flag("digital_input", Severity::alarm, config.input_debounce_ms,
                                    config.input_debounce_ms),
                               src, text),
                      *ch, in.active_high});
      }
      watchdog_slot =
          add_slot(flag("mc_watchdog_tripped", Severity::alarm, config.input_debounce_ms, 0), "mc",
                   "Master controller watchdog tripped: outputs in their safe state");
      watchdog_channel = plant.mc_watchdog_tripped;
    }
  }

  void build_directory() {
    auto& d = *directory;
    for (auto& ctx : strings) {
      const auto sid = model::string_id(ctx.cfg->id);
      for (int p = 1; p <= ctx.cfg->batteries; ++p) {
        const auto bid = model::battery_id(ctx.cfg->id, p);
        ctx.battery_out.push_back(
            DerivedBattery{d.add(model::channel_name(bid, "soc"), "%"),
                           d.add(model::channel_name(bid, "soh"), "%"),
                           d.add(model::channel_name(bid, "status"), ""),
                           d.add(model::channel_name(bid, "alarm_bits"), ""),
                           d.add(model::channel_name(bid, "resistance_baseline"), "mΩ"),
                           d.add(model::channel_name(bid, "balancing_command"), "")});
      }
      ctx.out = DerivedString{d.add(model::channel_name(sid, "soc"), "%"),
                              d.add(model::channel_name(sid, "state"), ""),
                              d.add(model::channel_name(sid, "status"), ""),
                              d.add(model::channel_name(sid, "alarm_bits"), ""),
                              d.add(model::channel_name(sid, "balance"), "%"),
                              d.add(model::channel_name(sid, "spread"), "V"),
                              d.add(model::channel_name(sid, "stddev"), "V"),
                              d.add(model::channel_name(sid, "protection"), ""),
                              d.add(model::channel_name(sid, "relay_closed"), ""),
                              d.add(model::channel_name(sid, "runtime"), "min")};
    }
    for (const auto& u : site.upses) {
      const auto uid = model::ups_id(u.id);
      ups_out.emplace_back(u.id, DerivedUps{d.add(model::channel_name(uid, "status"), ""),
                                            d.add(model::channel_name(uid, "voltage"), "V"),
                                            d.add(model::channel_name(uid, "current"), "A"),
                                            d.add(model::channel_name(uid, "soc"), "%"),
                                            d.add(model::channel_name(uid, "runtime"), "min"),
                                            d.add(model::channel_name(uid, "alarm_bits"), ""),
                                            d.add(model::channel_name(uid, "on_battery"), "")});
    }
    site_active = d.add("site/active_alarms", "");
    site_unacked = d.add("site/unacknowledged_alarms", "");
  }

  model::Event make_event(model::EventKind kind, Severity sev, std::int64_t now_ms,
                          std::string source, std::string rule, std::string text,
                          double value = 0.0, std::string user = {}) {
    model::Event e;
    e.id = next_event_id++;
    e.time_ms = now_ms;
    e.kind = kind;
    e.severity = sev;
    e.source = std::move(source);
    e.rule = std::move(rule);
    e.text = std::move(text);
    e.user = std::move(user);
    e.value = value;
    return e;
  }

  void emit_transition(Slot& s, Transition tr, std::int64_t now_ms, EngineOutput& out) {
    if (tr == Transition::none) return;
    const auto& c = s.rule.config();
    const bool raised = tr == Transition::raised;
    std::string text = s.source + " " + c.name + (raised ? " raised" : " cleared");
    if (!s.text.empty()) {
      text += ": " + s.text;
    } else if (!c.boolean_condition) {  // analog rule: say value and limit
      text +=
          ": " + fmt_value(s.rule.last_value()) +
          (c.direction == Direction::high ? (raised ? " > " : " <= ") : (raised ? " < " : " >= ")) +
          fmt_value(raised ? c.limit : c.reset);
    }
    if (raised) {
      s.raised_text = text;
      s.acknowledged_by.clear();
      s.acknowledged_ms = 0;
    }
    out.events.push_back(
        make_event(raised ? model::EventKind::alarm_raised : model::EventKind::alarm_cleared,
                   raised ? c.severity : Severity::info, now_ms, s.source, c.name, std::move(text),
                   s.rule.last_value()));
  }

  void feed(std::size_t slot, std::optional<double> v, Quality q, std::int64_t now_ms,
            EngineOutput& out) {
    auto& s = slots[slot];
    emit_transition(s, s.rule.update(v, q, now_ms), now_ms, out);
  }
  void feed_flag(std::size_t slot, bool condition, std::int64_t now_ms, EngineOutput& out) {
    feed(slot, condition ? 1.0 : 0.0, Quality::ok, now_ms, out);
  }

  static std::optional<double> good(const model::Sample& s) {
    if (s.quality != Quality::ok || !std::isfinite(s.value)) return std::nullopt;
    return s.value;
  }

  EngineOutput step(const model::Snapshot& plant, std::int64_t now_ms);
};

EngineOutput Engine::Impl::step(const model::Snapshot& plant, std::int64_t now_ms) {
  EngineOutput out;
  out.events = std::move(queued_events);
  out.commands = std::move(queued_commands);
  queued_events.clear();
  queued_commands.clear();
  const auto& smp = plant.samples;
  const auto at = [&](ChannelId id) -> const model::Sample& {
    static const model::Sample kMissing{};  // comm_lost
    return id < smp.size() ? smp[id] : kMissing;
  };

  auto derived = std::make_shared<model::Snapshot>();
  derived->channels = directory;
  derived->samples.assign(directory->size(), model::Sample{0.0, now_ms, Quality::invalid});
  derived->sequence = ++sequence;
  derived->time_ms = now_ms;
  auto put = [&](ChannelId id, double v, Quality q = Quality::ok) {
    derived->samples[id] = {v, now_ms, q};
  };

  for (auto& ctx : strings) {
    const auto& s = *ctx.cfg;
    const auto& bl = ctx.limits->battery;
    const auto& sl = ctx.limits->string;
    const double cells = ctx.type->cells;
    const double C = ctx.type->capacity_Ah;
    const auto n = static_cast<std::size_t>(s.batteries);

    const auto& cur_s = at(ctx.ch->current);
    const auto current = s.hs_address != 0 ? good(cur_s) : std::nullopt;
    const auto& volt_s = at(ctx.ch->voltage);
    const auto string_v = s.gs_address != 0 ? good(volt_s) : std::nullopt;
    const std::optional<double> ambient = ctx.ambient ? good(at(*ctx.ambient)) : std::nullopt;
    std::optional<bool> feedback;
    if (ctx.feedback) {
      if (const auto f = good(at(*ctx.feedback))) feedback = *f >= 0.5;
    }

    // Estimation first: the state decides suppression and equalization.
    StringReadings rd;
    // Connected as fed back; without feedback as commanded (a string without a relay cannot be
    // opened by us, so it stays connected as far as estimation knows).
    rd.connected =
        feedback ? *feedback : (!s.disconnect_relay || ctx.protection->commanded_closed());
    rd.current_A = current;
    rd.voltage_V = string_v;
    for (std::size_t k = 0; k < n; ++k) {
      const auto& bc = ctx.ch->batteries[k];
      ctx.volts[k] = good(at(bc.voltage));
      ctx.temps[k] = good(at(bc.temperature));
    }
    rd.battery_voltage_V = ctx.volts;
    const auto change = ctx.estimator->update(rd, now_ms);
    const auto state = ctx.estimator->state();
    if (change == StringEstimator::Change::discharge_started) {
      out.events.push_back(make_event(
          model::EventKind::discharge_started, Severity::info, now_ms, model::string_id(s.id), "",
          "String " + std::to_string(s.id) + " discharge started", current.value_or(0.0)));
    } else if (change == StringEstimator::Change::discharge_ended &&
               ctx.estimator->last_discharge()) {
      const auto& rec = *ctx.estimator->last_discharge();
      out.events.push_back(make_event(model::EventKind::discharge_ended, Severity::info, now_ms,
                                      model::string_id(s.id), "", describe(rec), rec.ah_out));
      out.finished_discharges.push_back(rec);
    }
    if (state == model::StringState::discharge) ctx.low_suppressed = true;
    if (ctx.low_suppressed &&
        (state == model::StringState::float_charge || state == model::StringState::equalizing)) {
      // Recovered only once back in the float band: the bulk recharge after a discharge runs
      // below it (a half-discharged 12 V block charges at ~12.2-12.6 V at the current limit),
      // and "float_charge" already covers that recharge.
      std::optional<double> v_string = string_v;
      if (!v_string) {
        double sum = 0.0;
        bool all = true;
        for (const auto& v : ctx.volts) {
          if (v)
            sum += *v;
          else
            all = false;
        }
        if (all && n > 0) v_string = sum;
      }
      const double cells_in_string = cells * static_cast<double>(n);
      const EstimationConfig band;
      if (v_string && cells_in_string > 0.0 &&
          *v_string / cells_in_string >=
              ctx.type->float_voltage_per_cell_V - band.float_band_below_per_cell_V) {
        ctx.low_suppressed = false;
      }
    }

    // Batteries.
    double coolest_C = 1e9;
    for (const auto& t : ctx.temps) {
      if (t) coolest_C = std::min(coolest_C, *t);
    }
    // Runaway reference: the ambient, else the coolest battery of the string. Plain double + flag
    // because GCC mis-warns (maybe-uninitialized) on an optional here.
    const bool has_reference = ambient.has_value() || coolest_C < 1e9;
    const double reference_C = ambient ? *ambient : coolest_C;
    // ΔT trend filters: the same step for every battery of the string.
    const double window_ms =
        static_cast<double>(std::max<std::int64_t>(sl.runaway_rise_window_ms, 4));
    const double tau_fast_ms = window_ms / 4.0;
    const double tau_slow_ms = window_ms;
    double a_fast = 1.0, a_slow = 1.0;
    if (ctx.last_step_ms && now_ms > *ctx.last_step_ms) {
      const double dt_ms = static_cast<double>(now_ms - *ctx.last_step_ms);
      a_fast = 1.0 - std::exp(-dt_ms / tau_fast_ms);
      a_slow = 1.0 - std::exp(-dt_ms / tau_slow_ms);
    }
    ctx.last_step_ms = now_ms;
    const double rise_threshold_K = sl.runaway_rise_K_per_h * (tau_slow_ms - tau_fast_ms) / 3600e3;
    ctx.runaway_battery.assign(n, 0);
    bool runaway_hot = false;
    bool any_battery_alarm = false;
    bool any_battery_comm_lost = false;
    std::uint16_t string_bits = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const auto& bc = ctx.ch->batteries[k];
      const std::size_t base = ctx.first_battery_slot + k * kBatteryRules;
      const auto& vs = at(bc.voltage);
      const auto& ts = at(bc.temperature);
      const auto& rs = at(bc.resistance);
      const auto& t = ctx.temps[k];
      // Temperature compensation: the reading expressed at 25 °C (no temperature: as read).
      std::optional<double> v25 = ctx.volts[k];
      if (v25 && t) *v25 -= bl.temp_comp_per_cell_V_per_C * cells * (*t - 25.0);
      // A resistance test (a new reading) disturbs the float voltage for a while.
      const auto r = good(rs);
      auto& last_r = ctx.last_resistance_mOhm[k];
      if (r) {
        if (last_r && *last_r != *r) {
          ctx.float_suppressed_until_ms[k] = now_ms + bl.resistance_test_suppression_ms;
        }
        last_r = r;
      }
      const bool float_suppressed = now_ms < ctx.float_suppressed_until_ms[k];
      // Suppressed: fed as unusable, so nothing counted before the discharge carries over.
      if (float_suppressed) {
        feed(base + kVHigh, std::nullopt, Quality::invalid, now_ms, out);
      } else {
        feed(base + kVHigh, v25, v25 ? Quality::ok : vs.quality, now_ms, out);
      }
      if (ctx.low_suppressed || float_suppressed) {
        feed(base + kVLow, std::nullopt, Quality::invalid, now_ms, out);
      } else {
        feed(base + kVLow, v25, v25 ? Quality::ok : vs.quality, now_ms, out);
      }
      feed(base + kTWarn, ts.value, ts.quality, now_ms, out);
      feed(base + kTAlarm, ts.value, ts.quality, now_ms, out);
      feed(base + kTTrip, ts.value, ts.quality, now_ms, out);
      std::optional<double> dt;
      if (t && ambient) dt = *t - *ambient;
      feed(base + kDt, dt, dt ? Quality::ok : Quality::invalid, now_ms, out);
      if (t && has_reference) {
        const double dt_ref = *t - reference_C;
        auto& tr = ctx.trend[k];
        if (!tr.primed || static_cast<double>(now_ms - tr.last_ms) > tau_fast_ms) {
          tr = DeltaTTrend{dt_ref, dt_ref, true, now_ms, now_ms};
        } else {
          tr.fast_K += a_fast * (dt_ref - tr.fast_K);
          tr.slow_K += a_slow * (dt_ref - tr.slow_K);
          tr.last_ms = now_ms;
        }
        const bool trend_known = static_cast<double>(now_ms - tr.watched_since_ms) >= window_ms;
        if (dt_ref > sl.runaway_delta_t_K &&
            (!trend_known || tr.fast_K - tr.slow_K > rise_threshold_K)) {
          ctx.runaway_battery[k] = 1;
          runaway_hot = true;
        }
      }

      auto& b = ctx.baselines[k];
      if (r && *r > 0.0 && !b.value_mOhm) {
        b.sum_mOhm += *r;
        if (++b.count >= bl.resistance_baseline_samples) b.value_mOhm = b.sum_mOhm / b.count;
      }
      std::optional<double> r_pct;
      if (r && b.value_mOhm) r_pct = (*r / *b.value_mOhm - 1.0) * 100.0;
      feed(base + kRWarn, r_pct, r_pct ? Quality::ok : Quality::invalid, now_ms, out);
      feed(base + kRAlarm, r_pct, r_pct ? Quality::ok : Quality::invalid, now_ms, out);
      const bool comm = vs.quality == Quality::comm_lost || ts.quality == Quality::comm_lost ||
                        rs.quality == Quality::comm_lost;
      feed_flag(base + kBComm, comm, now_ms, out);
      // SOH: the lower of the resistance estimate and the capacity measured in a discharge.
      const double ref = ctx.type->resistance_new_mOhm > 0.0 ? ctx.type->resistance_new_mOhm
                                                             : b.value_mOhm.value_or(0.0);
      std::optional<double> soh;
      if (r && ref > 0.0) soh = std::clamp(100.0 - 40.0 * (*r / ref - 1.0), 0.0, 100.0);
      if (const auto cap = ctx.estimator->measured_capacity_pct()) {
        soh = std::min(soh.value_or(100.0), std::clamp(*cap, 0.0, 100.0));
      }
      feed(base + kSohLow, soh, soh ? Quality::ok : Quality::invalid, now_ms, out);

      std::uint16_t bits = 0;
      bool alarm_level = false;
      for (int rr = 0; rr < kBatteryRules; ++rr) {
        const auto& rule = slots[base + static_cast<std::size_t>(rr)].rule;
        if (rule.is_active()) {
          bits |= kBatteryBits[rr];
          if (rule.config().severity >= Severity::alarm) alarm_level = true;
        }
      }
      if (bits & model::kBatteryCommLost) any_battery_comm_lost = true;
      if (bits != 0) any_battery_alarm = true;
      const auto& d = ctx.battery_out[k];
      put(d.alarm_bits, bits);
      put(d.status,
          static_cast<double>(alarm_level ? model::DeviceStatus::error : model::DeviceStatus::ok));
      put(d.soc, ctx.estimator->soc_pct());
      if (b.value_mOhm) put(d.resistance_baseline, *b.value_mOhm);
      if (soh) put(d.soh, *soh);
      if (bits & model::kBatterySohLow) string_bits |= model::kStringSohLow;
    }

    // String rules.
    const std::size_t sb = ctx.first_string_slot;
    feed(sb + kSVHigh, string_v, string_v ? Quality::ok : volt_s.quality, now_ms, out);
    feed(sb + kSVLow, string_v, string_v ? Quality::ok : volt_s.quality, now_ms, out);
    feed(sb + kIHigh, current, current ? Quality::ok : cur_s.quality, now_ms, out);
    feed(sb + kILow, current, current ? Quality::ok : cur_s.quality, now_ms, out);
    std::optional<double> ins;
    if (string_v && *string_v > 1.0) {
      const auto rp = good(at(ctx.ch->insulation_pos));
      const auto rn = good(at(ctx.ch->insulation_neg));
      if (rp && rn) ins = std::min(*rp, *rn) * 1000.0 / *string_v;  // kΩ -> Ω, per volt
    }
    feed(sb + kInsWarn, ins, ins ? Quality::ok : Quality::invalid, now_ms, out);
    feed(sb + kInsAlarm, ins, ins ? Quality::ok : Quality::invalid, now_ms, out);
    // Thermal runaway needs a trustworthy current; without one the condition cannot be judged.
    if (current) {
      feed_flag(sb + kRunaway, runaway_hot && *current > sl.runaway_float_current_C * C, now_ms,
                out);
    } else {
      feed(sb + kRunaway, std::nullopt, Quality::invalid, now_ms, out);
    }
    if (slots[sb + kRunaway].rule.is_active()) {
      // Mark the batteries that are hot enough to be part of the runaway.
      for (std::size_t k = 0; k < n; ++k) {
        if (ctx.runaway_battery[k] != 0) {
          auto& bits = derived->samples[ctx.battery_out[k].alarm_bits].value;
          bits =
              static_cast<double>(static_cast<std::uint16_t>(bits) | model::kBatteryThermalRunaway);
        }
      }
    }
    feed_flag(sb + kCurrentInvalid,
              s.hs_address != 0 &&
                  (cur_s.quality == Quality::invalid || cur_s.quality == Quality::comm_lost),
              now_ms, out);
    feed_flag(sb + kSComm,
              (s.gs_address != 0 && volt_s.quality == Quality::comm_lost) ||
                  (s.hs_address != 0 && cur_s.quality == Quality::comm_lost),
              now_ms, out);

    // Protection.
    bool trip_cause = false;
    std::string cause;
    const auto scan_trips = [&](std::size_t from, std::size_t count) {
      for (std::size_t i = from; i < from + count; ++i) {
        const auto& sl2 = slots[i];
        if (sl2.rule.is_active() && sl2.rule.config().severity == Severity::trip) {
          if (!trip_cause) cause = sl2.key + " (" + fmt_value(sl2.rule.last_value()) + ")";
          trip_cause = true;
        }
      }
    };
    scan_trips(ctx.first_battery_slot, n * kBatteryRules);
    scan_trips(sb, kStringRules);
    const bool fatal = slots[sb + kRunaway].rule.is_active();
    if (fatal) cause = "thermal runaway (" + cause + ")";
    bool other_closed = false;
    for (const auto& o : strings) {
      if (&o != &ctx && o.cfg->ups_id == s.ups_id && o.protection->closed_for_ups())
        other_closed = true;
    }
    auto po = ctx.protection->step(
        ProtectionInputs{trip_cause, fatal, !other_closed, cause, feedback}, now_ms);
    for (auto& e : po.events) {
      e.id = next_event_id++;
      out.events.push_back(std::move(e));
    }
    out.commands.insert(out.commands.end(), po.commands.begin(), po.commands.end());
    feed_flag(sb + kMismatch, ctx.protection->relay_mismatch(), now_ms, out);
    feed(sb + kSocLow, ctx.estimator->soc_pct(), Quality::ok, now_ms, out);

    // Equalization.
    if (equalization) {
      EqualizationInput eq;
      eq.string_id = s.id;
      eq.state = config.equalization_enabled ? state : model::StringState::idle;  // idle = all off
      eq.cells_per_battery = ctx.type->cells;
      eq.voltage_V = ctx.volts;
      eq.temperature_C = ctx.temps;
      eq.balancing_on = ctx.balancing_on;
      for (const auto& cmd : equalization->decide(eq)) {
        if (cmd.position < 1 || static_cast<std::size_t>(cmd.position) > n) continue;
        ctx.balancing_on[static_cast<std::size_t>(cmd.position - 1)] = cmd.on;
        out.commands.emplace_back(cmd);
      }
    }
    for (std::size_t k = 0; k < n; ++k)
      put(ctx.battery_out[k].balancing_command, ctx.balancing_on[k] ? 1.0 : 0.0);

    // String derived channels.
    bool string_alarm = any_battery_alarm;
    for (int rr = 0; rr < kStringRules; ++rr) {
      const auto& rule = slots[sb + static_cast<std::size_t>(rr)].rule;
      if (rule.is_active()) {
        string_bits |= kStringBits[rr];
        if (rule.config().severity >= Severity::alarm) string_alarm = true;
      }
    }
    if (any_battery_alarm) string_bits |= model::kStringBatteryAlarm;
    if (any_battery_comm_lost) string_bits |= model::kStringCommLost;
    const auto stats = voltage_stats(ctx.volts);
    put(ctx.out.soc, ctx.estimator->soc_pct());
    put(ctx.out.state, static_cast<double>(state));
    put(ctx.out.status,
        static_cast<double>(string_alarm ? model::DeviceStatus::error : model::DeviceStatus::ok));
    put(ctx.out.alarm_bits, string_bits);
    if (stats.count > 0) {
      put(ctx.out.balance, balance_index_pct(stats.spread_V, ctx.type->cells));
      put(ctx.out.spread, stats.spread_V);
      put(ctx.out.stddev, stats.stddev_V);
    }
    put(ctx.out.protection, static_cast<double>(ctx.protection->state()));
    if (feedback) put(ctx.out.relay_closed, *feedback ? 1.0 : 0.0);
    if (const auto rt = ctx.estimator->runtime_min()) put(ctx.out.runtime, *rt);
  }

  // Site inputs.
  for (const auto& in : inputs) {
    const auto& smp_in = at(in.channel);
    if (const auto v = good(smp_in)) {
      feed_flag(in.slot, in.active_high ? *v >= 0.5 : *v < 0.5, now_ms, out);
    } else {
      feed(in.slot, std::nullopt, smp_in.quality, now_ms, out);
    }
  }
  if (watchdog_slot) {
    const auto& w = at(watchdog_channel);
    if (const auto v = good(w))
      feed_flag(*watchdog_slot, *v >= 0.5, now_ms, out);
    else
      feed(*watchdog_slot, std::nullopt, w.quality, now_ms, out);
  }

  // UPSs: strings in parallel.
  for (const auto& [ups, d] : ups_out) {
    double v_sum = 0.0, i_sum = 0.0, soc_sum = 0.0, ah_left = 0.0, i_dis = 0.0;
    int v_n = 0, n_str = 0, i_n = 0;
    bool error = false, on_battery = false, disconnected = false;
    for (const auto& ctx : strings) {
      if (ctx.cfg->ups_id != ups) continue;
      ++n_str;
      const auto& dv = derived->samples;
      if (dv[ctx.out.status].value == static_cast<double>(model::DeviceStatus::error)) error = true;
      const auto st = ctx.estimator->state();
      if (st == model::StringState::discharge) on_battery = true;
      if (st == model::StringState::disconnected) disconnected = true;
      if (ctx.cfg->gs_address != 0) {
        if (const auto v = good(at(ctx.ch->voltage))) {
          v_sum += *v;
          ++v_n;
        }
      }
      if (ctx.cfg->hs_address != 0) {
        if (const auto i = good(at(ctx.ch->current))) {
          i_sum += *i;
          ++i_n;
        }
      }
      soc_sum += ctx.estimator->soc_pct();
      if (st != model::StringState::disconnected) ah_left += ctx.estimator->remaining_Ah();
      if (const auto id = ctx.estimator->discharge_current_A()) i_dis += *id;
    }
    if (n_str == 0) continue;
    std::uint16_t bits = 0;
    put(d.status,
        static_cast<double>(error ? model::DeviceStatus::error : model::DeviceStatus::ok));
    if (v_n > 0) put(d.voltage, v_sum / v_n);
    if (i_n > 0) put(d.current, i_sum);
    put(d.soc, soc_sum / n_str);
    if (on_battery && i_dis > 0.0) {
      const double rt = ah_left / i_dis * 60.0;
      put(d.runtime, rt);
      if (rt < config.runtime_low_min) bits |= model::kUpsRuntimeLow;
    }
    if (on_battery) bits |= model::kUpsOnBattery;
    if (error) bits |= model::kUpsStringError;
    if (disconnected) bits |= model::kUpsStringDisconnected;
    put(d.alarm_bits, bits);
    put(d.on_battery, on_battery ? 1.0 : 0.0);
  }

  int active = 0, unacked = 0;
  for (const auto& s : slots) {
    if (!s.rule.is_active()) continue;
    ++active;
    if (!s.rule.acknowledged()) ++unacked;
  }
  put(site_active, active);
  put(site_unacked, unacked);
  alarm_outputs(now_ms, out);
  out.derived = std::move(derived);
  return out;
}

void Engine::Impl::alarm_outputs(std::int64_t /*now_ms*/, EngineOutput& out) {
  for (auto& r : released_outputs) out.commands.emplace_back(r);
  released_outputs.clear();
  if (config.alarm_outputs.empty()) return;
  bool any_alarm = false, any_warning = false, any_unacked = false, any_trip = false,
       ventilation = false;
  for (const auto& s : slots) {
    if (!s.rule.is_active()) continue;
    const auto sev = s.rule.config().severity;
    if (sev >= Severity::alarm) any_alarm = true;
    if (sev == Severity::warning) any_warning = true;
    if (sev == Severity::trip) any_trip = true;
    if (!s.rule.acknowledged()) any_unacked = true;
    if (s.ventilation) ventilation = true;
  }
  for (const auto& ctx : strings) {
    if (ctx.protection->state() == model::ProtectionState::tripped) any_trip = true;
  }
  for (std::size_t i = 0; i < config.alarm_outputs.size(); ++i) {
    const auto& o = config.alarm_outputs[i];
    bool on = false;
    switch (o.trigger) {
      case AlarmOutputTrigger::common_alarm:
        on = any_alarm;
        break;
      case AlarmOutputTrigger::common_warning:
        on = any_warning;
        break;
      case AlarmOutputTrigger::unacknowledged:
        on = any_unacked;
        break;
      case AlarmOutputTrigger::trip:
        on = any_trip;
        break;
      case AlarmOutputTrigger::ventilation:
        on = ventilation;
        break;
    }
    if (output_on[i] != on) {
      output_on[i] = on;
      out.commands.emplace_back(model::SetRelay{o.relay, on});
    }
  }
}

Engine::Engine(const model::Site& site, const model::PlantChannels& plant, EngineConfig config)
    : impl_(std::make_unique<Impl>(site, plant, std::move(config))) {}

Engine::~Engine() = default;

EngineOutput Engine::step(const model::Snapshot& plant, std::int64_t now_ms) {
  return impl_->step(plant, now_ms);
}

EngineOutput Engine::take_action_output() {
  EngineOutput out;
  out.events = std::move(impl_->queued_events);
  out.commands = std::move(impl_->queued_commands);
  impl_->queued_events.clear();
  impl_->queued_commands.clear();
  return out;
}

std::shared_ptr<const model::ChannelDirectory> Engine::derived_channels() const {
  return impl_->directory;
}

ActionResult Engine::acknowledge(std::string_view alarm_key, const std::string& user,
                                 std::int64_t now_ms, const std::string& comment) {
  auto& im = *impl_;
  if (alarm_key == "*") {
    int n = 0;
    for (auto& s : im.slots) {
      if (im.acknowledge_slot(s, user, comment, now_ms)) ++n;
    }
    return {true, std::to_string(n) + " alarm(s) acknowledged"};
  }
  const auto it = im.by_key.find(std::string(alarm_key));
  if (it == im.by_key.end()) return {false, "unknown alarm " + std::string(alarm_key)};
  auto& s = im.slots[it->second];
  if (!s.rule.is_active()) return {false, "alarm " + s.key + " is not active"};
  if (s.rule.acknowledged()) return {true, "alarm " + s.key + " was already acknowledged"};
  im.acknowledge_slot(s, user, comment, now_ms);
  return {true, "alarm " + s.key + " acknowledged"};
}

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

ActionResult Engine::acknowledge_all_of(std::string_view source, const std::string& user,
                                        const std::string& comment, std::int64_t now_ms) {
  auto& im = *impl_;
  // What lies under `source`: itself, its sub-IDs, and for a string its batteries, for a UPS
  // its strings and their batteries.
  std::vector<std::string> roots;
  if (!source.empty()) roots.emplace_back(source);
  const auto add_string = [&](int id) {
    roots.push_back(model::string_id(id));
    roots.push_back("battery/" + std::to_string(id));
  };
  if (starts_with(source, "string/")) {
    try {
      add_string(std::stoi(std::string(source.substr(7))));
    } catch (const std::exception&) {
    }
  } else if (starts_with(source, "ups/")) {
    for (const auto& ctx : im.strings) {
      if (model::ups_id(ctx.cfg->ups_id) == source) add_string(ctx.cfg->id);
    }
  }
  const auto under = [&](const std::string& src) {
    if (source.empty()) return true;
    for (const auto& r : roots) {
      if (src == r || (starts_with(src, r) && src.size() > r.size() && src[r.size()] == '/'))
        return true;
    }
    return false;
  };
  int n = 0;
  for (auto& s : im.slots) {
    if (under(s.source) && im.acknowledge_slot(s, user, comment, now_ms)) ++n;
  }
  return {true, std::to_string(n) + " alarm(s) of " +
                    (source.empty() ? std::string("the site") : std::string(source)) +
                    " acknowledged"};
}

ActionResult Engine::open_string(int string_id, const std::string& user, const std::string& reason,
                                 std::int64_t now_ms) {
  auto& im = *impl_;
  for (auto& ctx : im.strings) {
    if (ctx.cfg->id != string_id) continue;
    bool other_closed = false;
    for (const auto& o : im.strings) {
      if (&o != &ctx && o.cfg->ups_id == ctx.cfg->ups_id && o.protection->closed_for_ups())
        other_closed = true;
    }
    ProtectionOutput po;
    if (const auto refused =
            ctx.protection->open_manually(user, reason, !other_closed, now_ms, po)) {
      return {false, *refused};
    }
    for (auto& e : po.events) {
      e.id = im.next_event_id++;
      im.queued_events.push_back(std::move(e));
    }
    im.queued_commands.insert(im.queued_commands.end(), po.commands.begin(), po.commands.end());
    return {true, "string " + std::to_string(string_id) + " opened"};
  }
  return {false, "unknown string " + std::to_string(string_id)};
}

void Engine::set_config(const EngineConfig& config) {
  auto& im = *impl_;
  if (const auto problems = alarm_output_problems(config.alarm_outputs, im.site);
      !problems.empty()) {
    throw std::invalid_argument("engine: " + problems.front());
  }
  // Outputs that are no longer driven (or now driven by another trigger) are released first.
  std::vector<std::optional<bool>> kept(config.alarm_outputs.size());
  for (std::size_t i = 0; i < im.config.alarm_outputs.size(); ++i) {
    const auto& old = im.config.alarm_outputs[i];
    const auto it = std::find(config.alarm_outputs.begin(), config.alarm_outputs.end(), old);
    if (it != config.alarm_outputs.end()) {
      kept[static_cast<std::size_t>(it - config.alarm_outputs.begin())] = im.output_on[i];
    } else if (im.output_on[i].value_or(false)) {
      im.released_outputs.push_back(model::SetRelay{old.relay, false});
    }
  }
  const auto next_id = im.next_event_id;
  im.config = config;
  im.next_event_id = next_id;  // ids never go back
  im.output_on = std::move(kept);
  im.apply_config();
}

const EngineConfig& Engine::config() const {
  return impl_->config;
}

void Engine::set_system_condition(const std::string& source, const std::string& rule, bool active,
                                  model::Severity severity, const std::string& text,
                                  std::int64_t now_ms) {
  auto& im = *impl_;
  const auto key = source + ":" + rule;
  auto it = im.by_key.find(key);
  if (it == im.by_key.end()) {
    if (!active) return;  // never raised: nothing to clear
    const auto slot = im.add_slot(flag(rule, severity, 0, 0), source, text);
    im.slots[slot].system = true;
    it = im.by_key.find(key);
  }
  auto& s = im.slots[it->second];
  if (!s.system) return;  // an engine rule: not settable from outside
  if (s.rule.config().severity != severity) s.rule.reconfigure(flag(rule, severity, 0, 0));
  if (active) s.text = text;
  EngineOutput tmp;
  im.emit_transition(s, s.rule.update(active ? 1.0 : 0.0, Quality::ok, now_ms), now_ms, tmp);
  im.queue(std::move(tmp));
}

void Engine::record_event(model::Event event) {
  event.id = impl_->next_event_id++;
  impl_->queued_events.push_back(std::move(event));
}

void Engine::restore(const std::vector<model::Event>& log) {
  auto& im = *impl_;
  struct Seen {
    std::int64_t since_ms = 0;
    double value = 0.0;
    std::string text;
    bool acknowledged = false;
    std::string by;
    std::int64_t ack_ms = 0;
  };
  std::unordered_map<std::string, Seen> open;
  std::unordered_map<int, bool> tripped;
  std::uint64_t max_id = 0;
  for (const auto& e : log) {
    max_id = std::max(max_id, e.id);
    const auto key = e.source + ":" + e.rule;
    switch (e.kind) {
      case model::EventKind::alarm_raised:
        open[key] = Seen{e.time_ms, e.value, e.text, false, {}, 0};
        break;
      case model::EventKind::alarm_cleared:
        open.erase(key);
        break;
      case model::EventKind::alarm_acknowledged:
        if (const auto f = open.find(key); f != open.end()) {
          f->second.acknowledged = true;
          f->second.by = e.user;
          f->second.ack_ms = e.time_ms;
        }
        break;
      case model::EventKind::string_tripped:
      case model::EventKind::string_reset:
        if (starts_with(e.source, "string/")) {
          try {
            tripped[std::stoi(e.source.substr(7))] = e.kind == model::EventKind::string_tripped;
          } catch (const std::exception&) {
          }
        }
        break;
      default:
        break;
    }
  }
  for (const auto& [key, seen] : open) {
    const auto it = im.by_key.find(key);
    if (it == im.by_key.end()) continue;  // not ours (system conditions are re-reported)
    auto& s = im.slots[it->second];
    if (s.system) continue;
    s.rule.restore_active(seen.since_ms, seen.value, seen.acknowledged, false);
    s.raised_text = seen.text;
    s.acknowledged_by = seen.by;
    s.acknowledged_ms = seen.ack_ms;
  }
  for (const auto& [id, is_tripped] : tripped) {
    if (!is_tripped) continue;
    for (auto& ctx : im.strings) {
      if (ctx.cfg->id != id) continue;
      ProtectionOutput po;
      ctx.protection->restore_tripped(po);
      im.queued_commands.insert(im.queued_commands.end(), po.commands.begin(), po.commands.end());
    }
  }
  im.next_event_id = std::max(im.next_event_id, max_id + 1);
}

std::vector<model::DischargeRecord> Engine::running_discharges() const {
  std::vector<model::DischargeRecord> list;
  for (const auto& ctx : impl_->strings) {
    if (const auto& r = ctx.estimator->current_discharge()) list.push_back(*r);
  }
  return list;
}

ActionResult Engine::reset_string(int string_id, const std::string& user, const std::string& reason,
                                  std::int64_t now_ms) {
  auto& im = *impl_;
  for (auto& ctx : im.strings) {
    if (ctx.cfg->id != string_id) continue;
    ProtectionOutput po;
    if (const auto refused = ctx.protection->reset(user, reason, now_ms, po))
      return {false, *refused};
    for (auto& e : po.events) {
      e.id = im.next_event_id++;
      im.queued_events.push_back(std::move(e));
    }
    im.queued_commands.insert(im.queued_commands.end(), po.commands.begin(), po.commands.end());
    return {true, "string " + std::to_string(string_id) + " reset"};
  }
  return {false, "unknown string " + std::to_string(string_id)};
}

std::vector<ActiveAlarm> Engine::active_alarms() const {
  std::vector<ActiveAlarm> list;
  for (const auto& s : impl_->slots) {
    if (!s.rule.is_active()) continue;
    ActiveAlarm alarm;
    alarm.key = s.key;
    alarm.source = s.source;
    alarm.rule = s.rule.config().name;
    alarm.severity = s.rule.config().severity;
    alarm.since_ms = s.rule.since_ms();
    alarm.acknowledged = s.rule.acknowledged();
    alarm.text = s.raised_text;
    if (alarm.acknowledged) {
      alarm.acknowledged_by = s.acknowledged_by;
      alarm.acknowledged_ms = s.acknowledged_ms;
    }
    alarm.waiting_for_ack = s.rule.waiting_for_ack();
    alarm.value = s.rule.last_value();
    list.push_back(std::move(alarm));
  }
  return list;
}

void Engine::reset_resistance_baseline(int string_id, int position) {
  for (auto& ctx : impl_->strings) {
    if (ctx.cfg->id != string_id) continue;
    for (std::size_t k = 0; k < ctx.baselines.size(); ++k) {
      if (position == 0 || static_cast<std::size_t>(position) == k + 1)
        ctx.baselines[k] = Baseline{};
    }
  }
}

model::ProtectionState Engine::protection_state(int string_id) const {
  for (const auto& ctx : impl_->strings) {
    if (ctx.cfg->id == string_id) return ctx.protection->state();
  }
  throw std::invalid_argument("unknown string " + std::to_string(string_id));
}

std::optional<DischargeRecord> Engine::last_discharge(int string_id) const {
  for (const auto& ctx : impl_->strings) {
    if (ctx.cfg->id == string_id) return ctx.estimator->last_discharge();
  }
  return std::nullopt;
}

void Engine::set_equalization_strategy(std::unique_ptr<EqualizationStrategy> strategy) {
  impl_->equalization = std::move(strategy);
  impl_->custom_equalization = true;
}

}  // namespace btms::engine
