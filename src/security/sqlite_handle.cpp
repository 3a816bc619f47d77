#include "security/sqlite_handle.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace btms::security::detail {

namespace {
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  throw std::runtime_error(
      fmt::format("sqlite {}: {} (code {})", what, db ? sqlite3_errmsg(db) : "?", rc));
}
}  // namespace

SqliteHandle::SqliteHandle(const std::string& path) {
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error(fmt::format("sqlite open {}: {}", path, message));
  }
  sqlite3_extended_result_codes(db_, 1);
  // The web server may hold the users and audit files open from several connections.
  sqlite3_busy_timeout(db_, 2000);
}

SqliteHandle::~SqliteHandle() {
  sqlite3_close(db_);
}

void SqliteHandle::exec(const char* sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : "?";
    sqlite3_free(error);
    throw std::runtime_error(fmt::format("sqlite exec: {} (code {})", message, rc));
  }
}

SqliteStatement::SqliteStatement(const SqliteHandle& db, const char* sql) : db_(db.get()) {
  const int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, "prepare");
}

SqliteStatement::~SqliteStatement() {
  sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

bool SqliteStatement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Reset so the statement is reusable and the error is reported once.
  sqlite3_reset(stmt_);
  fail(db_, rc, "step");
}

void SqliteStatement::run() {
  while (step()) {
  }
}

int SqliteStatement::changes() const {
  return sqlite3_changes(db_);
}

std::int64_t SqliteStatement::column_int64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

std::string SqliteStatement::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size))
              : std::string();
}

}  // namespace btms::security::detail
