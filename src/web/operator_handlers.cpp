#include "web/operator_handlers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <future>
#include <mutex>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/config_fields.hpp"
#include "model/ids.hpp"
#include "web/api_handlers.hpp"
#include "web/discharge_handlers.hpp"
#include "web/history_handlers.hpp"
#include "web/json_body.hpp"
#include "web/maintenance_handlers.hpp"
#include "web/operator_actions.hpp"

namespace btms::web {

namespace {

using nlohmann::json;

constexpr std::string_view kStringsPrefix = "/api/v1/strings/";
constexpr std::size_t kMaxKeyChars = 200;  // alarm keys and sources are short paths

json finite_or_null(double value) {
  return std::isfinite(value) ? json(value) : json(nullptr);
}

Response refuse_query(const ParsedTarget& target) {
  return no_store_error(400, "unknown query parameter: " + target.query.begin()->first);
}

// ---- alarms ---------------------------------------------------------------------------------

json alarm_json(const engine::ActiveAlarm& a) {
  return json{{"key", a.key},
              {"source", a.source},
              {"rule", a.rule},
              {"severity", model::to_string(a.severity)},
              {"text", a.text},
              {"since_ms", a.since_ms},
              {"value", finite_or_null(a.value)},
              {"raised_value", finite_or_null(a.raised_value)},
              {"unit", a.unit},
              {"limit", a.limit ? finite_or_null(*a.limit) : json(nullptr)},
              {"acknowledged", a.acknowledged},
              {"acknowledged_by", a.acknowledged_by},
              {"acknowledged_ms", a.acknowledged_ms},
              {"waiting_for_ack", a.waiting_for_ack}};
}

Response list_alarms(const OperatorContext& ctx, const ParsedTarget& target) {
  if (!target.query.empty()) return refuse_query(target);
  if (!ctx.engine) return no_store_error(503, kNoEngine);
  const auto list = ctx.engine->alarms();
  std::vector<const engine::ActiveAlarm*> sorted;
  for (const auto& a : list->alarms) sorted.push_back(&a);
  // The documented order, whatever order the engine keeps them in: most severe, then oldest.
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    if (a->severity != b->severity) return a->severity > b->severity;
    if (a->since_ms != b->since_ms) return a->since_ms < b->since_ms;
    return a->key < b->key;
  });
  json alarms = json::array();
  std::size_t unacknowledged = 0;
  for (const auto* a : sorted) {
    if (!a->acknowledged) ++unacknowledged;
    alarms.push_back(alarm_json(*a));
  }
  return no_store_json(200, json{{"time_ms", list->time_ms},
                                 {"count", sorted.size()},
                                 {"unacknowledged", unacknowledged},
                                 {"alarms", std::move(alarms)}});
}

// A source an acknowledgement may name: the whole site (""), a UPS, string, battery or ambient
// sensor of the site, or anything an alarm of the list is raised on or under ("mc" for
// "mc/input/2"). Checked here, so an unknown source is a 404 naming it, whatever the engine
// answers for an acknowledgement that matched nothing.
bool source_known(const OperatorContext& ctx, const std::string& source,
                  const engine::AlarmList& list) {
  if (source.empty()) return true;
  for (const auto& a : list.alarms) {
    if (a.source == source || a.source.starts_with(source + "/")) return true;
  }
  if (!ctx.site) return true;  // no topology to check against: the engine decides
  for (const auto& u : ctx.site->upses) {
    if (source == model::ups_id(u.id)) return true;
  }
  for (const auto& s : ctx.site->strings) {
    if (source == model::string_id(s.id)) return true;
  }
  if (const auto battery = model::parse_battery_id(source)) {
    for (const auto& s : ctx.site->strings) {
      if (s.id == battery->string && battery->position >= 1 && battery->position <= s.batteries) {
        return true;
      }
    }
  }
  for (const auto& th : ctx.site->mc.th) {
    if (source == model::ambient_id(th.index)) return true;
  }
  return false;
}

Response acknowledge(const OperatorContext& ctx, const Request& request) {
  auto parsed = parse_object_body(request.body, kMaxActionBody_bytes, {"key", "source", "comment"});
  if (auto* reason = std::get_if<std::string>(&parsed)) return no_store_error(400, *reason);
  const auto& body = std::get<json>(parsed);
  const bool by_key = body.contains("key");
  if (by_key == body.contains("source")) {
    return no_store_error(400, "exactly one of 'key' or 'source' is required");
  }
  std::string key;
  std::string source;
  std::string comment;
  for (const auto& problem :
       {by_key ? read_text_member(body, "key", true, 1, kMaxKeyChars, key)
               : read_text_member(body, "source", true, 0, kMaxKeyChars, source),
        read_text_member(body, "comment", false, 0, kMaxTextChars, comment)}) {
    if (problem) return no_store_error(400, *problem);
  }
  if (!ctx.engine) return no_store_error(503, kNoEngine);
  const auto who = actor_of(ctx, request);
  const std::string target = by_key ? key : (source.empty() ? "site" : source);
  const std::string what = comment.empty() ? "acknowledge" : "acknowledge, comment: " + comment;
  if (!by_key && !source_known(ctx, source, *ctx.engine->alarms())) {
    return finish(ctx, who, security::AuditAction::acknowledge, target, what,
                  {404, "unknown source " + source});
  }
  if (by_key && key != "*") {
    const auto list = ctx.engine->alarms();
    const bool known = std::any_of(list->alarms.begin(), list->alarms.end(),
                                   [&](const auto& a) { return a.key == key; });
    if (!known) {
      return finish(ctx, who, security::AuditAction::acknowledge, target, what,
                    {404, "unknown alarm " + key});
    }
  }
  engine::Action action = by_key ? engine::Action{engine::AcknowledgeAlarm{key, comment}}
                                 : engine::Action{engine::AcknowledgeAlarmsOf{source, comment}};
  return finish(ctx, who, security::AuditAction::acknowledge, target, what,
                carry_out(ctx, std::move(action), who));
}

// ---- strings --------------------------------------------------------------------------------

struct StringCommand {
  int string_id = 0;
  std::string verb;  // reset, open, baseline-reset
};

// /api/v1/strings/{id}/{verb}; nullopt for anything else (404).
std::optional<StringCommand> parse_string_command(std::string_view path) {
  path.remove_prefix(kStringsPrefix.size());
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto id_text = path.substr(0, slash);
  const auto verb = path.substr(slash + 1);
  // Plain decimal without sign or leading zeros: one spelling per string.
  if (id_text.empty() || id_text.front() == '0') return std::nullopt;
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc{} || end != id_text.data() + id_text.size() || id > kMaxStringId) {
    return std::nullopt;
  }
  if (verb != "reset" && verb != "open" && verb != "baseline-reset") return std::nullopt;
  return StringCommand{static_cast<int>(id), std::string(verb)};
}

Response string_command(const OperatorContext& ctx, const Request& request,
                        const ParsedTarget& target) {
  const auto command = parse_string_command(target.path);
  if (!command) return no_store_error(404, "no such resource: " + target.path);
  const bool baseline = command->verb == "baseline-reset";
  auto parsed = parse_object_body(request.body, kMaxActionBody_bytes,
                                  {baseline ? std::string_view("position") : "reason"});
  if (auto* reason = std::get_if<std::string>(&parsed)) return no_store_error(400, *reason);
  const auto& body = std::get<json>(parsed);
  std::string reason;
  std::int64_t position = 0;
  const auto problem = baseline ? read_int_member(body, "position", true, 0, kMaxPosition, position)
                                : read_text_member(body, "reason", true, 1, kMaxTextChars, reason);
  if (problem) return no_store_error(400, *problem);
  if (!ctx.engine) return no_store_error(503, kNoEngine);

  const auto who = actor_of(ctx, request);
  const int id = command->string_id;
  const auto string_target = fmt::format("string/{}", id);
  const auto audit_action =
      command->verb == "open" ? security::AuditAction::relay_command : security::AuditAction::reset;
  const std::string what = baseline
                               ? fmt::format("resistance baseline reset, position {}", position)
                               : fmt::format("{}, reason: {}", command->verb, reason);
  if (ctx.site) {
    const auto* string = ctx.site->find_string(id);
    if (string == nullptr) {
      return finish(ctx, who, audit_action, string_target, what,
                    {404, fmt::format("unknown string {}", id)});
    }
    if (baseline && position > string->batteries) {
      return finish(ctx, who, audit_action, string_target, what,
                    {404, fmt::format("string {} has no battery {} (it has {})", id, position,
                                      string->batteries)});
    }
  }
  engine::Action action;
  if (command->verb == "reset") {
    action = engine::ResetString{id, reason};
  } else if (command->verb == "open") {
    action = engine::OpenString{id, reason};
  } else {
    action = engine::ResetResistanceBaseline{id, static_cast<int>(position)};
  }
  const auto target_name =
      baseline && position > 0 ? fmt::format("battery/{}/{}", id, position) : string_target;
  return finish(ctx, who, audit_action, target_name, what, carry_out(ctx, std::move(action), who));
}

// ---- configuration --------------------------------------------------------------------------

json fields_json() {
  json fields = json::array();
  for (const auto& f : engine::config_fields()) {
    fields.push_back(json{{"name", f.name},
                          {"unit", f.unit},
                          {"min", f.min},
                          {"max", f.max},
                          {"type", f.type},
                          {"per_string", f.per_string},
                          {"description", f.description}});
  }
  return fields;
}

Response get_config(const OperatorContext& ctx, const ParsedTarget& target) {
  if (!target.query.empty()) return refuse_query(target);
  if (!ctx.engine) return no_store_error(503, kNoEngine);
  return no_store_json(200, json{{"config", engine::config_to_json(ctx.engine->config())},
                                 {"fields", fields_json()}});
}

// "defaults.battery.temperature_alarm_C: 45 -> 47" for every value that differs (fields that
// appear or disappear, such as a new per-string override, included).
std::vector<std::string> changed_fields(const json& before, const json& after,
                                        std::vector<std::string>& names) {
  const auto flat_before = before.flatten();
  const auto flat_after = after.flatten();
  const auto dotted = [](const std::string& pointer) {
    std::string name = pointer.substr(pointer.empty() ? 0 : 1);
    std::replace(name.begin(), name.end(), '/', '.');
    return name;
  };
  std::vector<std::string> lines;
  for (const auto& [pointer, value] : flat_after.items()) {
    const auto it = flat_before.find(pointer);
    if (it != flat_before.end() && *it == value) continue;
    names.push_back(dotted(pointer));
    lines.push_back(fmt::format("{}: {} -> {}", names.back(),
                                it == flat_before.end() ? "(none)" : it->dump(), value.dump()));
  }
  for (const auto& [pointer, value] : flat_before.items()) {
    if (flat_after.contains(pointer)) continue;
    names.push_back(dotted(pointer));
    lines.push_back(fmt::format("{}: {} -> (none)", names.back(), value.dump()));
  }
  return lines;
}

Response put_config(const OperatorContext& ctx, std::mutex& config_mutex, const Request& request) {
  // One route serves GET (viewer) and PUT: the router checked viewer and CSRF, admin is
  // checked here (and a refusal audited by the authorizer like any other).
  if (ctx.auth != nullptr) {
    if (auto denied = ctx.auth->authorize(request, Role::admin)) return std::move(*denied);
  }
  if (request.body.size() > kMaxRequestBody_bytes) {
    return no_store_error(400, fmt::format("body too large: {} bytes, at most {}",
                                           request.body.size(), kMaxRequestBody_bytes));
  }
  if (request.body.empty()) return no_store_error(400, "empty body: a JSON object is required");
  json document;
  try {
    document = json::parse(request.body);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e309
    return no_store_error(400, fmt::format("malformed JSON: {}", e.what()));
  }
  if (!document.is_object()) return no_store_error(400, "body must be a JSON object");
  // Accept the document as GET answers it ({"config": ...}) as well as bare.
  if (document.size() == 1 && document.contains("config")) document = document["config"];
  if (!document.is_object()) return no_store_error(400, "'config' must be a JSON object");
  if (!ctx.engine) return no_store_error(503, kNoEngine);

  const auto who = actor_of(ctx, request);
  // Serialized so two admins' partial updates are applied one after the other, each over the
  // configuration the previous one produced.
  std::lock_guard lock(config_mutex);
  const auto base = ctx.engine->config();
  engine::EngineConfig updated;
  try {
    updated = engine::config_from_json(document, base);
  } catch (const engine::ConfigValidationError& e) {
    audit(ctx, who, security::AuditAction::config_change, "engine-config",
          fmt::format("refused: invalid configuration: {}", fmt::join(e.problems(), "; ")));
    return no_store_json(400, json{{"error", "invalid configuration"}, {"problems", e.problems()}});
  }
  const auto before = engine::config_to_json(base);
  auto after = engine::config_to_json(updated);
  std::vector<std::string> names;
  const auto lines = changed_fields(before, after, names);
  if (lines.empty()) {
    audit(ctx, who, security::AuditAction::config_change, "engine-config",
          "no change; result: 200");
    return no_store_json(200, json{{"config", std::move(after)}, {"changed", names}});
  }
  const auto outcome = carry_out(ctx, engine::ReplaceConfig{std::move(updated)}, who);
  audit(ctx, who, security::AuditAction::config_change, "engine-config",
        fmt::format("{}; result: {} {}", fmt::join(lines, "; "), outcome.status, outcome.message));
  if (outcome.status != 200) return no_store_error(outcome.status, outcome.message);
  return no_store_json(200, json{{"config", std::move(after)}, {"changed", names}});
}

}  // namespace

void add_operator_routes(Router& router, const OperatorContext& ctx) {
  router.add(
      Route{"/api/v1/alarms", {"GET"}, Role::viewer, [&ctx](const Request&, const ParsedTarget& t) {
              return list_alarms(ctx, t);
            }});
  router.add(Route{"/api/v1/alarms/acknowledge",
                   {"POST"},
                   Role::operator_,
                   [&ctx](const Request& r, const ParsedTarget&) { return acknowledge(ctx, r); }});
  router.mark_blocking("/api/v1/alarms/acknowledge", "POST");
  router.add(
      Route{std::string(kStringsPrefix) + "*",
            {"POST"},
            Role::operator_,
            [&ctx](const Request& r, const ParsedTarget& t) { return string_command(ctx, r, t); }});
  router.mark_blocking(std::string(kStringsPrefix) + "*", "POST");
  auto config_mutex = std::make_shared<std::mutex>();
  router.add(Route{"/api/v1/config",
                   {"GET", "PUT"},
                   Role::viewer,
                   [&ctx, config_mutex](const Request& r, const ParsedTarget& t) {
                     return r.method == "GET" ? get_config(ctx, t)
                                              : put_config(ctx, *config_mutex, r);
                   }});
  router.mark_blocking("/api/v1/config", "PUT");
  add_discharge_routes(router, ctx);
  add_maintenance_routes(router, ctx);
}

}  // namespace btms::web
