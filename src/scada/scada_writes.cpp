#include "scada/scada_writes.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

#include "scada/scada_map.hpp"

namespace btms::scada {

namespace {

// Futures kept for logging at most; beyond this the oldest are dropped (never waited for).
constexpr std::size_t kMaxPendingResults = 256;

// The engine actions a command register asks for. The UPS register names the UPS's own
// source and each of its strings, whose sources cover their batteries.
std::vector<engine::Action> actions_for(const RegisterDef& def, const model::Site& site,
                                        UnitAddress unit, const std::string& comment) {
  std::vector<engine::Action> actions;
  const int ups = unit.kind == UnitKind::ups ? unit.index : 0;
  const int string = unit.kind == UnitKind::string ? unit.index : 0;
  const auto source = channel_for(def, site, ups, string, 0);
  if (!source) return actions;
  if (*source == "*") {
    actions.emplace_back(engine::AcknowledgeAlarm{"*", comment});
    return actions;
  }
  actions.emplace_back(engine::AcknowledgeAlarmsOf{*source, comment});
  if (unit.kind == UnitKind::ups) {
    for (const auto& s : site.strings) {
      if (s.ups_id == ups) {
        actions.emplace_back(engine::AcknowledgeAlarmsOf{fmt::format("string/{}", s.id), comment});
      }
    }
  }
  return actions;
}

bool configured(const model::Site& site, UnitAddress unit) {
  return unit.kind == UnitKind::ups ? site.find_ups(unit.index) != nullptr
                                    : site.find_string(unit.index) != nullptr;
}

}  // namespace

ScadaWrites::ScadaWrites(bool allow_writes, AddressAllowList allow_list,
                         std::shared_ptr<const model::Site> site)
    : allow_writes_(allow_writes), allow_list_(std::move(allow_list)), site_(std::move(site)) {}

void ScadaWrites::set_engine(std::shared_ptr<engine::EngineService> engine) {
  std::lock_guard lock(engine_mutex_);
  engine_ = std::move(engine);
}

WriteCounters ScadaWrites::counters() const {
  return WriteCounters{accepted_.load(), refused_.load(), refused_disabled_.load(),
                       refused_not_allowed_.load()};
}

std::uint8_t ScadaWrites::refuse(std::uint8_t code) {
  ++refused_;
  return code;
}

void ScadaWrites::reap_finished() {
  std::erase_if(pending_, [](auto& entry) {
    auto& [what, result] = entry;
    if (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
    try {
      const auto outcome = result.get();
      if (!outcome.ok) spdlog::warn("scada: engine refused {}: {}", what, outcome.message);
    } catch (const std::exception& e) {
      spdlog::warn("scada: {} failed: {}", what, e.what());
    }
    return true;
  });
  if (pending_.size() > kMaxPendingResults) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(
                                                            pending_.size() - kMaxPendingResults));
  }
}

std::uint8_t ScadaWrites::write(WriteClient& client, int unit_id, std::uint16_t address,
                                std::span<const std::uint16_t> values) {
  const auto who = ipv4_text(client.address);
  if (!allow_writes_) {
    ++refused_disabled_;
    return refuse(kIllegalFunction);
  }
  if (!allow_list_.allows(client.address)) {
    ++refused_not_allowed_;
    if (!client.refusal_logged) {
      spdlog::warn("scada: write from {} refused: address not in the write allow-list", who);
      client.refusal_logged = true;
    }
    return refuse(kIllegalFunction);
  }
  if (values.size() != 1) return refuse(kIllegalDataValue);
  const auto unit = unit_of(unit_id);
  if (!unit || !site_ || !configured(*site_, *unit)) return refuse(kIllegalDataAddress);
  const auto* def = writable_register(unit->kind, address);
  if (def == nullptr) return refuse(kIllegalDataAddress);
  if (values[0] != kAcknowledgeValue) return refuse(kIllegalDataValue);

  std::shared_ptr<engine::EngineService> engine;
  {
    std::lock_guard lock(engine_mutex_);
    engine = engine_;
  }
  if (!engine) return refuse(kServerDeviceFailure);
  const auto comment = fmt::format("SCADA Modbus write: unit {} {}", unit_id, def->name);
  const engine::Actor actor{"scada", "scada " + who};
  reap_finished();
  try {
    for (auto& action : actions_for(*def, *site_, *unit, comment)) {
      // submit() only queues; the future is looked at later, never waited for here.
      pending_.emplace_back(fmt::format("{} from {}", def->name, who),
                            engine->submit(std::move(action), actor));
    }
  } catch (const std::exception& e) {
    spdlog::error("scada: {} from {} could not be queued: {}", def->name, who, e.what());
    return refuse(kServerDeviceFailure);
  }
  spdlog::info("scada: {} (unit {}) from {} queued for the engine", def->name, unit_id, who);
  ++accepted_;
  return 0;
}

}  // namespace btms::scada
