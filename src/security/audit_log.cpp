#include "security/audit_log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "ops/schema_version.hpp"
#include "security/sqlite_handle.hpp"

namespace btms::security {

using detail::SqliteStatement;

namespace {
constexpr std::array<std::pair<AuditAction, std::string_view>, 10> kActionNames{{
    {AuditAction::login, "login"},
    {AuditAction::login_failed, "login_failed"},
    {AuditAction::logout, "logout"},
    {AuditAction::acknowledge, "acknowledge"},
    {AuditAction::reset, "reset"},
    {AuditAction::relay_command, "relay_command"},
    {AuditAction::config_change, "config_change"},
    {AuditAction::user_change, "user_change"},
    {AuditAction::access_denied, "access_denied"},
    {AuditAction::maintenance, "maintenance"},
}};

// Fields come partly from requests; cap them so one entry cannot fill the disk.
constexpr std::size_t kMaxFieldLength = 1024;

std::string_view capped(std::string_view text) {
  return text.substr(0, std::min(text.size(), kMaxFieldLength));
}
}  // namespace

std::string_view to_string(AuditAction action) {
  for (const auto& [value, name] : kActionNames) {
    if (value == action) return name;
  }
  return "unknown";
}

std::optional<AuditAction> parse_audit_action(std::string_view text) {
  for (const auto& [value, name] : kActionNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

AuditLog::AuditLog(const std::string& path, AuditConfig config)
    : db_(std::make_unique<detail::SqliteHandle>(path)) {
  // Version 1: the first release's table (files from before versions were kept have it too).
  const ops::Schema schema{
      "audit", path, {{1, [](sqlite3* db) {
                         ops::exec_sql(db,
                                       "CREATE TABLE IF NOT EXISTS audit ("
                                       " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                       " time_ms INTEGER NOT NULL,"
                                       " user TEXT NOT NULL,"
                                       " source_address TEXT NOT NULL,"
                                       " action TEXT NOT NULL,"
                                       " target TEXT NOT NULL,"
                                       " detail TEXT NOT NULL);"
                                       "CREATE INDEX IF NOT EXISTS audit_time ON audit(time_ms);");
                       }}}};
  static_assert(kAuditSchemaVersion == 1, "add the new schema step above");
  ops::migrate_schema(db_->get(), schema);
  if (config.max_page_count > 0) {
    db_->exec(fmt::format("PRAGMA max_page_count = {}", config.max_page_count).c_str());
  }
}

AuditLog::~AuditLog() = default;

bool AuditLog::append(const AuditEntry& entry) noexcept {
  return append(entry.time_ms, entry.user, entry.source_address, entry.action, entry.target,
                entry.detail);
}

bool AuditLog::append(std::int64_t time_ms, std::string_view user, std::string_view source_address,
                      AuditAction action, std::string_view target,
                      std::string_view detail) noexcept {
  try {
    std::lock_guard lock(mutex_);
    SqliteStatement stmt(*db_,
                         "INSERT INTO audit (time_ms, user, source_address, action, target, "
                         "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    stmt.bind(1, time_ms)
        .bind(2, capped(user))
        .bind(3, capped(source_address))
        .bind(4, to_string(action))
        .bind(5, capped(target))
        .bind(6, capped(detail));
    stmt.run();
    return true;
  } catch (...) {
    // Disk full, I/O error, out of memory or a locked mutex failing: the caller's action
    // must proceed; the counter is exported as a metric so the failure is still visible.
    failed_appends_.fetch_add(1);
    return false;
  }
}

std::vector<AuditEntry> AuditLog::query(std::int64_t from_ms, std::int64_t to_ms,
                                        std::size_t limit) const {
  std::vector<AuditEntry> entries;
  if (limit == 0) return entries;
  const auto sql_limit = static_cast<std::int64_t>(
      std::min<std::size_t>(limit, static_cast<std::size_t>(std::numeric_limits<int>::max())));
  std::lock_guard lock(mutex_);
  SqliteStatement stmt(*db_,
                       "SELECT time_ms, user, source_address, action, target, detail FROM audit "
                       "WHERE time_ms >= ?1 AND time_ms <= ?2 ORDER BY time_ms DESC, id DESC "
                       "LIMIT ?3");
  stmt.bind(1, from_ms).bind(2, to_ms).bind(3, sql_limit);
  while (stmt.step()) {
    const auto action = parse_audit_action(stmt.column_text(3));
    if (!action) continue;  // written by a newer version; skip rather than misreport
    AuditEntry entry;
    entry.time_ms = stmt.column_int64(0);
    entry.user = stmt.column_text(1);
    entry.source_address = stmt.column_text(2);
    entry.action = *action;
    entry.target = stmt.column_text(4);
    entry.detail = stmt.column_text(5);
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::int64_t AuditLog::prune_before(std::int64_t before_ms) noexcept {
  try {
    std::lock_guard lock(mutex_);
    SqliteStatement stmt(*db_, "DELETE FROM audit WHERE time_ms < ?1");
    stmt.bind(1, before_ms);
    stmt.run();
    return stmt.changes();
  } catch (...) {
    return 0;
  }
}

}  // namespace btms::security
