#include "security/login_service.hpp"

namespace btms::security {

LoginService::LoginService(UserStore& users, SessionManager& sessions, LoginRateLimiter& limiter,
                           AuditLog& audit)
    : users_(users), sessions_(sessions), limiter_(limiter), audit_(audit) {}

LoginOutcome LoginService::login(const std::string& user, std::string_view password,
                                 std::string_view source_address, std::int64_t now_ms) {
  LoginOutcome outcome;
  if (users_.empty()) {
    outcome.status = LoginStatus::setup_required;
    return outcome;
  }
  // Checked (and counted, in one step, so parallel guesses are counted exactly) before the
  // password, so a locked account cannot be probed and Argon2 is not spent on a flood.
  outcome.retry_after_ms = limiter_.begin_attempt(user, source_address, now_ms);
  if (outcome.retry_after_ms > 0) {
    outcome.status = LoginStatus::locked_out;
    audit_.append(now_ms, user, source_address, AuditAction::login_failed, "", "locked out");
    return outcome;
  }
  const std::optional<Role> role = users_.verify(user, password);
  if (!role) {
    outcome.status = LoginStatus::bad_credentials;
    audit_.append(now_ms, user, source_address, AuditAction::login_failed, "", "bad credentials");
    return outcome;
  }
  limiter_.record_success(user, source_address);
  outcome.status = LoginStatus::ok;
  outcome.session = sessions_.create(user, *role, now_ms);
  audit_.append(now_ms, user, source_address, AuditAction::login, "",
                std::string("role ").append(to_string(*role)));
  return outcome;
}

std::optional<Session> LoginService::create_first_admin(const std::string& user,
                                                        std::string_view password,
                                                        std::string_view source_address,
                                                        std::int64_t now_ms) {
  if (!users_.add_first_admin(user, password, now_ms)) {
    audit_.append(now_ms, user, source_address, AuditAction::access_denied, "user/" + user,
                  "first-admin setup refused: accounts exist");
    return std::nullopt;
  }
  audit_.append(now_ms, user, source_address, AuditAction::user_change, "user/" + user,
                "first admin created");
  Session session = sessions_.create(user, Role::admin, now_ms);
  audit_.append(now_ms, user, source_address, AuditAction::login, "", "role admin");
  return session;
}

bool LoginService::logout(std::string_view session_id, std::string_view source_address,
                          std::int64_t now_ms) {
  // lookup() also rejects expired sessions, so an expired cookie is not audited as a logout.
  const auto session = sessions_.lookup(session_id, now_ms);
  if (!session) return false;
  sessions_.logout(session_id);
  audit_.append(now_ms, session->user, source_address, AuditAction::logout, "", "");
  return true;
}

}  // namespace btms::security
