#include "engine/event_logger.hpp"

#include <pthread.h>

#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "engine/rule_table.hpp"
#include "model/ids.hpp"

namespace btms::engine {

namespace {

// The number after "string/" in "string/3" or "string/3/insulation".
std::optional<int> string_of(std::string_view source) {
  constexpr std::string_view prefix = "string/";
  if (!source.starts_with(prefix)) return std::nullopt;
  source.remove_prefix(prefix.size());
  int n = 0;
  const auto [end, ec] = std::from_chars(source.data(), source.data() + source.size(), n);
  if (ec != std::errc{} || n <= 0) return std::nullopt;
  if (end != source.data() + source.size() && *end != '/') return std::nullopt;
  return n;
}

// The rule's row, for the unit and decimals of its value; null for flags and rules that are
// not in the tables (digital inputs, system conditions).
const RuleRow* measuring_row(std::string_view rule) {
  for (const auto rows : {battery_rule_table(), string_rule_table()}) {
    for (const auto& row : rows) {
      if (row.key == rule) return row.unit.empty() ? nullptr : &row;
    }
  }
  return nullptr;
}

bool about_an_alarm(model::EventKind kind) {
  return kind == model::EventKind::alarm_raised || kind == model::EventKind::alarm_cleared ||
         kind == model::EventKind::alarm_acknowledged;
}

}  // namespace

ops::LogFields event_fields(const model::Event& event) {
  ops::LogFields fields;
  fields.add("BTMS_EVENT", model::to_string(event.kind));
  fields.add("BTMS_SEVERITY", model::to_string(event.severity));
  if (!event.source.empty()) fields.add("BTMS_SOURCE", event.source);
  if (const auto battery = model::parse_battery_id(event.source)) {
    fields.add("BTMS_STRING", std::to_string(battery->string));
    fields.add("BTMS_BATTERY", std::to_string(battery->position));
  } else if (const auto string = string_of(event.source)) {
    fields.add("BTMS_STRING", std::to_string(*string));
  }
  if (!event.rule.empty()) fields.add("BTMS_RULE", event.rule);
  if (about_an_alarm(event.kind)) {
    if (const auto* row = measuring_row(event.rule)) {
      fields.add("BTMS_VALUE", fmt::format("{:.{}f} {}", event.value, row->decimals, row->unit));
    }
  }
  if (!event.user.empty()) fields.add("BTMS_USER", event.user);
  fields.add("BTMS_EVENT_ID", std::to_string(event.id));
  return fields;
}

std::string event_line(const model::Event& event) {
  return fmt::format("event {}: {} {}", event.id, event.source, event.text);
}

spdlog::level::level_enum event_level(const model::Event& event) {
  using model::EventKind;
  const bool raising = event.kind == EventKind::alarm_raised ||
                       event.kind == EventKind::string_tripped ||
                       event.kind == EventKind::relay_mismatch;
  if (!raising) return spdlog::level::info;
  switch (event.severity) {
    case model::Severity::trip:
      return spdlog::level::critical;
    case model::Severity::alarm:
      return spdlog::level::err;
    case model::Severity::warning:
      return spdlog::level::warn;
    case model::Severity::info:
      break;
  }
  return spdlog::level::info;
}

EventLogger::EventLogger(const std::shared_ptr<const AppendLog<model::Event>>& log,
                         std::shared_ptr<spdlog::logger> logger)
    : cursor_(log, log->end()), logger_(logger ? std::move(logger) : spdlog::default_logger()) {}

EventLogger::~EventLogger() {
  stop();
}

void EventLogger::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "log:events");
    loop();
  });
}

void EventLogger::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void EventLogger::drain() {
  while (cursor_.has_more()) {
    auto batch = cursor_.next();
    if (batch.missed > 0) {
      logger_->warn("events: {} events were gone from the engine's log before logged",
                    batch.missed);
    }
    for (const auto& event : batch.items) {
      ops::log_with_fields(*logger_, event_level(event), event_line(event), event_fields(event));
    }
  }
}

void EventLogger::loop() {
  while (!stop_) {
    // Woken by an append; the deadline only bounds how late a stop is seen.
    cursor_.wait(std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    drain();
  }
  drain();
}

}  // namespace btms::engine
