#include "cloud/outbox.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>

namespace btms::cloud {

namespace {

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(fmt::format("cloud outbox: {}: {}", sql, sqlite3_errmsg(db)));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(fmt::format("cloud outbox: {}", sqlite3_errmsg(db_)));
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

std::string with_message_id(const std::string& payload, std::int64_t mid) {
  if (payload.size() < 2 || payload.front() != '{') return payload;
  const bool empty_object = payload == "{}";
  return fmt::format("{{\"mid\":{}{}{}", mid, empty_object ? "" : ",", payload.substr(1));
}

Outbox::Outbox(const std::string& path, OutboxLimits limits) : limits_(limits) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    const std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("cloud outbox " + path + ": " + reason);
  }
  sqlite3_busy_timeout(db_, 2000);
  // WAL + synchronous=NORMAL: a committed message survives a crash of the process (the kill
  // test); a power cut may lose the last transactions, never corrupt the file.
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec(
      "CREATE TABLE IF NOT EXISTS outbox (mid INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT "
      "NULL, payload BLOB NOT NULL, retain INTEGER NOT NULL, kind INTEGER NOT NULL, created_ms "
      "INTEGER NOT NULL)");
  exec("CREATE INDEX IF NOT EXISTS outbox_kind ON outbox(kind, mid)");
  exec("CREATE TABLE IF NOT EXISTS outbox_counters (name TEXT PRIMARY KEY, value INTEGER)");
  {
    Statement s(db_,
                "SELECT COUNT(*), COALESCE(SUM(length(topic) + length(payload)), 0) FROM outbox");
    s.step();
    rows_ = s.integer(0);
    bytes_ = s.integer(1);
  }
  {
    // sqlite_sequence keeps the highest id ever given, also after the rows are gone.
    Statement s(db_,
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), "
                "COALESCE((SELECT MAX(mid) FROM outbox), 0))");
    s.step();
    next_mid_ = s.integer(0) + 1;
  }
  load_counters();
}

Outbox::~Outbox() {
  if (db_) sqlite3_close(db_);
}

void Outbox::exec(const char* sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string reason = error ? error : "unknown error";
    sqlite3_free(error);
    throw std::runtime_error(fmt::format("cloud outbox: {}: {}", sql, reason));
  }
}

void Outbox::load_counters() {
  Statement s(db_, "SELECT name, value FROM outbox_counters");
  while (s.step()) {
    const auto name = s.text(0);
    if (name == "dropped_telemetry") dropped_telemetry_ = s.integer(1);
    if (name == "dropped_priority") dropped_priority_ = s.integer(1);
  }
}

void Outbox::save_counters() {
  Statement s(db_, "INSERT OR REPLACE INTO outbox_counters(name, value) VALUES (?, ?)");
  for (const auto& [name, value] :
       {std::pair<std::string, std::int64_t>{"dropped_telemetry", dropped_telemetry_},
        {"dropped_priority", dropped_priority_}}) {
    s.bind(1, name);
    s.bind(2, value);
    s.step();
    s.reset();
  }
}

std::vector<std::int64_t> Outbox::add(const std::vector<OutgoingMessage>& messages,
                                      std::int64_t now_ms) {
  std::vector<std::int64_t> mids;
  if (messages.empty()) return mids;
  mids.reserve(messages.size());
  exec("BEGIN IMMEDIATE");
  try {
    Statement s(db_,
                "INSERT INTO outbox(mid, topic, payload, retain, kind, created_ms) VALUES (?, ?, "
                "?, ?, ?, ?)");
    for (const auto& m : messages) {
      const auto mid = next_mid_;
      const auto payload = m.add_message_id ? with_message_id(m.payload, mid) : m.payload;
      s.bind(1, mid);
      s.bind(2, m.topic);
      s.bind(3, payload);
      s.bind(4, m.retain ? 1 : 0);
      s.bind(5, static_cast<std::int64_t>(m.kind));
      s.bind(6, now_ms);
      s.step();
      s.reset();
      ++next_mid_;
      ++rows_;
      bytes_ += static_cast<std::int64_t>(m.topic.size() + payload.size());
      mids.push_back(mid);
    }
    enforce_limits(now_ms);
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return mids;
}

void Outbox::drop_oldest(bool telemetry_only, std::int64_t count) {
  if (count <= 0) return;
  Statement sum(db_,
                telemetry_only
                    ? "SELECT COUNT(*), COALESCE(SUM(length(topic) + length(payload)), 0) FROM "
                      "(SELECT topic, payload FROM outbox WHERE kind = 0 ORDER BY mid LIMIT ?)"
                    : "SELECT COUNT(*), COALESCE(SUM(length(topic) + length(payload)), 0) FROM "
                      "(SELECT topic, payload FROM outbox ORDER BY mid LIMIT ?)");
  sum.bind(1, count);
  sum.step();
  const auto n = sum.integer(0);
  const auto bytes = sum.integer(1);
  if (n == 0) return;
  Statement del(db_, telemetry_only ? "DELETE FROM outbox WHERE mid IN (SELECT mid FROM outbox "
                                      "WHERE kind = 0 ORDER BY mid LIMIT ?)"
                                    : "DELETE FROM outbox WHERE mid IN (SELECT mid FROM outbox "
                                      "ORDER BY mid LIMIT ?)");
  del.bind(1, count);
  del.step();
  rows_ -= n;
  bytes_ -= bytes;
  (telemetry_only ? dropped_telemetry_ : dropped_priority_) += n;
  save_counters();
}

void Outbox::enforce_limits(std::int64_t now_ms) {
  // Age: old telemetry only; an alarm or event is kept while rows and bytes allow.
  {
    Statement s(db_,
                "SELECT COUNT(*), COALESCE(SUM(length(topic) + length(payload)), 0) FROM outbox "
                "WHERE kind = 0 AND created_ms < ?");
    s.bind(1, now_ms - limits_.max_age_ms);
    s.step();
    if (const auto n = s.integer(0); n > 0) {
      Statement del(db_, "DELETE FROM outbox WHERE kind = 0 AND created_ms < ?");
      del.bind(1, now_ms - limits_.max_age_ms);
      del.step();
      rows_ -= n;
      bytes_ -= s.integer(1);
      dropped_telemetry_ += n;
      save_counters();
    }
  }
  // Rows and bytes: a tenth of the bound at a time, so a full outbox is not trimmed (and
  // scanned) again for every single new message.
  const auto over = [&] { return rows_ > limits_.max_rows || bytes_ > limits_.max_bytes; };
  const auto chunk = std::max<std::int64_t>(1, limits_.max_rows / 10);
  for (const bool telemetry_only : {true, false}) {
    while (over()) {
      const auto before = rows_;
      const auto average_bytes =
          std::max<std::int64_t>(1, bytes_ / std::max<std::int64_t>(1, rows_));
      const auto excess = std::max({std::int64_t{1}, rows_ - limits_.max_rows,
                                    (bytes_ - limits_.max_bytes) / average_bytes + 1});
      drop_oldest(telemetry_only, std::min(chunk, excess));
      if (rows_ == before) break;  // none of this kind left
    }
  }
}

std::vector<StoredMessage> Outbox::read(std::int64_t after_mid, std::int64_t up_to_mid,
                                        std::size_t max) const {
  std::vector<StoredMessage> out;
  Statement s(db_,
              "SELECT mid, topic, payload, retain, kind, created_ms FROM outbox WHERE mid > ? AND "
              "mid <= ? ORDER BY mid LIMIT ?");
  s.bind(1, after_mid);
  s.bind(2, up_to_mid);
  s.bind(3, static_cast<std::int64_t>(max));
  while (s.step()) {
    out.push_back({s.integer(0), s.text(1), s.text(2), s.integer(3) != 0,
                   static_cast<MessageKind>(s.integer(4)), s.integer(5)});
  }
  return out;
}

void Outbox::remove(const std::vector<std::int64_t>& mids) {
  if (mids.empty()) return;
  exec("BEGIN IMMEDIATE");
  try {
    Statement sel(db_, "SELECT length(topic) + length(payload) FROM outbox WHERE mid = ?");
    Statement del(db_, "DELETE FROM outbox WHERE mid = ?");
    for (const auto mid : mids) {
      sel.bind(1, mid);
      if (sel.step()) {
        bytes_ -= sel.integer(0);
        --rows_;
        del.bind(1, mid);
        del.step();
        del.reset();
      }
      sel.reset();
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

OutboxStats Outbox::stats() const {
  OutboxStats st;
  st.rows = rows_;
  st.bytes = bytes_;
  st.dropped_telemetry = dropped_telemetry_;
  st.dropped_priority = dropped_priority_;
  st.newest_mid = next_mid_ - 1;
  Statement s(db_, "SELECT MIN(created_ms) FROM outbox WHERE mid = (SELECT MIN(mid) FROM outbox)");
  if (s.step()) st.oldest_created_ms = s.integer(0);
  return st;
}

}  // namespace btms::cloud
