// The engine's public calls besides step(): operator actions (acknowledge, open, reset),
// configuration, system conditions, restore after a restart, and what consumers read.
#include <algorithm>
#include <stdexcept>

#include "engine/engine.hpp"
#include "engine/engine_impl.hpp"
#include "model/ids.hpp"

namespace btms::engine {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::optional<int> string_number(std::string_view source) {
  if (!starts_with(source, "string/")) return std::nullopt;
  try {
    return std::stoi(std::string(source.substr(7)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

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
  return impl_->derived_ids.directory;
}

ActionResult Engine::acknowledge(std::string_view alarm_key, const std::string& user,
                                 std::int64_t now_ms, const std::string& comment) {
  return impl_->board.acknowledge_key(alarm_key, user, comment, now_ms, impl_->queued_events);
}

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
  if (const auto id = string_number(source)) {
    add_string(*id);
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
  const int n = im.board.acknowledge_where(under, user, comment, now_ms, im.queued_events);
  return {true, std::to_string(n) + " alarm(s) of " +
                    (source.empty() ? std::string("the site") : std::string(source)) +
                    " acknowledged"};
}

ActionResult Engine::open_string(int string_id, const std::string& user, const std::string& reason,
                                 std::int64_t now_ms) {
  auto& im = *impl_;
  auto* ctx = im.find_string(string_id);
  if (ctx == nullptr)
    return {false, "unknown string " + std::to_string(string_id), ActionStatus::not_found};
  ProtectionOutput po;
  if (const auto refused =
          ctx->protection->open_manually(user, reason, im.last_closed_of_ups(*ctx), now_ms, po))
    return {false, *refused};
  im.take_protection_output(po, im.queued_events, im.queued_commands);
  return {true, "string " + std::to_string(string_id) + " opened"};
}

ActionResult Engine::reset_string(int string_id, const std::string& user, const std::string& reason,
                                  std::int64_t now_ms) {
  auto& im = *impl_;
  auto* ctx = im.find_string(string_id);
  if (ctx == nullptr)
    return {false, "unknown string " + std::to_string(string_id), ActionStatus::not_found};
  ProtectionOutput po;
  if (const auto refused = ctx->protection->reset(user, reason, now_ms, po))
    return {false, *refused};
  im.take_protection_output(po, im.queued_events, im.queued_commands);
  return {true, "string " + std::to_string(string_id) + " reset"};
}

void Engine::set_config(const EngineConfig& config) {
  auto& im = *impl_;
  if (const auto problems = alarm_output_problems(config.alarm_outputs, im.site);
      !problems.empty()) {
    throw std::invalid_argument("engine: " + problems.front());
  }
  // Outputs that are no longer driven (or now driven by another trigger) are released first.
  im.outputs.reconfigure(im.config.alarm_outputs, config.alarm_outputs);
  im.config = config;  // event ids never go back: the board keeps its own counter
  im.apply_config();
}

const EngineConfig& Engine::config() const {
  return impl_->config;
}

void Engine::set_system_condition(const std::string& source, const std::string& rule, bool active,
                                  model::Severity severity, const std::string& text,
                                  std::int64_t now_ms) {
  impl_->board.system_condition(source, rule, active, severity, text, now_ms, impl_->queued_events);
}

void Engine::record_event(model::Event event) {
  impl_->board.number(event);
  impl_->queued_events.push_back(std::move(event));
}

void Engine::restore(const std::vector<model::Event>& log) {
  auto& im = *impl_;
  im.board.restore(log);
  std::vector<std::pair<int, bool>> tripped;  // in log order; the last word counts
  for (const auto& e : log) {
    if (e.kind != model::EventKind::string_tripped && e.kind != model::EventKind::string_reset)
      continue;
    if (const auto id = string_number(e.source))
      tripped.emplace_back(*id, e.kind == model::EventKind::string_tripped);
  }
  for (auto& ctx : im.strings) {
    bool is_tripped = false;
    for (const auto& [id, t] : tripped) {
      if (id == ctx.cfg->id) is_tripped = t;
    }
    if (!is_tripped) continue;
    ProtectionOutput po;
    ctx.protection->restore_tripped(po);
    im.queued_commands.insert(im.queued_commands.end(), po.commands.begin(), po.commands.end());
  }
}

std::vector<model::DischargeRecord> Engine::running_discharges() const {
  std::vector<model::DischargeRecord> list;
  for (const auto& ctx : impl_->strings) {
    if (const auto& r = ctx.estimator->current_discharge()) list.push_back(*r);
  }
  return list;
}

std::vector<model::DischargeRecord> Engine::discharges_awaiting_storage() const {
  std::vector<model::DischargeRecord> list;
  for (const auto& ctx : impl_->strings)
    list.insert(list.end(), ctx.awaiting_storage.begin(), ctx.awaiting_storage.end());
  return list;
}

void Engine::discharge_stored(int string_id, std::int64_t start_ms) {
  if (auto* ctx = impl_->find_string(string_id)) {
    std::erase_if(ctx->awaiting_storage,
                  [start_ms](const model::DischargeRecord& r) { return r.start_ms == start_ms; });
  }
}

std::vector<ActiveAlarm> Engine::active_alarms() const {
  return impl_->board.active_alarms();
}

ActionResult Engine::reset_resistance_baseline(int string_id, int position) {
  auto* ctx = impl_->find_string(string_id);
  if (ctx == nullptr)
    return {false, "unknown string " + std::to_string(string_id), ActionStatus::not_found};
  if (position < 0 || position > ctx->cfg->batteries)
    return {false, "unknown battery " + std::to_string(string_id) + "/" + std::to_string(position),
            ActionStatus::not_found};
  ctx->facts->reset_baseline(position);
  return {true, position == 0 ? "resistance baselines of string " + std::to_string(string_id) +
                                    " will be learned again"
                              : "resistance baseline of battery " + std::to_string(string_id) +
                                    "/" + std::to_string(position) + " will be learned again"};
}

model::ProtectionState Engine::protection_state(int string_id) const {
  if (auto* ctx = impl_->find_string(string_id)) return ctx->protection->state();
  throw std::invalid_argument("unknown string " + std::to_string(string_id));
}

std::optional<DischargeRecord> Engine::last_discharge(int string_id) const {
  if (auto* ctx = impl_->find_string(string_id)) return ctx->estimator->last_discharge();
  return std::nullopt;
}

void Engine::set_equalization_strategy(std::unique_ptr<EqualizationStrategy> strategy) {
  impl_->equalization = std::move(strategy);
  impl_->custom_equalization = true;
}

}  // namespace btms::engine
