// The engine's inside, shared by its translation units: engine.cpp (construction and the
// step's stages), engine_publish.cpp (estimation and the derived snapshot), engine_actions.cpp
// (operator actions). Not part of the engine's interface.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "engine/alarm_board.hpp"
#include "engine/alarm_outputs.hpp"
#include "engine/battery_facts.hpp"
#include "engine/engine.hpp"
#include "engine/protection.hpp"
#include "engine/rule_table.hpp"
#include "engine/string_facts.hpp"

namespace btms::engine {

// The string's facts of this step, one value per StringFact, plus what the later stages use.
struct StringStepFacts {
  std::array<std::optional<double>, kStringFacts> value{};
  std::array<model::Quality, kStringFacts> quality{};
  std::optional<double> current_A, voltage_V, ambient_C;
  std::optional<bool> feedback_closed;
  model::Quality current_quality = model::Quality::ok;
  model::StringState state = model::StringState::idle;
  std::uint16_t battery_bits = 0;  // string alarm bits that come from its batteries
};

struct StringCtx {
  const model::String* cfg = nullptr;
  const model::StringChannels* ch = nullptr;
  const model::BatteryType* type = nullptr;
  const LimitSet* limits = nullptr;
  const model::DerivedStringChannels* out = nullptr;
  std::size_t first_battery_slot = 0;
  std::size_t first_string_slot = 0;
  std::size_t runaway_slot = 0;   // the string_thermal_runaway rule
  std::size_t mismatch_slot = 0;  // the string_relay_mismatch rule
  std::optional<model::ChannelId> ambient;
  std::optional<model::ChannelId> feedback;
  std::unique_ptr<BatteryFacts> facts;
  RunawayWatch runaway;
  DischargeSuppression discharge;
  std::unique_ptr<Protection> protection;
  std::unique_ptr<StringEstimator> estimator;
  std::vector<bool> balancing_on;
  // Battery voltages averaged for equalization (VoltageEqualizationConfig::average_ms).
  std::vector<std::optional<double>> volts_avg, volts_for_eq;
  std::optional<std::int64_t> volts_avg_ms;
  // Finished discharges kept until the consumer stored them (discharge_stored()).
  std::deque<model::DischargeRecord> awaiting_storage;
  // The plant channels this string's facts are made of, and the time and quality each had when
  // the string was last evaluated: the engine steps once per bus publish (32 times a second at
  // 32 strings), and a string whose readings did not change is not evaluated again, so a rule's
  // debounce counts readings, not steps.
  std::vector<model::ChannelId> input_channels;
  std::vector<std::pair<std::int64_t, model::Quality>> input_stamps;
  // Per-step scratch, kept to avoid allocating each step.
  StringStepFacts step;
  std::vector<BatteryReading> readings;
  std::vector<std::optional<double>> volts, temps;
};

struct InputSlot {
  std::size_t slot = 0;
  model::ChannelId channel = 0;
  bool active_high = true;
};

struct Engine::Impl {
  // Own copies: the rule contexts point into them, so the caller's may go away.
  model::Site site;
  model::PlantChannels plant;
  EngineConfig config;
  model::DerivedChannels derived_ids;
  AlarmBoard board;
  AlarmOutputs outputs;
  std::vector<StringCtx> strings;
  std::vector<InputSlot> inputs;
  std::optional<std::size_t> watchdog_slot;
  model::ChannelId watchdog_channel = 0;
  std::unique_ptr<EqualizationStrategy> equalization;
  bool custom_equalization = false;
  std::uint64_t sequence = 0;
  std::vector<model::Event> queued_events;
  std::vector<model::Command> queued_commands;

  Impl(const model::Site& s, const model::PlantChannels& p, EngineConfig c);

  // Construction and configuration (engine.cpp).
  void build_string(const model::String& s, const model::DerivedStringChannels& out);
  void build_inputs();
  void apply_config();
  RuleScale scale(const StringCtx& ctx) const;

  // The step's stages, in order (engine.cpp, engine_publish.cpp).
  EngineOutput step(const model::Snapshot& plant, std::int64_t now_ms);
  bool inputs_changed(StringCtx& ctx, const model::Snapshot& snap);
  void read_inputs(StringCtx& ctx, const model::Snapshot& snap);
  void facts_stage(StringCtx& ctx, std::int64_t now_ms, EngineOutput& out);
  void alarms_stage(StringCtx& ctx, std::int64_t now_ms, EngineOutput& out);
  void site_inputs_stage(const model::Snapshot& snap, std::int64_t now_ms, EngineOutput& out);
  void protection_stage(StringCtx& ctx, std::int64_t now_ms, EngineOutput& out);
  void equalization_stage(StringCtx& ctx, std::int64_t now_ms, EngineOutput& out);
  void publish_string(StringCtx& ctx, model::Snapshot& derived, std::int64_t now_ms);
  void publish_batteries(StringCtx& ctx, model::Snapshot& derived, std::int64_t now_ms);
  void publish_upses(model::Snapshot& derived, std::int64_t now_ms);
  void publish_site(model::Snapshot& derived, std::int64_t now_ms, EngineOutput& out);

  bool last_closed_of_ups(const StringCtx& ctx) const;
  void take_protection_output(ProtectionOutput& po, std::vector<model::Event>& events,
                              std::vector<model::Command>& commands);
  StringCtx* find_string(int string_id);
};

}  // namespace btms::engine
