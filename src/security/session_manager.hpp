// Login sessions for the web UI/API (IEC 62443-4-2 CR 2.6 remote session termination,
// CR 1.11 / 2.5 idle lock): random 256-bit ids carried in an HttpOnly cookie, a per-session
// CSRF token the client echoes in a header for every state-changing request, idle and absolute
// expiry. Kept in memory: a gateway restart logs everyone out, which is acceptable.
//
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "security/role.hpp"

namespace btms::security {

inline constexpr std::string_view kSessionCookieName = "btms_session";

struct SessionConfig {
  std::int64_t idle_timeout_ms = 30LL * 60 * 1000;
  std::int64_t absolute_timeout_ms = 12LL * 60 * 60 * 1000;
  // Oldest sessions are evicted beyond this so a login flood cannot exhaust memory.
  std::size_t max_sessions = 1000;
  // False only for the plain-HTTP loopback demo: browsers drop Secure cookies over http.
  bool secure_cookie = true;
};

struct Session {
  std::string id;          // 64 hex chars (32 random bytes)
  std::string csrf_token;  // 64 hex chars, independent of the id
  std::string user;
  Role role = Role::viewer;
  std::int64_t created_ms = 0;
  std::int64_t last_seen_ms = 0;
};

class SessionManager {
 public:
  explicit SessionManager(SessionConfig config = {});

  // New session after a successful UserStore::verify.
  Session create(const std::string& user, Role role, std::int64_t now_ms);
  // The live session for `id`, refreshing its idle timer; nullopt when unknown, malformed or
  // expired (expired sessions are removed).
  std::optional<Session> lookup(std::string_view id, std::int64_t now_ms);
  // True when a session was removed.
  bool logout(std::string_view id);
  // Ends every session of `user` (password change, removal, disable); returns how many.
  std::size_t logout_user(std::string_view user);
  // Applies a role change to the user's live sessions; returns how many were updated.
  std::size_t update_role(std::string_view user, Role role);
  // Drops expired sessions; returns how many.
  std::size_t prune(std::int64_t now_ms);
  std::size_t size() const;

  // Constant-time comparison of the request's CSRF header with the session's token.
  static bool check_csrf(const Session& session, std::string_view token);

  // Set-Cookie value establishing the session, e.g.
  // "btms_session=<id>; HttpOnly; Secure; SameSite=Strict; Path=/".
  std::string cookie_header(std::string_view session_id) const;
  // Set-Cookie value that makes the browser delete the cookie (logout).
  std::string clear_cookie_header() const;
  // Extracts the btms_session value from a request's Cookie header; empty when absent.
  static std::string session_id_from_cookie(std::string_view cookie_header);

  const SessionConfig& config() const { return config_; }

 private:
  bool expired(const Session& session, std::int64_t now_ms) const;
  void evict_oldest_locked();

  SessionConfig config_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;
};

}  // namespace btms::security
