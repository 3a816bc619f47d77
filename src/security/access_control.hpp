// Per-request authorisation for the web server, free of any HTTP library: from the request's
// method, Cookie header and CSRF header, decide whether it may use a route needing `need`.
// State-changing methods additionally need the session's CSRF token echoed in the
// X-CSRF-Token header (double-submit defence on top of SameSite=Strict).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "security/role.hpp"
#include "security/session_manager.hpp"

namespace btms::security {

// Header name (lower case, as the web server stores headers) carrying the CSRF token.
inline constexpr std::string_view kCsrfHeaderName = "x-csrf-token";

enum class AccessDecision {
  allowed,
  unauthenticated,  // no, unknown or expired session -> 401
  forbidden,        // role too low -> 403
  csrf_failed,      // state-changing request without the right token -> 403
};

struct AccessResult {
  AccessDecision decision = AccessDecision::unauthenticated;
  std::optional<Session> session;  // set whenever the session was valid (also for 403s)

  bool allowed() const { return decision == AccessDecision::allowed; }
  int http_status() const;          // 200, 401 or 403
  std::string_view reason() const;  // short text for the JSON error body
};

// GET, HEAD and OPTIONS are safe; every other method changes state and needs CSRF.
bool is_state_changing(std::string_view method);

AccessResult authorize(SessionManager& sessions, std::string_view method,
                       std::string_view cookie_header, std::string_view csrf_header, Role need,
                       std::int64_t now_ms);

}  // namespace btms::security
