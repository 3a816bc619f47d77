// Minimal RAII over the SQLite C API for the security stores (users, audit). Errors throw
// std::runtime_error with SQLite's message and the extended result code.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace btms::security::detail {

class SqliteHandle {
 public:
  explicit SqliteHandle(const std::string& path);
  ~SqliteHandle();
  SqliteHandle(const SqliteHandle&) = delete;
  SqliteHandle& operator=(const SqliteHandle&) = delete;

  void exec(const char* sql);
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteStatement {
 public:
  SqliteStatement(const SqliteHandle& db, const char* sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& bind(int index, std::int64_t value);
  SqliteStatement& bind(int index, std::string_view text);
  bool step();  // true when a row is available, false when done; throws on error
  void run();   // step to completion
  // Row count changed by the last completed statement on this connection.
  int changes() const;

  std::int64_t column_int64(int index) const;
  std::string column_text(int index) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace btms::security::detail
