#include "history/maintenance_log.hpp"

#include <array>
#include <limits>
#include <utility>

#include "history/sqlite_db.hpp"
#include "ops/schema_version.hpp"

namespace btms::history {
namespace {

constexpr std::array<std::pair<MaintenanceKind, std::string_view>, 2> kKindNames{{
    {MaintenanceKind::note, "note"},
    {MaintenanceKind::replacement, "replacement"},
}};

MaintenanceRecord read_row(const SqliteStmt& row) {
  MaintenanceRecord r;
  r.id = row.column_int(0);
  r.recorded_ms = row.column_int(1);
  r.work_date = row.column_text(2);
  r.string_id = static_cast<int>(row.column_int(3));
  r.position = static_cast<int>(row.column_int(4));
  // An unknown kind (written by a newer BTMS) reads as a note rather than being hidden.
  r.kind = parse_maintenance_kind(row.column_text(5)).value_or(MaintenanceKind::note);
  r.serial = row.column_text(6);
  r.note = row.column_text(7);
  r.user = row.column_text(8);
  return r;
}

constexpr const char* kColumns =
    "id, recorded_ms, work_date, string_id, position, kind, serial, note, user";

}  // namespace

std::string_view to_string(MaintenanceKind kind) {
  for (const auto& [value, name] : kKindNames) {
    if (value == kind) return name;
  }
  return "note";
}

std::optional<MaintenanceKind> parse_maintenance_kind(std::string_view text) {
  for (const auto& [value, name] : kKindNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

MaintenanceLog::MaintenanceLog(const std::string& path)
    : db_(std::make_unique<SqliteDb>(path.empty() ? std::string(":memory:") : path)) {
  const ops::Schema schema{"maintenance", path, {{1, [](sqlite3* db) {
                                                    ops::exec_sql(
                                                        db,
                                                        "CREATE TABLE maintenance ("
                                                        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                                        " recorded_ms INTEGER NOT NULL,"
                                                        " work_date TEXT NOT NULL,"
                                                        " string_id INTEGER NOT NULL,"
                                                        " position INTEGER NOT NULL,"
                                                        " kind TEXT NOT NULL,"
                                                        " serial TEXT NOT NULL,"
                                                        " note TEXT NOT NULL,"
                                                        " user TEXT NOT NULL);"
                                                        "CREATE INDEX maintenance_battery ON "
                                                        "maintenance(string_id, position);");
                                                  }}}};
  static_assert(kMaintenanceSchemaVersion == 1, "add the new schema step above");
  ops::migrate_schema(db_->handle(), schema);
}

MaintenanceLog::~MaintenanceLog() = default;

MaintenanceRecord MaintenanceLog::add(MaintenanceRecord record) {
  std::lock_guard lock(mutex_);
  SqliteStmt stmt(*db_,
                  "INSERT INTO maintenance (recorded_ms, work_date, string_id, position, kind, "
                  "serial, note, user) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  stmt.bind(1, record.recorded_ms)
      .bind(2, std::string_view(record.work_date))
      .bind(3, static_cast<std::int64_t>(record.string_id))
      .bind(4, static_cast<std::int64_t>(record.position))
      .bind(5, to_string(record.kind))
      .bind(6, std::string_view(record.serial))
      .bind(7, std::string_view(record.note))
      .bind(8, std::string_view(record.user));
  stmt.run();
  record.id = sqlite3_last_insert_rowid(db_->handle());
  return record;
}

std::vector<MaintenanceRecord> MaintenanceLog::list(const MaintenanceQuery& query) const {
  std::vector<MaintenanceRecord> records;
  if (query.limit == 0) return records;
  const auto limit = static_cast<std::int64_t>(
      std::min<std::size_t>(query.limit, std::numeric_limits<int>::max()));
  // Unset filters are bound as values that match everything (-1 = any position, '' or NULL =
  // any kind: SQLite binds an empty text without data as NULL).
  const std::string sql = std::string("SELECT ") + kColumns +
                          " FROM maintenance WHERE (?1 = 0 OR string_id = ?1)"
                          " AND (?2 < 0 OR position = ?2) AND (coalesce(?3, '') = '' OR kind = ?3)"
                          " ORDER BY work_date DESC, id DESC LIMIT ?4";
  std::lock_guard lock(mutex_);
  SqliteStmt stmt(*db_, sql.c_str());
  stmt.bind(1, static_cast<std::int64_t>(query.string_id))
      .bind(2, static_cast<std::int64_t>(query.position.value_or(-1)))
      .bind(3, query.kind ? to_string(*query.kind) : std::string_view{})
      .bind(4, limit);
  while (stmt.step()) records.push_back(read_row(stmt));
  return records;
}

std::vector<MaintenanceRecord> MaintenanceLog::latest_replacements(int string_id) const {
  std::vector<MaintenanceRecord> records;
  const std::string sql = std::string("SELECT ") + kColumns +
                          " FROM maintenance m WHERE string_id = ?1 AND kind = 'replacement'"
                          " AND id = (SELECT id FROM maintenance n WHERE n.string_id = m.string_id"
                          " AND n.position = m.position AND n.kind = 'replacement'"
                          " ORDER BY work_date DESC, id DESC LIMIT 1) ORDER BY position";
  std::lock_guard lock(mutex_);
  SqliteStmt stmt(*db_, sql.c_str());
  stmt.bind(1, static_cast<std::int64_t>(string_id));
  while (stmt.step()) records.push_back(read_row(stmt));
  return records;
}

}  // namespace btms::history
