#include "security/access_control.hpp"

namespace btms::security {

int AccessResult::http_status() const {
  switch (decision) {
    case AccessDecision::allowed:
      return 200;
    case AccessDecision::unauthenticated:
      return 401;
    case AccessDecision::forbidden:
    case AccessDecision::csrf_failed:
      return 403;
  }
  return 403;
}

std::string_view AccessResult::reason() const {
  switch (decision) {
    case AccessDecision::allowed:
      return "ok";
    case AccessDecision::unauthenticated:
      return "login required";
    case AccessDecision::forbidden:
      return "insufficient role";
    case AccessDecision::csrf_failed:
      return "missing or invalid CSRF token";
  }
  return "forbidden";
}

bool is_state_changing(std::string_view method) {
  return !(method == "GET" || method == "HEAD" || method == "OPTIONS");
}

AccessResult authorize(SessionManager& sessions, std::string_view method,
                       std::string_view cookie_header, std::string_view csrf_header, Role need,
                       std::int64_t now_ms) {
  AccessResult result;
  const std::string id = SessionManager::session_id_from_cookie(cookie_header);
  result.session = sessions.lookup(id, now_ms);
  if (!result.session) {
    result.decision = AccessDecision::unauthenticated;
    return result;
  }
  // CSRF before role: a forged request learns nothing about the victim's role.
  if (is_state_changing(method) && !SessionManager::check_csrf(*result.session, csrf_header)) {
    result.decision = AccessDecision::csrf_failed;
    return result;
  }
  result.decision =
      allows(result.session->role, need) ? AccessDecision::allowed : AccessDecision::forbidden;
  return result;
}

}  // namespace btms::security
