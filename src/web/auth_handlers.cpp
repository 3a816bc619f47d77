#include "web/auth_handlers.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "security/access_control.hpp"
#include "web/api_handlers.hpp"
#include "web/json_body.hpp"

namespace btms::web {

namespace {

using nlohmann::json;

constexpr std::string_view kNoUserStore =
    "no user store: start the gateway with a data directory to enable logins";
constexpr std::size_t kDefaultAuditLimit = 100;
constexpr std::size_t kMaxAuditLimit = 1000;

security::Role to_security_role(Role role) {
  switch (role) {
    case Role::operator_:
      return security::Role::operator_;
    case Role::admin:
      return security::Role::admin;
    case Role::anonymous:
    case Role::viewer:
      break;
  }
  return security::Role::viewer;
}

std::string header(const Request& request, const std::string& name) {
  const auto it = request.headers.find(name);
  return it == request.headers.end() ? std::string{} : it->second;
}

// The string member `key` of a JSON object body; nullopt when the body is not such an object.
std::optional<std::string> string_member(const json& body, const char* key) {
  if (!body.is_object()) return std::nullopt;
  const auto it = body.find(key);
  if (it == body.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

json parse_body(const Request& request) {
  return json::parse(request.body, nullptr, false);
}

json session_json(const security::Session& session) {
  return json{{"authenticated", true},
              {"user", session.user},
              {"role", std::string(security::to_string(session.role))},
              {"csrf_token", session.csrf_token}};
}

Response session_established(int status, const security::Session& session,
                             const security::SessionManager& sessions) {
  auto r = no_store_json(status, session_json(session));
  r.headers.emplace_back("Set-Cookie", sessions.cookie_header(session.id));
  return r;
}

Response login(AuthContext& auth, const Request& request) {
  if (!auth.has_user_store()) return no_store_error(503, kNoUserStore);
  const auto body = parse_body(request);
  const auto user = string_member(body, "user");
  const auto password = string_member(body, "password");
  if (!user || !password) {
    return no_store_error(400, "body must be {\"user\": string, \"password\": string}");
  }
  const auto outcome =
      auth.login_service()->login(*user, *password, request.remote_address, unix_now_ms());
  switch (outcome.status) {
    case security::LoginStatus::ok:
      return session_established(200, *outcome.session, auth.sessions());
    case security::LoginStatus::bad_credentials:
      return no_store_error(401, "invalid user name or password");
    case security::LoginStatus::locked_out: {
      auto r = no_store_error(429, "too many failed logins; try again later");
      // Whole seconds, rounded up so the client never retries too early.
      const auto seconds = std::max<std::int64_t>(1, (outcome.retry_after_ms + 999) / 1000);
      r.headers.emplace_back("Retry-After", std::to_string(seconds));
      return r;
    }
    case security::LoginStatus::setup_required:
      return no_store_json(409, json{{"error", "no account exists yet: create the first admin"},
                                     {"setup_required", true}});
  }
  return no_store_error(500, "internal error");
}

Response logout(AuthContext& auth, const Request& request) {
  const auto id = security::SessionManager::session_id_from_cookie(header(request, "cookie"));
  if (auth.login_service()) {
    auth.login_service()->logout(id, request.remote_address, unix_now_ms());
  }
  auto r = no_store_json(200, json{{"authenticated", false}});
  r.headers.emplace_back("Set-Cookie", auth.sessions().clear_cookie_header());
  return r;
}

Response whoami(AuthContext& auth, const Request& request) {
  if (const auto session = auth.session_of(request))
    return no_store_json(200, session_json(*session));
  // Tells the UI which screen to show: first-admin setup, login, or the anonymous demo.
  return no_store_json(
      200, json{{"authenticated", false},
                {"user_store", auth.has_user_store()},
                {"setup_required", auth.users() && auth.users()->empty()},
                {"anonymous_read",
                 auth.allow_anonymous_read() && is_loopback_address(request.remote_address)}});
}

Response setup(AuthContext& auth, const Request& request) {
  if (!auth.has_user_store()) return no_store_error(503, kNoUserStore);
  const auto body = parse_body(request);
  const auto user = string_member(body, "user");
  const auto password = string_member(body, "password");
  if (!user || !password) {
    return no_store_error(400, "body must be {\"user\": string, \"password\": string}");
  }
  try {
    const auto session = auth.login_service()->create_first_admin(
        *user, *password, request.remote_address, unix_now_ms());
    if (!session) return no_store_error(409, "setup already done: log in as an admin");
    return session_established(201, *session, auth.sessions());
  } catch (const std::invalid_argument& e) {
    return no_store_error(400, e.what());
  }
}

json user_json(const security::UserInfo& info) {
  return json{{"name", info.name},
              {"role", std::string(security::to_string(info.role))},
              {"created_ms", info.created_ms},
              {"disabled", info.disabled}};
}

Response list_users(AuthContext& auth) {
  json out = json::array();
  for (const auto& info : auth.users()->list()) out.push_back(user_json(info));
  return no_store_json(200, out);
}

std::string acting_user(AuthContext& auth, const Request& request) {
  const auto session = auth.session_of(request);
  return session ? session->user : std::string{};
}

Response add_user(AuthContext& auth, const Request& request) {
  const auto body = parse_body(request);
  const auto name = string_member(body, "name");
  const auto role_text = string_member(body, "role");
  const auto password = string_member(body, "password");
  if (!name || !role_text || !password) {
    return no_store_error(
        400, "body must be {\"name\": string, \"role\": string, \"password\": string}");
  }
  const auto role = security::parse_role(*role_text);
  if (!role) return no_store_error(400, "role must be viewer, operator or admin");
  if (auth.users()->find(*name)) return no_store_error(409, "user already exists: " + *name);
  const auto now_ms = unix_now_ms();
  try {
    auth.users()->add_user(*name, *role, *password, now_ms);
  } catch (const std::invalid_argument& e) {
    return no_store_error(400, e.what());
  }
  auth.audit()->append(now_ms, acting_user(auth, request), request.remote_address,
                       security::AuditAction::user_change, "user/" + *name,
                       fmt::format("added with role {}", security::to_string(*role)));
  return no_store_json(201, user_json(*auth.users()->find(*name)));
}

Response remove_user(AuthContext& auth, const Request& request, const ParsedTarget& target) {
  constexpr std::string_view kPrefix = "/api/v1/users/";
  const std::string name = target.path.substr(kPrefix.size());
  if (name.empty()) return no_store_error(400, "missing user name: DELETE /api/v1/users/NAME");
  bool removed = false;
  try {
    removed = auth.users()->remove_user(name);
  } catch (const std::invalid_argument& e) {
    return no_store_error(409, e.what());  // would leave the gateway without an admin
  }
  if (!removed) return no_store_error(404, "no such user: " + name);
  auth.sessions().logout_user(name);
  auth.audit()->append(unix_now_ms(), acting_user(auth, request), request.remote_address,
                       security::AuditAction::user_change, "user/" + name, "removed");
  return no_store_json(200, json{{"removed", name}});
}

Response audit_entries(AuthContext& auth, const ParsedTarget& target) {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = INT64_MAX;
  std::int64_t limit = kDefaultAuditLimit;
  for (const auto& [key, value] : target.query) {
    const auto number = parse_int64(value);
    if (!number) return no_store_error(400, "not an integer: " + key);
    if (key == "from_ms") {
      from_ms = *number;
    } else if (key == "to_ms") {
      to_ms = *number;
    } else if (key == "limit") {
      limit = *number;
    } else {
      return no_store_error(400, "unknown query parameter: " + key);
    }
  }
  if (limit < 1 || limit > static_cast<std::int64_t>(kMaxAuditLimit)) {
    return no_store_error(400, fmt::format("limit must be 1..{}", kMaxAuditLimit));
  }
  json out = json::array();
  for (const auto& e : auth.audit()->query(from_ms, to_ms, static_cast<std::size_t>(limit))) {
    out.push_back(json{{"time_ms", e.time_ms},
                       {"user", e.user},
                       {"source_address", e.source_address},
                       {"action", std::string(security::to_string(e.action))},
                       {"target", e.target},
                       {"detail", e.detail}});
  }
  return no_store_json(200, out);
}

// Sets `mode` on path when it exists and allows more than that; a file that is not there yet
// is fine.
void restrict_to_owner(const std::string& path, mode_t mode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;
  if ((st.st_mode & 07777) & ~mode) {
    if (::chmod(path.c_str(), mode) != 0) {
      throw std::runtime_error(
          fmt::format("web: cannot restrict '{}' to its owner: {}", path, std::strerror(errno)));
    }
  }
}

security::SessionConfig session_config(const AuthTuning& tuning, bool secure_cookie) {
  auto config = tuning.session;
  config.secure_cookie = secure_cookie;
  return config;
}

}  // namespace

std::string users_db_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "users.sqlite").string();
}

std::string audit_db_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "audit.sqlite").string();
}

bool is_loopback_address(std::string_view address) {
  if (address == "::1") return true;
  if (address.starts_with("::ffff:")) address.remove_prefix(7);
  // Only a dotted quad starting with 127 counts; anything else is not loopback.
  if (!address.starts_with("127.")) return false;
  int dots = 0;
  for (const char c : address) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

AuthContext::AuthContext(const std::string& data_dir, bool allow_anonymous_read, bool secure_cookie,
                         const AuthTuning& tuning)
    : allow_anonymous_read_(allow_anonymous_read),
      sessions_(session_config(tuning, secure_cookie)),
      limiter_(tuning.rate_limit) {
  if (data_dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("web: cannot create data directory '{}': {}", data_dir, ec.message()));
  }
  // Password hashes, the audit trail and the history are nobody else's business: the folder is
  // the gateway's alone (0700) even when someone else created it first (with the usual umask,
  // 0755), and the databases in it are 0600.
  restrict_to_owner(data_dir, 0700);
  users_ = std::make_unique<security::UserStore>(users_db_path(data_dir), tuning.password_cost);
  tokens_ = std::make_unique<security::TokenStore>(users_db_path(data_dir));
  audit_ = std::make_unique<security::AuditLog>(audit_db_path(data_dir));
  for (const auto& db : {users_db_path(data_dir), audit_db_path(data_dir)}) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      restrict_to_owner(db + suffix, 0600);
  }
  login_ = std::make_unique<security::LoginService>(*users_, sessions_, limiter_, *audit_);
}

AuthContext::~AuthContext() = default;

std::optional<security::Session> AuthContext::bearer_session(const Request& request) {
  if (!tokens_) return std::nullopt;
  const std::string authorization = header(request, "authorization");  // token views into it
  const auto token = security::bearer_token(authorization);
  if (token.empty()) return std::nullopt;
  const auto info = tokens_->verify(token, unix_now_ms());
  if (!info) return std::nullopt;
  security::Session session;
  session.user = "token:" + info->name;
  session.role = info->role;
  session.created_ms = info->created_ms;
  session.last_seen_ms = info->last_used_ms;
  return session;
}

std::optional<security::Session> AuthContext::session_of(const Request& request) {
  if (const auto token = bearer_session(request)) return token;
  const auto id = security::SessionManager::session_id_from_cookie(header(request, "cookie"));
  if (id.empty()) return std::nullopt;
  return sessions_.lookup(id, unix_now_ms());
}

std::optional<Response> AuthContext::authorize(const Request& request, Role need) {
  if (need == Role::anonymous) return std::nullopt;
  // The loopback demo: reads without login, but only from this machine.
  if (need == Role::viewer && !security::is_state_changing(request.method) &&
      allow_anonymous_read_ && is_loopback_address(request.remote_address)) {
    return std::nullopt;
  }
  if (!users_) return no_store_error(503, kNoUserStore);
  const auto now_ms = unix_now_ms();
  if (!security::bearer_token(header(request, "authorization")).empty()) {
    // A machine client: no cookie is sent by a browser on its own, so no CSRF check either.
    const auto token = bearer_session(request);
    if (!token) return no_store_error(401, "invalid or revoked API token");
    if (security::allows(token->role, to_security_role(need))) return std::nullopt;
    const auto parsed = parse_target(request.target);
    audit_->append(
        now_ms, token->user, request.remote_address, security::AuditAction::access_denied,
        request.method + " " + (parsed ? parsed->path : request.target), "insufficient role");
    return no_store_error(403, "insufficient role");
  }
  const auto result = security::authorize(sessions_, request.method, header(request, "cookie"),
                                          header(request, std::string(security::kCsrfHeaderName)),
                                          to_security_role(need), now_ms);
  if (result.allowed()) return std::nullopt;
  if (result.session) {
    // Only authenticated refusals are audited: anonymous 401s would let anyone fill the log.
    const auto parsed = parse_target(request.target);
    audit_->append(now_ms, result.session->user, request.remote_address,
                   security::AuditAction::access_denied,
                   request.method + " " + (parsed ? parsed->path : request.target),
                   std::string(result.reason()));
  }
  return no_store_error(result.http_status(), result.reason());
}

void add_auth_routes(Router& router, AuthContext& auth) {
  router.add(Route{
      "/api/v1/login", {"POST"}, Role::anonymous, [&auth](const Request& r, const ParsedTarget&) {
        return login(auth, r);
      }});
  router.mark_blocking("/api/v1/login", "POST");
  router.add(Route{
      "/api/v1/logout", {"POST"}, Role::viewer, [&auth](const Request& r, const ParsedTarget&) {
        return logout(auth, r);
      }});
  router.add(Route{
      "/api/v1/session", {"GET"}, Role::anonymous, [&auth](const Request& r, const ParsedTarget&) {
        return whoami(auth, r);
      }});
  router.add(Route{
      "/api/v1/setup", {"POST"}, Role::anonymous, [&auth](const Request& r, const ParsedTarget&) {
        return setup(auth, r);
      }});
  router.mark_blocking("/api/v1/setup", "POST");
  router.add(Route{"/api/v1/users",
                   {"GET", "POST"},
                   Role::admin,
                   [&auth](const Request& r, const ParsedTarget&) {
                     return r.method == "GET" ? list_users(auth) : add_user(auth, r);
                   }});
  router.mark_blocking("/api/v1/users", "POST");
  router.add(Route{
      "/api/v1/users/*", {"DELETE"}, Role::admin, [&auth](const Request& r, const ParsedTarget& t) {
        return remove_user(auth, r, t);
      }});
  router.add(
      Route{"/api/v1/audit", {"GET"}, Role::admin, [&auth](const Request&, const ParsedTarget& t) {
              return audit_entries(auth, t);
            }});
  router.set_authorizer(
      [&auth](const Request& request, Role need) { return auth.authorize(request, need); });
}

}  // namespace btms::web
