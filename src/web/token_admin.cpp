#include "web/token_admin.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <ostream>
#include <stdexcept>

#include "security/audit_log.hpp"
#include "security/token_store.hpp"
#include "web/auth_handlers.hpp"

namespace btms::web {

namespace {

// The stores live in the gateway's folder; opening them through AuthContext keeps the folder
// and file permissions the gateway itself enforces (0700 / 0600).
AuthContext open_stores(const std::string& data_dir) {
  return AuthContext(data_dir, false, true,
                     AuthTuning{security::PasswordHashCost::minimum(), {}, {}, 1});
}

std::string age_text(std::int64_t then_ms, std::int64_t now_ms) {
  if (then_ms <= 0) return "never";
  const auto seconds = std::max<std::int64_t>(0, (now_ms - then_ms) / 1000);
  if (seconds < 120) return fmt::format("{} s ago", seconds);
  if (seconds < 2 * 3600) return fmt::format("{} min ago", seconds / 60);
  if (seconds < 2 * 86400) return fmt::format("{} h ago", seconds / 3600);
  return fmt::format("{} days ago", seconds / 86400);
}

}  // namespace

int add_token(const std::string& data_dir, const std::string& name, std::string_view role_text,
              std::int64_t now_ms, std::ostream& out, std::ostream& err) {
  const auto role = security::parse_role(role_text);
  if (!role || *role == security::Role::admin) {
    // Machine clients read or acknowledge; administration stays with people who log in.
    err << "role must be viewer or operator\n";
    return 1;
  }
  try {
    auto auth = open_stores(data_dir);
    const auto token = auth.tokens()->add(name, *role, now_ms);
    auth.audit()->append(now_ms, "", "cli", security::AuditAction::user_change, "token/" + name,
                         fmt::format("API token added with role {}", security::to_string(*role)));
    out << token << '\n';
    err << "API token '" << name << "' (" << security::to_string(*role)
        << ") added; it is shown only this once.\n";
  } catch (const std::invalid_argument& e) {
    err << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    err << "cannot open the user store in " << data_dir << ": " << e.what() << '\n';
    return 2;
  }
  return 0;
}

int list_tokens(const std::string& data_dir, std::int64_t now_ms, std::ostream& out,
                std::ostream& err) {
  try {
    auto auth = open_stores(data_dir);
    const auto tokens = auth.tokens()->list();
    out << fmt::format("{:<32} {:<9} {:<16} {}\n", "NAME", "ROLE", "CREATED", "LAST USE");
    for (const auto& t : tokens) {
      out << fmt::format("{:<32} {:<9} {:<16} {}\n", t.name, security::to_string(t.role),
                         age_text(t.created_ms, now_ms), age_text(t.last_used_ms, now_ms));
    }
  } catch (const std::exception& e) {
    err << "cannot open the user store in " << data_dir << ": " << e.what() << '\n';
    return 2;
  }
  return 0;
}

int revoke_token(const std::string& data_dir, const std::string& name, std::int64_t now_ms,
                 std::ostream& out, std::ostream& err) {
  try {
    auto auth = open_stores(data_dir);
    if (!auth.tokens()->revoke(name)) {
      err << "no such token: " << name << '\n';
      return 1;
    }
    auth.audit()->append(now_ms, "", "cli", security::AuditAction::user_change, "token/" + name,
                         "API token revoked");
    out << "revoked " << name << '\n';
  } catch (const std::exception& e) {
    err << "cannot open the user store in " << data_dir << ": " << e.what() << '\n';
    return 2;
  }
  return 0;
}

}  // namespace btms::web
