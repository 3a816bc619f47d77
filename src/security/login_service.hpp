// The login route's logic in one place, so the web server cannot forget a step: rate limit,
// password check, session creation and audit record, in that order. Also the first-start
// admin bootstrap and logout. Holds references; all four collaborators must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "security/audit_log.hpp"
#include "security/login_rate_limiter.hpp"
#include "security/session_manager.hpp"
#include "security/user_store.hpp"

namespace btms::security {

enum class LoginStatus {
  ok,               // 200 + Set-Cookie + CSRF token in the body
  bad_credentials,  // 401, same answer for unknown user, wrong password and disabled account
  locked_out,       // 429 + Retry-After
  setup_required,   // 409: no account exists yet; the UI must show "create first admin"
};

struct LoginOutcome {
  LoginStatus status = LoginStatus::bad_credentials;
  std::optional<Session> session;   // set when ok
  std::int64_t retry_after_ms = 0;  // set when locked_out
};

class LoginService {
 public:
  LoginService(UserStore& users, SessionManager& sessions, LoginRateLimiter& limiter,
               AuditLog& audit);

  LoginOutcome login(const std::string& user, std::string_view password,
                     std::string_view source_address, std::int64_t now_ms);

  // Creates the first admin and logs it in. nullopt (and an audited refusal) when an account
  // already exists; std::invalid_argument (reason for the UI) for a bad name or password.
  std::optional<Session> create_first_admin(const std::string& user, std::string_view password,
                                            std::string_view source_address, std::int64_t now_ms);

  // Ends the session if it exists and audits the logout; false for an unknown session.
  bool logout(std::string_view session_id, std::string_view source_address, std::int64_t now_ms);

 private:
  UserStore& users_;
  SessionManager& sessions_;
  LoginRateLimiter& limiter_;
  AuditLog& audit_;
};

}  // namespace btms::security
