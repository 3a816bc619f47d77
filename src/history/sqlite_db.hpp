// Thin RAII wrappers over the SQLite C API: a connection and a prepared statement. Errors throw
// std::runtime_error carrying SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace btms::history {

class SqliteDb {
 public:
  explicit SqliteDb(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(const char* sql);
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteStmt {
 public:
  SqliteStmt(const SqliteDb& db, const char* sql);
  ~SqliteStmt();
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  SqliteStmt& bind(int index, std::int64_t value);
  SqliteStmt& bind(int index, double value);
  SqliteStmt& bind(int index, std::string_view text);
  SqliteStmt& bind_blob(int index, std::span<const std::uint8_t> blob);
  bool step();  // true when a row is available
  void run();   // step to completion, then reset
  void reset();

  std::int64_t column_int(int index) const;
  double column_double(int index) const;
  std::string column_text(int index) const;
  std::span<const std::uint8_t> column_blob(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace btms::history
