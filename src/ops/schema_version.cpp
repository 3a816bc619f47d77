#include "ops/schema_version.hpp"

#include <fmt/format.h>

namespace btms::ops {

void exec_sql(sqlite3* db, const char* sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db);
    sqlite3_free(error);
    throw std::runtime_error(fmt::format("sqlite: {} (code {})", message, rc));
  }
}

int read_schema_version(sqlite3* db, const std::string& part) {
  sqlite3_stmt* stmt = nullptr;
  // A missing table is version 0: the prepare fails with "no such table".
  if (sqlite3_prepare_v2(db, "SELECT version FROM schema_version WHERE part = ?", -1, &stmt,
                         nullptr) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db);
    if (message.find("no such table") != std::string::npos) return 0;
    throw std::runtime_error(fmt::format("sqlite: cannot read the schema version: {}", message));
  }
  sqlite3_bind_text(stmt, 1, part.data(), static_cast<int>(part.size()), SQLITE_TRANSIENT);
  int version = 0;
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) version = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    throw std::runtime_error(
        fmt::format("sqlite: cannot read the schema version: {}", sqlite3_errmsg(db)));
  return version;
}

int migrate_schema(sqlite3* db, const Schema& schema) {
  const int latest = schema.latest_version();
  // Cheap check without a write lock: an up-to-date database (every start but the first after
  // an upgrade) takes no lock at all, and a newer one is refused before anything is written.
  const int seen = read_schema_version(db, schema.part);
  if (seen > latest) {
    throw SchemaTooNewError(fmt::format(
        "{} database {} has schema version {}, newer than the {} this BTMS knows: it was "
        "written by a newer BTMS. Refusing to open it (a downgrade would corrupt it); install "
        "that version again or restore a backup made by this one",
        schema.part, schema.file, seen, latest));
  }
  if (seen == latest) return seen;

  exec_sql(db, "BEGIN IMMEDIATE");
  try {
    const int found = read_schema_version(db, schema.part);  // under the write lock now
    if (found > latest) {
      throw SchemaTooNewError(
          fmt::format("{} database {} was upgraded to schema version {} by "
                      "a newer BTMS while opening it",
                      schema.part, schema.file, found));
    }
    for (const auto& step : schema.steps) {
      if (step.version <= found) continue;
      try {
        step.apply(db);
      } catch (const std::exception& e) {
        throw std::runtime_error(
            fmt::format("{} database {}: upgrade to schema version {} "
                        "failed: {}",
                        schema.part, schema.file, step.version, e.what()));
      }
    }
    exec_sql(db,
             "CREATE TABLE IF NOT EXISTS schema_version(part TEXT PRIMARY KEY, "
             "version INTEGER NOT NULL)");
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO schema_version(part, version) VALUES(?, ?)",
                           -1, &stmt, nullptr) != SQLITE_OK)
      throw std::runtime_error(fmt::format("sqlite: {}", sqlite3_errmsg(db)));
    sqlite3_bind_text(stmt, 1, schema.part.data(), static_cast<int>(schema.part.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_int(stmt, 2, latest);
    const int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
      throw std::runtime_error(
          fmt::format("sqlite: cannot store the schema version: {}", sqlite3_errmsg(db)));
    exec_sql(db, "COMMIT");
    return found;
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace btms::ops
