// Security audit trail (IEC 62443-4-2 CR 2.8 auditable events, CR 2.9 storage capacity,
// CR 2.10 response to audit processing failures): who did what, from where, when. Stored in
// SQLite; append() never throws, so a full disk cannot break an operator's acknowledgement or
// relay command: the failure is counted and reported as false instead.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace btms::security {

namespace detail {
class SqliteHandle;
}

enum class AuditAction {
  login,
  login_failed,
  logout,
  acknowledge,    // alarm acknowledgement
  reset,          // alarm / latch reset
  relay_command,  // digital output / relay
  config_change,  // topology, thresholds, settings
  user_change,    // add/remove/role/password of an account
  access_denied,  // authenticated request refused for role or CSRF
  maintenance,    // a battery replacement or a maintenance note recorded
};

std::string_view to_string(AuditAction action);
std::optional<AuditAction> parse_audit_action(std::string_view text);

struct AuditEntry {
  std::int64_t time_ms = 0;
  std::string user;            // empty when unauthenticated
  std::string source_address;  // client IP as text
  AuditAction action = AuditAction::login;
  std::string target;  // e.g. "battery/3/17", "relay/2", "user/alice"
  std::string detail;  // free text; must never contain a password
};

struct AuditConfig {
  // SQLite page cap (0 = unlimited): bounds the file; appends fail (false) once it is reached.
  std::int64_t max_page_count = 0;
};

// Schema version (row of table schema_version) of the audit log database this build writes; opening
// an older file migrates it forward, a newer one throws ops::SchemaTooNewError
// (src/ops/schema_version).
inline constexpr int kAuditSchemaVersion = 1;

class AuditLog {
 public:
  // Opens or creates the audit table in `path` (may be the users file). Throws on open failure:
  // the gateway must not start without an audit trail.
  explicit AuditLog(const std::string& path, AuditConfig config = {});
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Never throws. False (and failed_appends() + 1) when the entry could not be stored.
  bool append(const AuditEntry& entry) noexcept;
  bool append(std::int64_t time_ms, std::string_view user, std::string_view source_address,
              AuditAction action, std::string_view target, std::string_view detail) noexcept;

  // Entries with from_ms <= time_ms <= to_ms, newest first, at most `limit`.
  std::vector<AuditEntry> query(std::int64_t from_ms, std::int64_t to_ms, std::size_t limit) const;
  // Deletes entries older than `before_ms` (retention); returns how many. Never throws.
  std::int64_t prune_before(std::int64_t before_ms) noexcept;

  std::uint64_t failed_appends() const { return failed_appends_.load(); }

 private:
  mutable std::mutex mutex_;
  std::unique_ptr<detail::SqliteHandle> db_;
  std::atomic<std::uint64_t> failed_appends_{0};
};

}  // namespace btms::security
