#include "history/sqlite_db.hpp"

#include <stdexcept>

namespace btms::history {
namespace {
[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  throw std::runtime_error(std::string("sqlite: ") + std::string(what) + ": " +
                           (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}
}  // namespace

SqliteDb::SqliteDb(const std::string& path) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("sqlite: open " + path + ": " + message);
  }
  sqlite3_busy_timeout(db_, 5000);
}

SqliteDb::~SqliteDb() {
  sqlite3_close(db_);
}

void SqliteDb::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    throw std::runtime_error(std::string("sqlite: ") + sql + ": " + message);
  }
}

SqliteStmt::SqliteStmt(const SqliteDb& db, const char* sql) : db_(db.handle()) {
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK)
    fail(db_, sql);
}

SqliteStmt::~SqliteStmt() {
  sqlite3_finalize(stmt_);
}

SqliteStmt& SqliteStmt::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}
SqliteStmt& SqliteStmt::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
  return *this;
}
SqliteStmt& SqliteStmt::bind(int index, std::string_view text) {
  if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK)
    fail(db_, "bind");
  return *this;
}
SqliteStmt& SqliteStmt::bind_blob(int index, std::span<const std::uint8_t> blob) {
  // An empty span may have no data pointer, which SQLite would bind as NULL.
  if (blob.empty()) {
    if (sqlite3_bind_zeroblob(stmt_, index, 0) != SQLITE_OK) fail(db_, "bind");
    return *this;
  }
  // SQLITE_STATIC: the caller keeps the blob alive until the statement has run.
  if (sqlite3_bind_blob(stmt_, index, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC) !=
      SQLITE_OK)
    fail(db_, "bind");
  return *this;
}

bool SqliteStmt::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const std::string sql = sqlite3_sql(stmt_);
  sqlite3_reset(stmt_);
  fail(db_, sql);
}

void SqliteStmt::run() {
  while (step()) {
  }
  reset();
}

void SqliteStmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t SqliteStmt::column_int(int index) const {
  return sqlite3_column_int64(stmt_, index);
}
double SqliteStmt::column_double(int index) const {
  return sqlite3_column_double(stmt_, index);
}
std::string SqliteStmt::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);
  return text != nullptr ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}
std::span<const std::uint8_t> SqliteStmt::column_blob(int index) const {
  const void* data = sqlite3_column_blob(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  return {static_cast<const std::uint8_t*>(data), static_cast<std::size_t>(size)};
}

}  // namespace btms::history
