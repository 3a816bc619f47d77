// Construction of the engine and the stages of one step, in the documented order:
// facts -> alarms -> protection -> equalization -> estimation and publication
// (engine_publish.cpp). Operator actions: engine_actions.cpp.
#include "engine/engine.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/alarm_text.hpp"
#include "engine/engine_impl.hpp"
#include "model/ids.hpp"

namespace btms::engine {

using model::ChannelId;
using model::Quality;
using model::Severity;

namespace {

std::optional<double> good(const model::Sample& s) {
  if (s.quality != Quality::ok || !std::isfinite(s.value)) return std::nullopt;
  return s.value;
}

const model::Sample& sample_at(const model::Snapshot& snap, ChannelId id) {
  static const model::Sample kMissing{0.0, 0, Quality::comm_lost};
  return id < snap.samples.size() ? snap.samples[id] : kMissing;
}

std::optional<ChannelId> io_input(const model::PlantChannels& plant, const model::IoPoint& p) {
  for (const auto& m : plant.io) {
    if (m.lc == p.lc && p.index >= 1 && static_cast<std::size_t>(p.index) <= m.inputs.size())
      return m.inputs[static_cast<std::size_t>(p.index - 1)];
  }
  return std::nullopt;
}

EstimationConfig estimation_config(const model::BatteryType& type, int batteries,
                                   const StringLimits& sl) {
  EstimationConfig est;
  est.capacity_Ah = type.capacity_Ah;
  est.battery = type;
  est.cells_in_string = type.cells * batteries;
  est.float_voltage_per_cell_V = type.float_voltage_per_cell_V;
  est.capacity_test_end_per_cell_V = sl.capacity_test_end_per_cell_V;
  est.capacity_test_max_rate_C = sl.capacity_test_max_rate_C;
  return est;
}

void set_fact(StringStepFacts& f, StringFact fact, std::optional<double> value,
              Quality when_missing) {
  f.value[fact] = value;
  f.quality[fact] = value ? Quality::ok : when_missing;
}

}  // namespace

Engine::Impl::Impl(const model::Site& s, const model::PlantChannels& p, EngineConfig c)
    : site(s),
      plant(p),
      config(std::move(c)),
      derived_ids(model::build_derived_channels(site)),
      board(config.first_event_id),
      outputs(config.alarm_outputs.size()),
      equalization(std::make_unique<VoltageEqualization>(config.equalization)) {
  if (const auto problems = alarm_output_problems(config.alarm_outputs, site); !problems.empty())
    throw std::invalid_argument("engine: " + problems.front());
  std::size_t total = site.mc.inputs.size() + 1;
  for (const auto& str : site.strings) {
    total += static_cast<std::size_t>(str.batteries) * battery_rule_table().size() +
             string_rule_table().size();
  }
  board.reserve(total);
  strings.reserve(site.strings.size());
  for (std::size_t i = 0; i < site.strings.size(); ++i)
    build_string(site.strings[i], derived_ids.strings[i]);
  build_inputs();
}

RuleScale Engine::Impl::scale(const StringCtx& ctx) const {
  return RuleScale{*ctx.limits, static_cast<double>(ctx.type->cells),
                   static_cast<double>(ctx.type->cells) * ctx.cfg->batteries,
                   ctx.type->capacity_Ah};
}

void Engine::Impl::build_string(const model::String& s, const model::DerivedStringChannels& out) {
  StringCtx ctx;
  ctx.cfg = &s;
  ctx.ch = plant.find_string(s.id);
  ctx.type = site.find_battery_type(s.battery_type);
  ctx.out = &out;
  if (ctx.ch == nullptr || ctx.ch->batteries.size() != static_cast<std::size_t>(s.batteries))
    throw std::invalid_argument("engine: no plant channels for string " + std::to_string(s.id));
  if (ctx.type == nullptr) {
    throw std::invalid_argument("engine: string " + std::to_string(s.id) +
                                " has unknown battery type " + s.battery_type);
  }
  ctx.limits = &config.limits(s.id);
  const auto sc = scale(ctx);
  ctx.first_battery_slot = board.slots().size();
  for (int p = 1; p <= s.batteries; ++p) {
    const auto bid = model::battery_id(s.id, p);
    for (const auto& row : battery_rule_table()) board.add(rule_config(row, sc, config), bid, &row);
  }
  ctx.first_string_slot = board.slots().size();
  ctx.runaway_slot = ctx.first_string_slot + row_reading(string_rule_table(), kFactThermalRunaway);
  ctx.mismatch_slot = ctx.first_string_slot + row_reading(string_rule_table(), kFactRelayMismatch);
  for (const auto& row : string_rule_table())
    board.add(rule_config(row, sc, config), model::string_id(s.id), &row);
  if (s.ambient_th != 0) {
    for (const auto& a : plant.ambients) {
      if (a.th_index == s.ambient_th) ctx.ambient = a.temperature;
    }
  }
  if (s.relay_feedback) ctx.feedback = io_input(plant, *s.relay_feedback);
  ctx.input_channels = {ctx.ch->current, ctx.ch->voltage, ctx.ch->insulation_pos,
                        ctx.ch->insulation_neg};
  if (ctx.ambient) ctx.input_channels.push_back(*ctx.ambient);
  if (ctx.feedback) ctx.input_channels.push_back(*ctx.feedback);
  for (const auto& bc : ctx.ch->batteries) {
    ctx.input_channels.insert(ctx.input_channels.end(),
                              {bc.voltage, bc.temperature, bc.resistance});
  }
  const auto n = static_cast<std::size_t>(s.batteries);
  ctx.facts = std::make_unique<BatteryFacts>(s.batteries);
  ctx.balancing_on.assign(n, false);
  ctx.volts_avg.resize(n);
  ctx.volts_for_eq.resize(n);
  ctx.readings.resize(n);
  ctx.volts.resize(n);
  ctx.temps.resize(n);
  ctx.protection = std::make_unique<Protection>(
      ProtectionConfig{s.id, s.disconnect_relay, ctx.limits->string.relay_mismatch_delay_ms});
  ctx.estimator = std::make_unique<StringEstimator>(
      s.id, estimation_config(*ctx.type, s.batteries, ctx.limits->string));
  strings.push_back(std::move(ctx));
}

void Engine::Impl::build_inputs() {
  if (!site.mc.present) return;
  for (const auto& in : site.mc.inputs) {
    const auto ch = io_input(plant, in.point);
    if (!ch) continue;
    const auto src = in.point.lc == 0 ? "mc/input/" + std::to_string(in.point.index)
                                      : "lc/" + std::to_string(in.point.lc) + "/input/" +
                                            std::to_string(in.point.index);
    const auto text = in.alarm_text.empty() ? in.name : in.alarm_text;
    const auto slot = board.add(flag_config("digital_input", Severity::alarm,
                                            config.input_debounce_ms, config.input_debounce_ms),
                                src, nullptr, text);
    inputs.push_back(InputSlot{slot, *ch, in.active_high});
  }
  watchdog_slot =
      board.add(flag_config("mc_watchdog_tripped", Severity::alarm, config.input_debounce_ms, 0),
                "mc", nullptr, "Master controller watchdog tripped: outputs in their safe state");
  watchdog_channel = plant.mc_watchdog_tripped;
}

// Every limit-derived piece of state follows `config` (rule limits keep their alarm state).
void Engine::Impl::apply_config() {
  const auto brows = battery_rule_table();
  const auto srows = string_rule_table();
  for (auto& ctx : strings) {
    ctx.limits = &config.limits(ctx.cfg->id);
    const auto sc = scale(ctx);
    for (std::size_t r = 0; r < brows.size(); ++r) {
      const auto cfg = rule_config(brows[r], sc, config);
      for (std::size_t k = 0; k < static_cast<std::size_t>(ctx.cfg->batteries); ++k)
        board.slot(ctx.first_battery_slot + k * brows.size() + r).rule.reconfigure(cfg);
    }
    for (std::size_t r = 0; r < srows.size(); ++r)
      board.slot(ctx.first_string_slot + r).rule.reconfigure(rule_config(srows[r], sc, config));
    ctx.protection->set_mismatch_delay(ctx.limits->string.relay_mismatch_delay_ms);
    ctx.estimator->set_capacity_test(ctx.limits->string.capacity_test_end_per_cell_V,
                                     ctx.limits->string.capacity_test_max_rate_C);
  }
  for (const auto& in : inputs) {
    board.slot(in.slot).rule.reconfigure(flag_config(
        "digital_input", Severity::alarm, config.input_debounce_ms, config.input_debounce_ms));
  }
  if (watchdog_slot) {
    board.slot(*watchdog_slot)
        .rule.reconfigure(
            flag_config("mc_watchdog_tripped", Severity::alarm, config.input_debounce_ms, 0));
  }
  if (!custom_equalization)
    equalization = std::make_unique<VoltageEqualization>(config.equalization);
}

EngineOutput Engine::Impl::step(const model::Snapshot& snap, std::int64_t now_ms) {
  EngineOutput out;
  out.events = std::move(queued_events);
  out.commands = std::move(queued_commands);
  queued_events.clear();
  queued_commands.clear();
  auto derived = std::make_shared<model::Snapshot>();
  derived->channels = derived_ids.directory;
  derived->samples.assign(derived_ids.directory->size(),
                          model::Sample{0.0, now_ms, Quality::invalid});
  derived->sequence = ++sequence;
  derived->time_ms = now_ms;

  for (auto& ctx : strings) {
    if (!inputs_changed(ctx, snap)) continue;  // its facts and alarms stand as they are
    read_inputs(ctx, snap);
    facts_stage(ctx, now_ms, out);
    alarms_stage(ctx, now_ms, out);
  }
  site_inputs_stage(snap, now_ms, out);
  for (auto& ctx : strings) {
    protection_stage(ctx, now_ms, out);
    equalization_stage(ctx, now_ms, out);
    publish_string(ctx, *derived, now_ms);
  }
  publish_upses(*derived, now_ms);
  publish_site(*derived, now_ms, out);
  out.derived = std::move(derived);
  return out;
}

bool Engine::Impl::inputs_changed(StringCtx& ctx, const model::Snapshot& snap) {
  bool changed = ctx.input_stamps.size() != ctx.input_channels.size();
  ctx.input_stamps.resize(ctx.input_channels.size());
  for (std::size_t i = 0; i < ctx.input_channels.size(); ++i) {
    const auto& sample = sample_at(snap, ctx.input_channels[i]);
    // A device that stops answering keeps its last time but changes quality: both count.
    const std::pair stamp{sample.time_ms, sample.quality};
    if (ctx.input_stamps[i] != stamp) {
      ctx.input_stamps[i] = stamp;
      changed = true;
    }
  }
  return changed;
}

void Engine::Impl::read_inputs(StringCtx& ctx, const model::Snapshot& snap) {
  const auto& s = *ctx.cfg;
  auto& f = ctx.step;
  const auto& cur = sample_at(snap, ctx.ch->current);
  const auto& volt = sample_at(snap, ctx.ch->voltage);
  f.current_A = s.hs_address != 0 ? good(cur) : std::nullopt;
  f.current_quality = s.hs_address != 0 ? cur.quality : Quality::invalid;
  f.voltage_V = s.gs_address != 0 ? good(volt) : std::nullopt;
  f.ambient_C = ctx.ambient ? good(sample_at(snap, *ctx.ambient)) : std::nullopt;
  f.feedback_closed.reset();
  if (ctx.feedback) {
    if (const auto fb = good(sample_at(snap, *ctx.feedback))) f.feedback_closed = *fb >= 0.5;
  }
  for (std::size_t k = 0; k < ctx.readings.size(); ++k) {
    const auto& bc = ctx.ch->batteries[k];
    ctx.readings[k] = BatteryReading{sample_at(snap, bc.voltage), sample_at(snap, bc.temperature),
                                     sample_at(snap, bc.resistance)};
    ctx.volts[k] = good(ctx.readings[k].voltage);
    ctx.temps[k] = good(ctx.readings[k].temperature);
  }
  // The string's own sensors, for its voltage, current and communication facts.
  set_fact(f, kFactStringVoltage, f.voltage_V, volt.quality);
  set_fact(f, kFactStringCurrent, f.current_A, cur.quality);
  std::optional<double> ins;
  if (f.voltage_V && *f.voltage_V > 1.0) {
    const auto rp = good(sample_at(snap, ctx.ch->insulation_pos));
    const auto rn = good(sample_at(snap, ctx.ch->insulation_neg));
    if (rp && rn) ins = std::min(*rp, *rn) * 1000.0 / *f.voltage_V;  // kΩ -> Ω, per volt
  }
  set_fact(f, kFactInsulation, ins, Quality::invalid);
  const bool hs_bad =
      s.hs_address != 0 && (cur.quality == Quality::invalid || cur.quality == Quality::comm_lost);
  set_fact(f, kFactCurrentSensorInvalid, hs_bad ? 1.0 : 0.0, Quality::ok);
  const bool comm = (s.gs_address != 0 && volt.quality == Quality::comm_lost) ||
                    (s.hs_address != 0 && cur.quality == Quality::comm_lost);
  set_fact(f, kFactStringCommLost, comm ? 1.0 : 0.0, Quality::ok);
}

// Battery facts, and the string's operating state and charge (coulomb counting) they depend
// on: the discharge suppression of low-voltage alarms and the SOC rules read them this step.
void Engine::Impl::facts_stage(StringCtx& ctx, std::int64_t now_ms, EngineOutput& out) {
  auto& f = ctx.step;
  const auto& s = *ctx.cfg;
  StringReadings rd;
  // Connected as fed back; without feedback as commanded (a string without a relay cannot be
  // opened by us, so it stays connected as far as estimation knows).
  rd.connected = f.feedback_closed ? *f.feedback_closed
                                   : (!s.disconnect_relay || ctx.protection->commanded_closed());
  rd.current_A = f.current_A;
  rd.voltage_V = f.voltage_V;
  rd.battery_voltage_V = ctx.volts;
  if (const auto temps = voltage_stats(ctx.temps); temps.count > 0) rd.temperature_C = temps.mean_V;
  const auto change = ctx.estimator->update(rd, now_ms);
  f.state = ctx.estimator->state();
  if (change == StringEstimator::Change::discharge_started) {
    out.events.push_back(board.make_event(
        model::EventKind::discharge_started, Severity::info, now_ms, model::string_id(s.id), "",
        "String " + std::to_string(s.id) + " discharge started", f.current_A.value_or(0.0)));
  } else if (change == StringEstimator::Change::discharge_ended &&
             ctx.estimator->last_discharge()) {
    const auto& rec = *ctx.estimator->last_discharge();
    out.events.push_back(board.make_event(model::EventKind::discharge_ended, Severity::info, now_ms,
                                          model::string_id(s.id), "", describe(rec), rec.ah_out));
    out.finished_discharges.push_back(rec);
    ctx.awaiting_storage.push_back(rec);
    if (ctx.awaiting_storage.size() > 8) ctx.awaiting_storage.pop_front();
  }
  const double cells_in_string = static_cast<double>(ctx.type->cells) * s.batteries;
  const bool discharge_suppressed = ctx.discharge.update(
      f.state, string_voltage_or_sum(f.voltage_V, ctx.volts), cells_in_string,
      ctx.type->float_voltage_per_cell_V, EstimationConfig{}.float_band_below_per_cell_V);
  ctx.facts->update(
      ctx.readings,
      BatteryFactsContext{f.ambient_C, discharge_suppressed, ctx.estimator->measured_capacity_pct(),
                          f.state == model::StringState::disconnected},
      *ctx.limits, *ctx.type, now_ms);
  RunawayWatch::Inputs rw;
  rw.current_A = f.current_A;
  rw.state = f.state;
  rw.capacity_Ah = ctx.type->capacity_Ah;
  for (const auto& b : ctx.facts->values()) {
    rw.any_hot_and_rising = rw.any_hot_and_rising || b.hot_and_rising;
    rw.any_warm = rw.any_warm || b.warm;
  }
  const auto runaway = ctx.runaway.update(rw, ctx.limits->string, now_ms);
  if (runaway && *runaway) {
    // The alarm (and the trip it causes) names the battery, its temperature and ΔT with the
    // limit, and the float current against its threshold: what to look at, with units.
    const BatteryFactValues* hottest = nullptr;
    int position = 0;
    const auto& values = ctx.facts->values();
    for (std::size_t k = 0; k < values.size(); ++k) {
      const auto& b = values[k];
      if (!b.hot_and_rising || !b.temperature_C) continue;
      if (hottest == nullptr || *b.temperature_C > *hottest->temperature_C) {
        hottest = &b;
        position = static_cast<int>(k) + 1;
      }
    }
    auto& slot = board.slot(ctx.runaway_slot);
    std::string text = source_label(slot.source) + " thermal runaway:";
    if (hottest != nullptr) {
      text += " battery " + std::to_string(s.id) + "/" + std::to_string(position) + " at " +
              number_text(*hottest->temperature_C, 1, false) + " °C";
      if (const auto dt = hottest->value[kFactDeltaTAmbient])
        text += ", " + number_text(*dt, 1, false) + " K above ambient";
      text += " (limit " + number_text(ctx.limits->string.runaway_delta_t_K, 1, true) +
              " K) and rising";
    }
    if (f.current_A) {
      text += hottest != nullptr ? "; " : " ";
      text += "float current " + number_text(*f.current_A, 2, false) + " A (threshold " +
              number_text(ctx.runaway.rising_threshold_A(ctx.limits->string, rw.capacity_Ah), 2,
                          false) +
              " A)";
    }
    slot.text = std::move(text);
  }
  set_fact(f, kFactThermalRunaway,
           runaway ? std::optional<double>(*runaway ? 1.0 : 0.0) : std::nullopt, Quality::invalid);
  // SOC comes from coulomb counting: without a good current it is not known this step.
  set_fact(f, kFactStringSoc, ctx.estimator->soc_pct(), Quality::ok);
  if (s.hs_address != 0 && f.current_quality != Quality::ok)
    f.quality[kFactStringSoc] = f.current_quality;
}

void Engine::Impl::alarms_stage(StringCtx& ctx, std::int64_t now_ms, EngineOutput& out) {
  const auto brows = battery_rule_table();
  const auto& facts = ctx.facts->values();
  for (std::size_t k = 0; k < facts.size(); ++k) {
    const std::size_t base = ctx.first_battery_slot + k * brows.size();
    for (std::size_t r = 0; r < brows.size(); ++r) {
      const auto fact = brows[r].fact;
      board.feed(base + r, facts[k].value[fact], facts[k].quality[fact], now_ms, out.events);
    }
  }
  const auto srows = string_rule_table();
  for (std::size_t r = 0; r < srows.size(); ++r) {
    const auto fact = srows[r].fact;
    if (fact == kFactRelayMismatch) continue;  // protection's own, fed after its step
    std::optional<double> value = ctx.step.value[fact];
    Quality quality = ctx.step.quality[fact];
    // The SOC rule judges a value not known this step as unusable, never as 100 %.
    if (quality != Quality::ok) value.reset();
    board.feed(ctx.first_string_slot + r, value, quality, now_ms, out.events);
  }
}

void Engine::Impl::site_inputs_stage(const model::Snapshot& snap, std::int64_t now_ms,
                                     EngineOutput& out) {
  for (const auto& in : inputs) {
    const auto& smp = sample_at(snap, in.channel);
    if (const auto v = good(smp)) {
      board.feed_flag(in.slot, in.active_high ? *v >= 0.5 : *v < 0.5, now_ms, out.events);
    } else {
      board.feed(in.slot, std::nullopt, smp.quality, now_ms, out.events);
    }
  }
  if (watchdog_slot) {
    const auto& w = sample_at(snap, watchdog_channel);
    if (const auto v = good(w))
      board.feed_flag(*watchdog_slot, *v >= 0.5, now_ms, out.events);
    else
      board.feed(*watchdog_slot, std::nullopt, w.quality, now_ms, out.events);
  }
}

bool Engine::Impl::last_closed_of_ups(const StringCtx& ctx) const {
  for (const auto& o : strings) {
    if (&o != &ctx && o.cfg->ups_id == ctx.cfg->ups_id && o.protection->closed_for_ups())
      return false;
  }
  return true;
}

void Engine::Impl::take_protection_output(ProtectionOutput& po, std::vector<model::Event>& events,
                                          std::vector<model::Command>& commands) {
  for (auto& e : po.events) {
    board.number(e);
    events.push_back(std::move(e));
  }
  commands.insert(commands.end(), po.commands.begin(), po.commands.end());
}

// Trip-severity alarms of the string and its batteries open it; fatal ones (runaway, fatal
// temperature, rising past the trip limit) even when it is the last closed string of its UPS.
void Engine::Impl::protection_stage(StringCtx& ctx, std::int64_t now_ms, EngineOutput& out) {
  const auto n_battery_slots =
      static_cast<std::size_t>(ctx.cfg->batteries) * battery_rule_table().size();
  bool trip_cause = false;
  bool awaits_ack_only = true;  // every trip cause is latched, its condition gone
  const AlarmSlot* first_trip = nullptr;
  const AlarmSlot* first_fatal = nullptr;
  const auto scan = [&](std::size_t from, std::size_t count) {
    for (std::size_t i = from; i < from + count; ++i) {
      const auto& sl = board.slot(i);
      if (!sl.rule.is_active() || sl.rule.config().severity != Severity::trip) continue;
      trip_cause = true;
      awaits_ack_only = awaits_ack_only && sl.rule.waiting_for_ack();
      if (first_trip == nullptr) first_trip = &sl;
      if (first_fatal == nullptr && sl.fatal()) first_fatal = &sl;
    }
  };
  scan(ctx.first_string_slot, string_rule_table().size());
  scan(ctx.first_battery_slot, n_battery_slots);
  std::string cause;
  if (first_fatal != nullptr) {
    cause = first_fatal->raised_text;
  } else if (first_trip != nullptr) {
    cause = first_trip->raised_text;
  }
  auto po = ctx.protection->step(
      ProtectionInputs{trip_cause, first_fatal != nullptr, last_closed_of_ups(ctx), cause,
                       ctx.step.feedback_closed, trip_cause && awaits_ack_only},
      now_ms);
  take_protection_output(po, out.events, out.commands);
  auto& slot = board.slot(ctx.mismatch_slot);
  const bool mismatch = ctx.protection->relay_mismatch();
  if (mismatch && ctx.step.feedback_closed) {
    slot.text = source_label(slot.source) + " contactor fed back " +
                (*ctx.step.feedback_closed ? "closed" : "open") + " while commanded " +
                (ctx.protection->commanded_closed() ? "closed" : "open");
  }
  board.feed_flag(ctx.mismatch_slot, mismatch, now_ms, out.events);
}

void Engine::Impl::equalization_stage(StringCtx& ctx, std::int64_t now_ms, EngineOutput& out) {
  if (!equalization) return;
  // Each battery's voltage averaged (first reading as is); a battery without a good reading
  // this step is not balanced on an old average.
  const double tau_ms = static_cast<double>(config.equalization.average_ms);
  const double dt_ms = ctx.volts_avg_ms && now_ms > *ctx.volts_avg_ms
                           ? static_cast<double>(now_ms - *ctx.volts_avg_ms)
                           : 0.0;
  const double a = tau_ms > 0.0 ? 1.0 - std::exp(-dt_ms / tau_ms) : 1.0;
  ctx.volts_avg_ms = now_ms;
  for (std::size_t k = 0; k < ctx.volts.size(); ++k) {
    auto& avg = ctx.volts_avg[k];
    if (ctx.volts[k]) avg = avg ? *avg + a * (*ctx.volts[k] - *avg) : *ctx.volts[k];
    ctx.volts_for_eq[k] = ctx.volts[k] ? avg : std::nullopt;
  }
  EqualizationInput eq;
  eq.string_id = ctx.cfg->id;
  eq.state = config.equalization_enabled ? ctx.step.state : model::StringState::idle;
  eq.cells_per_battery = ctx.type->cells;
  eq.voltage_V = ctx.volts_for_eq;
  eq.temperature_C = ctx.temps;
  eq.balancing_on = ctx.balancing_on;
  const auto n = ctx.balancing_on.size();
  for (const auto& cmd : equalization->decide(eq)) {
    if (cmd.position < 1 || static_cast<std::size_t>(cmd.position) > n) continue;
    ctx.balancing_on[static_cast<std::size_t>(cmd.position - 1)] = cmd.on;
    out.commands.emplace_back(cmd);
  }
}

StringCtx* Engine::Impl::find_string(int string_id) {
  for (auto& ctx : strings) {
    if (ctx.cfg->id == string_id) return &ctx;
  }
  return nullptr;
}

}  // namespace btms::engine
