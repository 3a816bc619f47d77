// Login and roles end to end: a real server on loopback, a plain-socket client, the cheap Argon2
// cost so the tests stay fast under AddressSanitizer.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "test_client.hpp"
#include "test_plant.hpp"
#include "web/auth_handlers.hpp"
#include "web/user_admin.hpp"
#include "web/web_server.hpp"

namespace btms::web {
namespace {

using nlohmann::json;
using test::HttpReply;

constexpr const char* kAdminPassword = "admin-password-1";
constexpr const char* kUserPassword = "user-password-12";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "btms-auth-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_; }

 private:
  std::string path_;
};

struct Credentials {
  std::string cookie;  // "btms_session=..."
  std::string csrf;
};

HttpReply send(int port, const std::string& method, const std::string& target,
               const Credentials& who = {}, const std::string& body = "",
               std::optional<std::string> csrf_override = std::nullopt) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!who.cookie.empty()) req += "Cookie: " + who.cookie + "\r\n";
  const std::string csrf = csrf_override ? *csrf_override : who.csrf;
  if (!csrf.empty()) req += "X-CSRF-Token: " + csrf + "\r\n";
  if (method != "GET") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  return test::parse_reply(test::exchange_raw(port, req));
}

Credentials credentials_from(const HttpReply& reply) {
  Credentials c;
  const auto& set_cookie = reply.headers.count("set-cookie") ? reply.headers.at("set-cookie") : "";
  c.cookie = set_cookie.substr(0, set_cookie.find(';'));
  const auto body = json::parse(reply.body, nullptr, false);
  if (body.is_object() && body.contains("csrf_token")) c.csrf = body["csrf_token"];
  return c;
}

json login_body(const std::string& user, const std::string& password) {
  return json{{"user", user}, {"password", password}};
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plant.set(plant.plant_id("battery/1/1/voltage"), 13.5);
    plant.publish();
  }
  void TearDown() override {
    if (server) server->stop();
  }
  WebOptions options(bool with_store = true) {
    WebOptions o;
    o.port = 0;
    if (with_store) o.data_dir = dir.path() + "/data";
    o.auth.password_cost = security::PasswordHashCost::minimum();
    o.auth.rate_limit.max_failures = 3;
    return o;
  }
  void start(const WebOptions& o) {
    server = std::make_unique<WebServer>(o, plant.plant, plant.derived, plant.site);
    server->start();
    ASSERT_GT(server->port(), 0);
  }
  int port() const { return server->port(); }

  Credentials setup_admin() {
    const auto reply =
        send(port(), "POST", "/api/v1/setup", {}, login_body("admin", kAdminPassword).dump());
    EXPECT_EQ(reply.status, 201) << reply.body;
    return credentials_from(reply);
  }
  Credentials login(const std::string& user, const std::string& password) {
    const auto reply = send(port(), "POST", "/api/v1/login", {}, login_body(user, password).dump());
    EXPECT_EQ(reply.status, 200) << reply.body;
    return credentials_from(reply);
  }
  void add_user(const Credentials& admin, const std::string& name, const std::string& role) {
    const auto reply =
        send(port(), "POST", "/api/v1/users", admin,
             json{{"name", name}, {"role", role}, {"password", kUserPassword}}.dump());
    ASSERT_EQ(reply.status, 201) << reply.body;
  }
  std::vector<std::string> audit_actions(const Credentials& admin) {
    const auto reply = send(port(), "GET", "/api/v1/audit?limit=1000", admin);
    EXPECT_EQ(reply.status, 200) << reply.body;
    std::vector<std::string> actions;
    for (const auto& e : json::parse(reply.body)) actions.push_back(e["action"]);
    return actions;
  }

  TempDir dir;
  test::TestPlant plant;
  std::unique_ptr<WebServer> server;
};

TEST_F(AuthTest, SetupOnlyWhileNoUserExistsAndCookieAttributes) {
  start(options());
  auto who = json::parse(send(port(), "GET", "/api/v1/session").body);
  EXPECT_EQ(who["authenticated"], false);
  EXPECT_EQ(who["setup_required"], true);
  EXPECT_EQ(
      send(port(), "POST", "/api/v1/login", {}, login_body("admin", kAdminPassword).dump()).status,
      409);
  EXPECT_EQ(send(port(), "POST", "/api/v1/setup", {}, login_body("admin", "short").dump()).status,
            400);

  const auto reply =
      send(port(), "POST", "/api/v1/setup", {}, login_body("admin", kAdminPassword).dump());
  ASSERT_EQ(reply.status, 201) << reply.body;
  const std::string cookie = reply.headers.at("set-cookie");
  EXPECT_TRUE(cookie.starts_with("btms_session=")) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("Path=/"), std::string::npos) << cookie;
  // Plain HTTP on loopback: browsers would drop a Secure cookie.
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << cookie;
  EXPECT_EQ(reply.headers.at("cache-control"), "no-store");

  const auto admin = credentials_from(reply);
  who = json::parse(send(port(), "GET", "/api/v1/session", admin).body);
  EXPECT_EQ(who["authenticated"], true);
  EXPECT_EQ(who["user"], "admin");
  EXPECT_EQ(who["role"], "admin");
  EXPECT_EQ(who["csrf_token"], admin.csrf);

  EXPECT_EQ(send(port(), "POST", "/api/v1/setup", {}, login_body("mallory", kAdminPassword).dump())
                .status,
            409);
  EXPECT_EQ(send(port(), "POST", "/api/v1/login", {}, login_body("mallory", kAdminPassword).dump())
                .status,
            401);
}

// Issue 17 item 11: the data directory stayed 0755 when it existed before (the gateway creates
// it for the history first) and the databases were 0644, world-readable.
TEST_F(AuthTest, DataDirectoryAndDatabasesAreTheOwnersOnly) {
  auto o = options();
  std::filesystem::create_directories(o.data_dir);
  ::chmod(o.data_dir.c_str(), 0755);
  start(o);
  ASSERT_EQ(
      send(port(), "POST", "/api/v1/setup", {}, login_body("admin", kAdminPassword).dump()).status,
      201);
  const auto mode = [](const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  };
  EXPECT_EQ(mode(o.data_dir), 0700u);
  EXPECT_EQ(mode(users_db_path(o.data_dir)), 0600u);
  EXPECT_EQ(mode(audit_db_path(o.data_dir)), 0600u);
}

TEST_F(AuthTest, SecureCookieWhenNotOnLoopback) {
  auto o = options();
  o.bind_address = "0.0.0.0";
  start(o);
  const auto reply =
      send(port(), "POST", "/api/v1/setup", {}, login_body("admin", kAdminPassword).dump());
  ASSERT_EQ(reply.status, 201);
  EXPECT_NE(reply.headers.at("set-cookie").find("; Secure"), std::string::npos);
}

struct RouteCase {
  const char* method;
  const char* target;
  const char* body;
  int need;            // 1 viewer, 2 operator, 3 admin
  int allowed_status;  // what an authorised request gets
};

TEST_F(AuthTest, EveryRouteByRole) {
  start(options());
  const auto admin = setup_admin();
  add_user(admin, "olga", "operator");
  add_user(admin, "victor", "viewer");
  const std::vector<std::pair<Credentials, int>> principals = {
      {Credentials{}, 0},
      {login("victor", kUserPassword), 1},
      {login("olga", kUserPassword), 2},
      {admin, 3},
  };
  const RouteCase cases[] = {
      {"GET", "/api/v1/live", "", 1, 200},
      {"GET", "/api/v1/topology", "", 1, 200},
      {"GET", "/metrics", "", 1, 200},
      {"GET", "/api/v1/users", "", 3, 200},
      {"GET", "/api/v1/audit", "", 3, 200},
      {"POST", "/api/v1/users", "{}", 3, 400},
      {"DELETE", "/api/v1/users/nobody", "", 3, 404},
      {"GET", "/api/v1/session", "", 0, 200},
      {"GET", "/api/v1/health", "", 0, 200},
  };
  for (const auto& c : cases) {
    for (const auto& [who, level] : principals) {
      const auto reply = send(port(), c.method, c.target, who, c.body);
      const int expected = level >= c.need ? c.allowed_status : level == 0 ? 401 : 403;
      EXPECT_EQ(reply.status, expected)
          << c.method << " " << c.target << " as level " << level << ": " << reply.body;
    }
  }
}

TEST_F(AuthTest, LoginBadCredentialsThenLockoutWithRetryAfter) {
  start(options());
  setup_admin();
  for (int i = 0; i < 3; ++i) {
    const auto reply =
        send(port(), "POST", "/api/v1/login", {}, login_body("admin", "wrong-password").dump());
    EXPECT_EQ(reply.status, 401) << i;
  }
  // Locked: even the right password is refused without being checked.
  const auto reply =
      send(port(), "POST", "/api/v1/login", {}, login_body("admin", kAdminPassword).dump());
  EXPECT_EQ(reply.status, 429);
  ASSERT_TRUE(reply.headers.count("retry-after"));
  EXPECT_GT(std::stoi(reply.headers.at("retry-after")), 0);
  EXPECT_EQ(reply.headers.count("set-cookie"), 0u);
}

TEST_F(AuthTest, MalformedLoginBodyIs400) {
  start(options());
  setup_admin();
  for (const char* body :
       {"", "not json", "[]", R"({"user":"admin"})", R"({"user":1,"password":2})"}) {
    EXPECT_EQ(send(port(), "POST", "/api/v1/login", {}, body).status, 400) << body;
  }
}

TEST_F(AuthTest, CsrfMissingOrWrongIs403AndAudited) {
  start(options());
  const auto admin = setup_admin();
  const auto body = json{{"name", "olga"}, {"role", "operator"}, {"password", kUserPassword}};
  EXPECT_EQ(send(port(), "POST", "/api/v1/users", admin, body.dump(), "").status, 403);
  EXPECT_EQ(send(port(), "POST", "/api/v1/users", admin, body.dump(), std::string(64, 'a')).status,
            403);
  EXPECT_EQ(send(port(), "POST", "/api/v1/users", admin, body.dump()).status, 201);
  const auto actions = audit_actions(admin);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "access_denied"), 2);
}

TEST_F(AuthTest, LogoutInvalidatesTheSession) {
  start(options());
  const auto admin = setup_admin();
  EXPECT_EQ(send(port(), "GET", "/api/v1/live", admin).status, 200);
  EXPECT_EQ(send(port(), "POST", "/api/v1/logout", admin, "", "").status, 403);  // needs CSRF
  const auto reply = send(port(), "POST", "/api/v1/logout", admin);
  EXPECT_EQ(reply.status, 200);
  EXPECT_NE(reply.headers.at("set-cookie").find("Max-Age=0"), std::string::npos)
      << reply.headers.at("set-cookie");
  EXPECT_EQ(send(port(), "GET", "/api/v1/live", admin).status, 401);
  EXPECT_EQ(json::parse(send(port(), "GET", "/api/v1/session", admin).body)["authenticated"],
            false);
}

TEST_F(AuthTest, RemovedUserLosesSessions) {
  start(options());
  const auto admin = setup_admin();
  add_user(admin, "victor", "viewer");
  const auto victor = login("victor", kUserPassword);
  EXPECT_EQ(send(port(), "GET", "/api/v1/live", victor).status, 200);
  EXPECT_EQ(send(port(), "DELETE", "/api/v1/users/victor", admin).status, 200);
  EXPECT_EQ(send(port(), "GET", "/api/v1/live", victor).status, 401);
  // The last admin cannot be removed.
  EXPECT_EQ(send(port(), "DELETE", "/api/v1/users/admin", admin).status, 409);
  const auto users = json::parse(send(port(), "GET", "/api/v1/users", admin).body);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0]["name"], "admin");
}

TEST_F(AuthTest, AuditRecordsLoginsFailuresUserChangesAndDenials) {
  start(options());
  const auto admin = setup_admin();
  add_user(admin, "victor", "viewer");
  EXPECT_EQ(send(port(), "POST", "/api/v1/login", {}, login_body("victor", "wrong-password").dump())
                .status,
            401);
  const auto victor = login("victor", kUserPassword);
  EXPECT_EQ(send(port(), "GET", "/api/v1/users", victor).status, 403);
  EXPECT_EQ(send(port(), "DELETE", "/api/v1/users/victor", admin).status, 200);

  const auto reply = send(port(), "GET", "/api/v1/audit", admin);
  ASSERT_EQ(reply.status, 200);
  std::multiset<std::string> actions;
  for (const auto& e : json::parse(reply.body)) {
    actions.insert(e["action"].get<std::string>());
    EXPECT_EQ(e["source_address"], "127.0.0.1");
    EXPECT_EQ(e["detail"].get<std::string>().find(kUserPassword), std::string::npos);
  }
  EXPECT_EQ(actions.count("login"), 2u);  // setup + victor
  EXPECT_EQ(actions.count("login_failed"), 1u);
  EXPECT_EQ(actions.count("user_change"), 3u);  // first admin, add, remove
  EXPECT_EQ(actions.count("access_denied"), 1u);
  EXPECT_EQ(send(port(), "GET", "/api/v1/audit?limit=0", admin).status, 400);
  EXPECT_EQ(send(port(), "GET", "/api/v1/audit?limit=x", admin).status, 400);
}

TEST_F(AuthTest, AnonymousLoopbackDemoReadsButCannotWrite) {
  auto o = options();
  o.allow_anonymous_read = true;
  start(o);
  const auto admin = setup_admin();
  EXPECT_EQ(send(port(), "GET", "/api/v1/live").status, 200);
  EXPECT_EQ(send(port(), "GET", "/api/v1/topology").status, 200);
  EXPECT_EQ(send(port(), "GET", "/metrics").status, 200);
  EXPECT_EQ(send(port(), "GET", "/api/v1/users").status, 401);  // admin reads are not "reads"
  EXPECT_EQ(send(port(), "POST", "/api/v1/users", {}, "{}").status, 401);
  EXPECT_EQ(send(port(), "POST", "/api/v1/logout").status, 401);
  EXPECT_EQ(json::parse(send(port(), "GET", "/api/v1/session").body)["anonymous_read"], true);
  test::WsClient ws;
  EXPECT_EQ(ws.connect(port(), "/api/v1/stream"), 101);
  EXPECT_EQ(send(port(), "GET", "/api/v1/users", admin).status, 200);
}

TEST_F(AuthTest, AnonymousReadNeverForRemotePeers) {
  AuthTuning tuning;
  tuning.password_cost = security::PasswordHashCost::minimum();
  AuthContext auth(dir.path() + "/ctx", true, true, tuning);
  Request request;
  request.method = "GET";
  request.target = "/api/v1/live";
  for (const char* address : {"192.0.2.7", "10.0.0.1", "::2", "128.0.0.1", ""}) {
    request.remote_address = address;
    const auto denied = auth.authorize(request, Role::viewer);
    ASSERT_TRUE(denied) << address;
    EXPECT_EQ(denied->status, 401) << address;
  }
  request.remote_address = "127.0.0.1";
  EXPECT_FALSE(auth.authorize(request, Role::viewer));
  request.method = "POST";
  EXPECT_TRUE(auth.authorize(request, Role::viewer));
}

TEST(LoopbackAddress, Table) {
  const std::pair<const char*, bool> cases[] = {
      {"127.0.0.1", true},
      {"127.1.2.3", true},
      {"::1", true},
      {"::ffff:127.0.0.1", true},
      {"0.0.0.0", false},
      {"10.0.0.1", false},
      {"127.0.0.1.evil", false},
      {"1270.0.0.1", false},
      {"::ffff:10.0.0.1", false},
      {"", false},
      {"127.0.0.x", false},
  };
  for (const auto& [address, loopback] : cases) {
    EXPECT_EQ(is_loopback_address(address), loopback) << address;
  }
}

TEST_F(AuthTest, StreamNeedsAViewerSession) {
  start(options());
  const auto admin = setup_admin();
  test::WsClient anonymous;
  EXPECT_EQ(anonymous.connect(port(), "/api/v1/stream"), 401);
  const std::string upgrade =
      "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\nCookie: " +
      admin.cookie + "\r\n\r\n";
  const auto raw = test::exchange_raw(port(), upgrade, std::chrono::milliseconds(300));
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 101")) << raw.substr(0, 80);
}

TEST_F(AuthTest, WithoutUserStoreOnlyAnonymousReads) {
  auto o = options(false);
  o.allow_anonymous_read = true;
  start(o);
  EXPECT_EQ(send(port(), "GET", "/api/v1/live").status, 200);
  EXPECT_EQ(send(port(), "POST", "/api/v1/login", {}, login_body("a", "b").dump()).status, 503);
  EXPECT_EQ(send(port(), "POST", "/api/v1/setup", {}, login_body("a", "b").dump()).status, 503);
  EXPECT_EQ(send(port(), "POST", "/api/v1/users", {}, "{}").status, 503);
  EXPECT_EQ(send(port(), "GET", "/api/v1/users").status, 503);
  EXPECT_EQ(json::parse(send(port(), "GET", "/api/v1/session").body)["user_store"], false);
}

TEST_F(AuthTest, WithoutUserStoreAndAnonymousReadNothingButHealth) {
  start(options(false));
  EXPECT_EQ(send(port(), "GET", "/api/v1/live").status, 503);
  EXPECT_EQ(send(port(), "GET", "/api/v1/health").status, 200);
}

TEST_F(AuthTest, CommandLineUserAddThenLogin) {
  const auto data = dir.path() + "/data";
  const auto cost = security::PasswordHashCost::minimum();
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream password(std::string(kAdminPassword) + "\n");
  EXPECT_EQ(add_user_interactive(data, "root_admin", "admin", password, out, err, cost), 0)
      << err.str();
  std::istringstream again(std::string(kAdminPassword) + "\n");
  EXPECT_EQ(add_user_interactive(data, "root_admin", "admin", again, out, err, cost), 1);
  std::istringstream pw3(std::string(kAdminPassword) + "\n");
  EXPECT_EQ(add_user_interactive(data, "x", "superuser", pw3, out, err, cost), 1);
  std::istringstream short_pw("short\n");
  EXPECT_EQ(add_user_interactive(data, "shorty", "viewer", short_pw, out, err, cost), 1);
  std::istringstream empty;
  EXPECT_EQ(add_user_interactive(data, "nobody", "viewer", empty, out, err, cost), 1);
  EXPECT_EQ(err.str().find(kAdminPassword), std::string::npos);

  start(options());
  const auto admin = login("root_admin", kAdminPassword);
  EXPECT_EQ(send(port(), "GET", "/api/v1/users", admin).status, 200);
  const auto actions = audit_actions(admin);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "user_change"), 1);
}

}  // namespace
}  // namespace btms::web
