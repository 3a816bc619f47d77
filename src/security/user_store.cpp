#include "security/user_store.hpp"

#include <functional>

#include <sodium.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <stdexcept>

#include "ops/schema_version.hpp"
#include "security/sodium_init.hpp"
#include "security/sqlite_handle.hpp"

namespace btms::security {

using detail::SqliteStatement;

PasswordHashCost PasswordHashCost::interactive() {
  return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

PasswordHashCost PasswordHashCost::minimum() {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

void validate_user_name(std::string_view name) {
  if (name.empty()) throw std::invalid_argument("user name must not be empty");
  if (name.size() > kMaxUserNameLength) {
    throw std::invalid_argument(
        fmt::format("user name must be at most {} characters", kMaxUserNameLength));
  }
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) {
      throw std::invalid_argument(
          "user name may only contain lower-case letters, digits, '_', '.' and '-'");
    }
  }
}

void validate_password(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    throw std::invalid_argument(
        fmt::format("password must be at least {} characters", kMinPasswordLength));
  }
  if (password.size() > kMaxPasswordLength) {
    throw std::invalid_argument(
        fmt::format("password must be at most {} characters", kMaxPasswordLength));
  }
  if (password.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("password must not contain NUL characters");
  }
}

UserStore::UserStore(const std::string& path, PasswordHashCost cost) : cost_(cost) {
  ensure_sodium_initialised();
  db_ = std::make_unique<detail::SqliteHandle>(path);
  // Hashes are still worth stealing for offline guessing: owner-only, like the TLS key.
  // SQLite gives its journal files the database's mode. Best effort (":memory:" has no file).
  if (path != ":memory:" && !path.empty()) ::chmod(path.c_str(), 0600);
  // Version 1: the first release's table (files from before versions were kept have it too).
  const ops::Schema schema{"users", path, {{1, [](sqlite3* db) {
                                              ops::exec_sql(
                                                  db,
                                                  "CREATE TABLE IF NOT EXISTS users ("
                                                  " name TEXT PRIMARY KEY NOT NULL,"
                                                  " role TEXT NOT NULL,"
                                                  " password_hash TEXT NOT NULL,"
                                                  " created_ms INTEGER NOT NULL,"
                                                  " disabled INTEGER NOT NULL DEFAULT 0)");
                                            }}}};
  static_assert(kUsersSchemaVersion == 1, "add the new schema step above");
  ops::migrate_schema(db_->get(), schema);
}

UserStore::~UserStore() = default;

std::string UserStore::hash_password(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost_.ops_limit,
                            cost_.mem_limit_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    // Only fails when the memory limit cannot be allocated.
    throw std::runtime_error("password hashing failed (out of memory)");
  }
  return std::string(out);
}

bool UserStore::empty() const {
  std::lock_guard lock(mutex_);
  SqliteStatement stmt(*db_, "SELECT COUNT(*) FROM users");
  stmt.step();
  return stmt.column_int64(0) == 0;
}

int UserStore::enabled_admins_locked() const {
  SqliteStatement stmt(*db_, "SELECT COUNT(*) FROM users WHERE role = ?1 AND disabled = 0");
  stmt.bind(1, to_string(Role::admin));
  stmt.step();
  return static_cast<int>(stmt.column_int64(0));
}

bool UserStore::has_admin() const {
  std::lock_guard lock(mutex_);
  return enabled_admins_locked() > 0;
}

void UserStore::add_user(const std::string& name, Role role, std::string_view password,
                         std::int64_t now_ms) {
  validate_user_name(name);
  validate_password(password);
  // Hash outside the lock: Argon2 takes tens of milliseconds and 64 MiB by design.
  const std::string hash = hash_password(password);
  std::lock_guard lock(mutex_);
  SqliteStatement stmt(*db_,
                       "INSERT OR IGNORE INTO users (name, role, password_hash, created_ms, "
                       "disabled) VALUES (?1, ?2, ?3, ?4, 0)");
  stmt.bind(1, name).bind(2, to_string(role)).bind(3, hash).bind(4, now_ms);
  stmt.run();
  if (stmt.changes() == 0) {
    throw std::invalid_argument(fmt::format("user '{}' already exists", name));
  }
}

bool UserStore::add_first_admin(const std::string& name, std::string_view password,
                                std::int64_t now_ms) {
  validate_user_name(name);
  validate_password(password);
  const std::string hash = hash_password(password);
  std::lock_guard lock(mutex_);
  SqliteStatement stmt(*db_,
                       "INSERT INTO users (name, role, password_hash, created_ms, disabled) "
                       "SELECT ?1, ?2, ?3, ?4, 0 WHERE NOT EXISTS (SELECT 1 FROM users)");
  stmt.bind(1, name).bind(2, to_string(Role::admin)).bind(3, hash).bind(4, now_ms);
  stmt.run();
  return stmt.changes() > 0;
}

bool UserStore::change_guarding_last_admin(const char* sql,
                                           const std::function<void(SqliteStatement&)>& bind,
                                           const char* refusal) {
  std::lock_guard lock(mutex_);
  const auto before = enabled_admins_locked();
  db_->exec("BEGIN IMMEDIATE");
  try {
    SqliteStatement stmt(*db_, sql);
    bind(stmt);
    stmt.run();
    const bool changed = stmt.changes() > 0;
    if (before > 0 && enabled_admins_locked() == 0) throw std::invalid_argument(refusal);
    db_->exec("COMMIT");
    return changed;
  } catch (...) {
    db_->exec("ROLLBACK");
    throw;
  }
}

bool UserStore::remove_user(const std::string& name) {
  return change_guarding_last_admin(
      "DELETE FROM users WHERE name = ?1", [&](SqliteStatement& stmt) { stmt.bind(1, name); },
      "cannot remove the last enabled admin");
}

bool UserStore::set_role(const std::string& name, Role role) {
  return change_guarding_last_admin(
      "UPDATE users SET role = ?2 WHERE name = ?1",
      [&](SqliteStatement& stmt) { stmt.bind(1, name).bind(2, to_string(role)); },
      "cannot demote the last enabled admin");
}

bool UserStore::set_disabled(const std::string& name, bool disabled) {
  return change_guarding_last_admin(
      "UPDATE users SET disabled = ?2 WHERE name = ?1",
      [&](SqliteStatement& stmt) { stmt.bind(1, name).bind(2, std::int64_t{disabled ? 1 : 0}); },
      "cannot disable the last enabled admin");
}

bool UserStore::set_password(const std::string& name, std::string_view password) {
  validate_password(password);
  const std::string hash = hash_password(password);
  std::lock_guard lock(mutex_);
  SqliteStatement stmt(*db_, "UPDATE users SET password_hash = ?2 WHERE name = ?1");
  stmt.bind(1, name).bind(2, hash);
  stmt.run();
  return stmt.changes() > 0;
}

namespace {
UserInfo read_user(const SqliteStatement& stmt) {
  UserInfo info;
  info.name = stmt.column_text(0);
  const auto role = parse_role(stmt.column_text(1));
  // A role string we do not know (hand-edited file) grants the least privilege.
  info.role = role.value_or(Role::viewer);
  info.created_ms = stmt.column_int64(2);
  info.disabled = stmt.column_int64(3) != 0 || !role.has_value();
  return info;
}
}  // namespace

std::vector<UserInfo> UserStore::list() const {
  std::lock_guard lock(mutex_);
  SqliteStatement stmt(*db_, "SELECT name, role, created_ms, disabled FROM users ORDER BY name");
  std::vector<UserInfo> users;
  while (stmt.step()) users.push_back(read_user(stmt));
  return users;
}

std::optional<UserInfo> UserStore::find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  SqliteStatement stmt(*db_, "SELECT name, role, created_ms, disabled FROM users WHERE name = ?1");
  stmt.bind(1, name);
  if (!stmt.step()) return std::nullopt;
  return read_user(stmt);
}

std::optional<Role> UserStore::verify(const std::string& name, std::string_view password) {
  std::string stored_hash;
  std::optional<UserInfo> info;
  {
    std::lock_guard lock(mutex_);
    SqliteStatement stmt(*db_,
                         "SELECT name, role, created_ms, disabled, password_hash FROM users "
                         "WHERE name = ?1");
    stmt.bind(1, name);
    if (stmt.step()) {
      info = read_user(stmt);
      stored_hash = stmt.column_text(4);
    } else {
      if (dummy_hash_.empty()) dummy_hash_ = hash_password("not-a-real-password-0123456789");
      stored_hash = dummy_hash_;
    }
  }
  // Reject oversized input before Argon2 sees it; still costs nothing the attacker controls.
  if (password.size() > kMaxPasswordLength) return std::nullopt;
  const bool match =
      crypto_pwhash_str_verify(stored_hash.c_str(), password.data(), password.size()) == 0;
  if (!match || !info || info->disabled) return std::nullopt;
  if (crypto_pwhash_str_needs_rehash(stored_hash.c_str(), cost_.ops_limit, cost_.mem_limit_bytes) !=
      0) {
    // Best effort: the login succeeds even if the upgrade cannot be written.
    try {
      const std::string upgraded = hash_password(password);
      std::lock_guard lock(mutex_);
      SqliteStatement stmt(*db_,
                           "UPDATE users SET password_hash = ?2 WHERE name = ?1 AND "
                           "password_hash = ?3");
      stmt.bind(1, name).bind(2, upgraded).bind(3, stored_hash);
      stmt.run();
    } catch (const std::exception&) {
    }
  }
  return info->role;
}

}  // namespace btms::security
