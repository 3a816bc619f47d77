// Login, sessions and roles for the web server: owns the security core (users, sessions,
// rate limiter, audit trail), decides per request whether a route's role is met (the router's
// authorizer) and serves /api/v1/login, logout, session, setup, users and audit. Free of Beast;
// the server only moves the routes marked blocking (Argon2) to a worker thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "security/audit_log.hpp"
#include "security/login_rate_limiter.hpp"
#include "security/login_service.hpp"
#include "security/session_manager.hpp"
#include "security/token_store.hpp"
#include "security/user_store.hpp"
#include "web/router.hpp"

namespace btms::web {

// Knobs tests and the app may change; the defaults are the production settings.
struct AuthTuning {
  security::PasswordHashCost password_cost = security::PasswordHashCost::interactive();
  security::RateLimitConfig rate_limit{};
  security::SessionConfig session{};  // secure_cookie is overridden from the bind address
  // Workers for blocking routes (Argon2 logins, operator actions waiting on the engine): two, so
  // an action waiting for a busy engine never holds every login back.
  int hash_threads = 2;
};

// Files inside WebOptions::data_dir.
std::string users_db_path(const std::string& data_dir);
std::string audit_db_path(const std::string& data_dir);

// 127.0.0.0/8, ::1 and IPv4-mapped ::ffff:127.x.y.z, as text.
bool is_loopback_address(std::string_view address);

class AuthContext {
 public:
  // data_dir empty = no user store: only the anonymous loopback reads (when allowed) work and
  // every route needing a session answers 503. Otherwise creates data_dir (0700) and opens or
  // creates the users and audit databases there; throws when they cannot be opened.
  AuthContext(const std::string& data_dir, bool allow_anonymous_read, bool secure_cookie,
              const AuthTuning& tuning);
  ~AuthContext();
  AuthContext(const AuthContext&) = delete;
  AuthContext& operator=(const AuthContext&) = delete;

  bool has_user_store() const { return users_ != nullptr; }
  // The router's authorizer: nullopt = allowed, otherwise the 401/403/503 answer.
  std::optional<Response> authorize(const Request& request, Role need);

  // Valid session of the request's cookie (refreshes its idle timer), or of its
  // "Authorization: Bearer" API token: then user is "token:NAME" and csrf_token is empty.
  std::optional<security::Session> session_of(const Request& request);

  security::SessionManager& sessions() { return sessions_; }
  security::UserStore* users() { return users_.get(); }
  security::TokenStore* tokens() { return tokens_.get(); }
  security::AuditLog* audit() { return audit_.get(); }
  security::LoginService* login_service() { return login_.get(); }
  bool allow_anonymous_read() const { return allow_anonymous_read_; }

 private:
  std::optional<security::Session> bearer_session(const Request& request);

  bool allow_anonymous_read_;
  security::SessionManager sessions_;
  security::LoginRateLimiter limiter_;
  std::unique_ptr<security::UserStore> users_;
  std::unique_ptr<security::TokenStore> tokens_;
  std::unique_ptr<security::AuditLog> audit_;
  std::unique_ptr<security::LoginService> login_;
};

// Adds the auth routes to router, marks the Argon2 ones blocking and installs auth.authorize as
// the router's authorizer. auth must outlive the router.
void add_auth_routes(Router& router, AuthContext& auth);

}  // namespace btms::web
