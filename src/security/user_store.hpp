// Local user accounts of the gateway (IEC 62443-4-2 CR 1.1 / 1.5 / 1.7): names, roles and
// Argon2id password hashes in a SQLite file. Clear-text passwords are never stored, logged or
// returned; they only pass through add_user/set_password/verify.
//
// Thread-safe: one mutex guards the connection, so the web server may share one instance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "security/role.hpp"

namespace btms::security {

namespace detail {
class SqliteHandle;
class SqliteStatement;
}  // namespace detail

// Argon2id cost. Production uses libsodium's INTERACTIVE limits; tests pass minimum() so that
// hashing stays fast under AddressSanitizer.
struct PasswordHashCost {
  unsigned long long ops_limit = 0;
  std::size_t mem_limit_bytes = 0;

  static PasswordHashCost interactive();
  static PasswordHashCost minimum();  // tests only: not a safe production setting
};

inline constexpr std::size_t kMinPasswordLength = 10;
// Upper bound so a huge request body cannot be fed to Argon2.
inline constexpr std::size_t kMaxPasswordLength = 1024;
inline constexpr std::size_t kMaxUserNameLength = 32;

struct UserInfo {
  std::string name;
  Role role = Role::viewer;
  std::int64_t created_ms = 0;
  bool disabled = false;
};

// Throw std::invalid_argument with a human-readable reason (safe to show in the UI: it never
// contains the password).
void validate_user_name(std::string_view name);
void validate_password(std::string_view password);

// Schema version (row of table schema_version) of the users database this build writes; opening an
// older file migrates it forward, a newer one throws ops::SchemaTooNewError
// (src/ops/schema_version).
inline constexpr int kUsersSchemaVersion = 1;

class UserStore {
 public:
  // Opens or creates the database at `path` (":memory:" works for tests) and makes the file
  // owner-only (0600).
  explicit UserStore(const std::string& path,
                     PasswordHashCost cost = PasswordHashCost::interactive());
  ~UserStore();
  UserStore(const UserStore&) = delete;
  UserStore& operator=(const UserStore&) = delete;

  // True when no account exists: the gateway must then force creation of a first admin.
  bool empty() const;
  // True when at least one enabled admin exists.
  bool has_admin() const;

  // Throws std::invalid_argument for a bad name, short password or an existing name.
  void add_user(const std::string& name, Role role, std::string_view password, std::int64_t now_ms);
  // First-start bootstrap: adds `name` as admin only while no account exists, atomically (two
  // racing first-start requests cannot both succeed). False when any user already exists;
  // throws std::invalid_argument for a bad name or password.
  bool add_first_admin(const std::string& name, std::string_view password, std::int64_t now_ms);
  // The guard functions below refuse (std::invalid_argument) to leave the gateway without an
  // enabled admin. They return false when the user does not exist.
  bool remove_user(const std::string& name);
  bool set_role(const std::string& name, Role role);
  bool set_disabled(const std::string& name, bool disabled);
  // Throws std::invalid_argument for a too-short password.
  bool set_password(const std::string& name, std::string_view password);

  std::vector<UserInfo> list() const;  // sorted by name
  std::optional<UserInfo> find(const std::string& name) const;

  // The user's role when the name exists, is enabled and the password matches; nullopt
  // otherwise (the caller must not tell the client which of these failed). Unknown names
  // still cost one hash so response time does not reveal which accounts exist. A hash made
  // with a different cost is upgraded to the current cost on a successful verify.
  std::optional<Role> verify(const std::string& name, std::string_view password);

 private:
  std::string hash_password(std::string_view password) const;
  int enabled_admins_locked() const;
  // Runs one statement in a transaction and rolls it back (throwing invalid_argument with
  // `refusal`) when it would leave no enabled admin; returns whether a row changed.
  bool change_guarding_last_admin(const char* sql,
                                  const std::function<void(detail::SqliteStatement&)>& bind,
                                  const char* refusal);

  PasswordHashCost cost_;
  mutable std::mutex mutex_;
  std::unique_ptr<detail::SqliteHandle> db_;
  std::string dummy_hash_;  // lazily made; verified against for unknown names
};

}  // namespace btms::security
