#include "web/maintenance_handlers.hpp"

#include <charconv>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "web/api_handlers.hpp"
#include "web/json_body.hpp"
#include "web/operator_actions.hpp"
#include "web/operator_handlers.hpp"

namespace btms::web {
namespace {

using nlohmann::json;

constexpr std::string_view kNoLog = "maintenance record not available";
constexpr std::int64_t kDay_ms = 86'400'000;

std::string target_of(int string_id, int position) {
  return position > 0 ? fmt::format("battery/{}/{}", string_id, position)
                      : fmt::format("string/{}", string_id);
}

json record_json(const history::MaintenanceRecord& r) {
  return json{{"id", r.id},
              {"recorded_ms", r.recorded_ms},
              {"work_date", r.work_date},
              {"string_id", r.string_id},
              {"position", r.position},
              {"target", target_of(r.string_id, r.position)},
              {"kind", history::to_string(r.kind)},
              {"serial", r.serial},
              {"note", r.note},
              {"user", r.user}};
}

// Today on the gateway's clock as days since 1970-01-01 (UTC).
std::int64_t today_days(const OperatorContext& ctx) {
  const auto now_ms = ctx.clock ? ctx.clock->now_ms() : unix_now_ms();
  return now_ms >= 0 ? now_ms / kDay_ms : (now_ms - kDay_ms + 1) / kDay_ms;
}

Response list_records(const OperatorContext& ctx, const ParsedTarget& target) {
  auto parsed = parse_maintenance_query(target);
  if (auto* reason = std::get_if<std::string>(&parsed)) return no_store_error(400, *reason);
  const auto& query = std::get<history::MaintenanceQuery>(parsed);
  if (!ctx.maintenance) return no_store_error(503, kNoLog);
  if (ctx.site && query.string_id != 0 && ctx.site->find_string(query.string_id) == nullptr)
    return no_store_error(404, fmt::format("unknown string {}", query.string_id));
  json records = json::array();
  try {
    for (const auto& r : ctx.maintenance->list(query)) records.push_back(record_json(r));
  } catch (const std::exception& e) {
    return no_store_error(500, fmt::format("cannot read the maintenance record: {}", e.what()));
  }
  return no_store_json(200, json{{"records", std::move(records)}});
}

struct Entry {
  history::MaintenanceRecord record;
  std::int64_t work_day = 0;
};

struct Refusal {
  int status = 400;
  std::string reason;
};

// The body's fields, checked; the status and reason when something is wrong.
std::variant<Entry, Refusal> read_entry(const OperatorContext& ctx, const json& body) {
  Entry e;
  std::string kind_text;
  if (auto p = read_text_member(body, "kind", true, 1, 20, kind_text)) return Refusal{400, *p};
  const auto kind = history::parse_maintenance_kind(kind_text);
  if (!kind)
    return Refusal{400, fmt::format("kind must be note or replacement, not '{}'", kind_text)};
  e.record.kind = *kind;
  const bool replacement = *kind == history::MaintenanceKind::replacement;
  std::int64_t string_id = 0;
  std::int64_t position = 0;
  if (auto p = read_int_member(body, "string", true, 1, kMaxStringId, string_id))
    return Refusal{400, *p};
  if (auto p = read_int_member(body, "position", replacement, replacement ? 1 : 0, kMaxPosition,
                               position))
    return Refusal{400, *p};
  e.record.string_id = static_cast<int>(string_id);
  e.record.position = static_cast<int>(position);
  if (auto p = read_text_member(body, "serial", replacement, 1, kMaxSerialChars, e.record.serial))
    return Refusal{400, *p};
  if (!replacement && !e.record.serial.empty())
    return Refusal{
        400, "serial belongs to a replacement (the new block's serial number), not to a note"};
  if (auto p =
          read_text_member(body, "note", !replacement, 1, kMaxMaintenanceNoteChars, e.record.note))
    return Refusal{400, *p};
  // The work date: a replacement is often entered a day or two after the work; a note without a
  // date is about today.
  const auto today = today_days(ctx);
  if (body.contains("work_date")) {
    if (auto p = read_text_member(body, "work_date", true, 10, 10, e.record.work_date))
      return Refusal{400, *p};
    const auto day = parse_work_date(e.record.work_date);
    if (!day)
      return Refusal{400, fmt::format("work_date '{}' is not a date YYYY-MM-DD from 2000 on",
                                      e.record.work_date)};
    // One day of slack: the browser's local date may be ahead of UTC.
    if (*day > today + 1)
      return Refusal{400, fmt::format("work_date {} is in the future", e.record.work_date)};
    e.work_day = *day;
  } else if (replacement) {
    return Refusal{400,
                   "work_date is required for a replacement (the day the block was exchanged)"};
  } else {
    const std::chrono::sys_days days{std::chrono::days{today}};
    const std::chrono::year_month_day ymd{days};
    e.record.work_date =
        fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    e.work_day = today;
  }
  if (ctx.site) {
    const auto* string = ctx.site->find_string(e.record.string_id);
    if (string == nullptr)
      return Refusal{404, fmt::format("unknown string {}", e.record.string_id)};
    if (e.record.position > string->batteries)
      return Refusal{404, fmt::format("string {} has no battery {} (it has {})", e.record.string_id,
                                      e.record.position, string->batteries)};
  }
  return e;
}

std::string describe(const history::MaintenanceRecord& r) {
  if (r.kind == history::MaintenanceKind::replacement)
    return fmt::format("replacement on {}, new serial {}{}{}", r.work_date, r.serial,
                       r.note.empty() ? "" : ", note: ", r.note);
  return fmt::format("note on {}: {}", r.work_date, r.note);
}

Response add_record(const OperatorContext& ctx, const Request& request) {
  const auto who = actor_of(ctx, request);
  auto parsed = parse_object_body(request.body, kMaxActionBody_bytes,
                                  {"kind", "string", "position", "serial", "note", "work_date"});
  if (auto* reason = std::get_if<std::string>(&parsed)) {
    audit(ctx, who, security::AuditAction::maintenance, "maintenance",
          fmt::format("refused: {}", *reason));
    return no_store_error(400, *reason);
  }
  auto entry = read_entry(ctx, std::get<json>(parsed));
  if (auto* refusal = std::get_if<Refusal>(&entry)) {
    audit(ctx, who, security::AuditAction::maintenance, "maintenance",
          fmt::format("refused: {}", refusal->reason));
    // An unknown string or battery is a missing resource (404); the rest a bad request.
    return no_store_error(refusal->status, refusal->reason);
  }
  auto record = std::get<Entry>(std::move(entry)).record;
  record.user = who.user;
  // On the gateway's clock, like the data it is compared with (the attention page judges a
  // replaced battery from this moment on; an accelerated demo runs on the plant's clock).
  record.recorded_ms = ctx.clock ? ctx.clock->now_ms() : unix_now_ms();
  const auto target = target_of(record.string_id, record.position);
  if (!ctx.maintenance) return no_store_error(503, kNoLog);

  Outcome baseline;
  if (record.kind == history::MaintenanceKind::replacement) {
    // First the engine: a replacement recorded while the old baseline stays in force would
    // judge the new block against the old one (and raise a false alarm, or hide a real one).
    if (!ctx.engine) return no_store_error(503, kNoEngine);
    baseline =
        carry_out(ctx, engine::ResetResistanceBaseline{record.string_id, record.position}, who);
    if (baseline.status != 200) {
      return finish(ctx, who, security::AuditAction::maintenance, target,
                    describe(record) + " (baseline reset refused, nothing recorded)", baseline);
    }
  }
  try {
    record = ctx.maintenance->add(std::move(record));
  } catch (const std::exception& e) {
    const auto message =
        record.kind == history::MaintenanceKind::replacement
            ? fmt::format(
                  "the baseline is being learned again, but the record could not be "
                  "stored: {}",
                  e.what())
            : fmt::format("the note could not be stored: {}", e.what());
    audit(ctx, who, security::AuditAction::maintenance, target,
          fmt::format("{}; result: 500 {}", describe(record), message));
    return no_store_error(500, message);
  }
  audit(ctx, who, security::AuditAction::maintenance, target,
        fmt::format("{}; result: 201 record {}", describe(record), record.id));
  json answer{{"ok", true}, {"record", record_json(record)}};
  if (record.kind == history::MaintenanceKind::replacement) {
    answer["message"] =
        fmt::format("replacement recorded; {}",
                    baseline.message.empty() ? "resistance baseline reset" : baseline.message);
    if (baseline.durable) answer["durable"] = *baseline.durable;
  } else {
    answer["message"] = "note recorded";
  }
  return no_store_json(201, answer);
}

}  // namespace

std::optional<std::int64_t> parse_work_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto y = parse_int64(text.substr(0, 4));
  const auto m = parse_int64(text.substr(5, 2));
  const auto d = parse_int64(text.substr(8, 2));
  if (!y || !m || !d || *y < 2000 || *m < 1 || *d < 1) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(*y)},
                                        std::chrono::month{static_cast<unsigned>(*m)},
                                        std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

std::variant<history::MaintenanceQuery, std::string> parse_maintenance_query(
    const ParsedTarget& target) {
  history::MaintenanceQuery q;
  for (const auto& [key, value] : target.query) {
    const auto number = parse_int64(value);
    if (key == "string") {
      if (!number || *number < 1 || *number > kMaxStringId)
        return fmt::format("string must be a string id 1..{}", kMaxStringId);
      q.string_id = static_cast<int>(*number);
    } else if (key == "battery") {
      if (!number || *number < 0 || *number > kMaxPosition)
        return fmt::format("battery must be a position 0..{} (0 = the string's own records)",
                           kMaxPosition);
      q.position = static_cast<int>(*number);
    } else if (key == "kind") {
      q.kind = history::parse_maintenance_kind(value);
      if (!q.kind) return "kind must be note or replacement";
    } else if (key == "limit") {
      if (!number || *number < 1 || *number > static_cast<std::int64_t>(kMaxMaintenanceListLimit))
        return fmt::format("limit must be 1..{}", kMaxMaintenanceListLimit);
      q.limit = static_cast<std::size_t>(*number);
    } else {
      return "unknown query parameter: " + key;
    }
  }
  if (q.position && q.string_id == 0) return "battery needs string (a position is within a string)";
  return q;
}

void add_maintenance_routes(Router& router, const OperatorContext& ctx) {
  // One route serves GET (viewer) and POST: the router checked viewer and CSRF, operator is
  // checked here (and a refusal audited by the authorizer like any other).
  router.add(Route{"/api/v1/maintenance",
                   {"GET", "POST"},
                   Role::viewer,
                   [&ctx](const Request& r, const ParsedTarget& t) -> Response {
                     if (r.method == "GET") return list_records(ctx, t);
                     if (ctx.auth != nullptr) {
                       if (auto denied = ctx.auth->authorize(r, Role::operator_))
                         return std::move(*denied);
                     }
                     if (!t.query.empty())
                       return no_store_error(400,
                                             "unknown query parameter: " + t.query.begin()->first);
                     return add_record(ctx, r);
                   }});
  router.mark_blocking("/api/v1/maintenance", "GET");
  router.mark_blocking("/api/v1/maintenance", "POST");
}

}  // namespace btms::web
