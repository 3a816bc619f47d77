// Fuzzes the handlers behind Router::handle with arbitrary method, target, headers and body,
// over a router set up like the server's: API, login/setup/users with a user store in a
// temporary data directory, history with no store, operator endpoints over a fake engine, the
// static route. Also the query and stream-message parsers directly (history and events
// queries are not reached through the router without a store). Every answer must be a valid
// HTTP status with a JSON error body for 4xx/5xx; a handler exception is a finding.
//
// Input: byte 0 picks the method (bits 0-2) and whether the request carries an admin session
// with its CSRF token (bit 3); then the target up to the first '\n', then the body.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fake_engine.hpp"
#include "history/maintenance_log.hpp"
#include "security/access_control.hpp"
#include "security/session_manager.hpp"
#include "test_plant.hpp"
#include "web/api_handlers.hpp"
#include "web/auth_handlers.hpp"
#include "web/history_handlers.hpp"
#include "web/http_counters.hpp"
#include "web/operator_handlers.hpp"
#include "web/router.hpp"
#include "web/static_files.hpp"
#include "web/stream_differ.hpp"

namespace {

using namespace btms;
using namespace btms::web;

constexpr const char* kAdmin = "fuzzadmin";
constexpr const char* kAdminPassword = "fuzz-password-123";

struct Server {
  Server() {
    // Under $TMPDIR: scripts/fuzz.sh points it into the build directory, so the directories
    // of runs that crashed are cleaned up by the next run.
    std::string pattern = (std::filesystem::temp_directory_path() / "btms-fuzz-XXXXXX").string();
    const char* dir = ::mkdtemp(pattern.data());
    if (!dir) std::abort();
    data_dir = dir;
    plant.publish();
    api.plant = plant.plant;
    api.derived = plant.derived;
    api.site = plant.site;
    api.counters = &counters;
    add_api_routes(router, api);
    AuthTuning tuning;
    // Cheapest Argon2: the fuzzer needs thousands of requests per second.
    tuning.password_cost = security::PasswordHashCost::minimum();
    auth = std::make_unique<AuthContext>(data_dir, /*allow_anonymous_read=*/true,
                                         /*secure_cookie=*/false, tuning);
    add_auth_routes(router, *auth);
    history.plant = plant.plant;
    history.derived = plant.derived;
    add_history_routes(router, history);
    operators.engine = std::make_shared<test::FakeEngine>();
    operators.auth = auth.get();
    operators.site = plant.site;
    // In memory: the maintenance record's entries and queries are fuzzed like the rest.
    operators.maintenance = std::make_shared<history::MaintenanceLog>("");
    api.maintenance = operators.maintenance;
    add_operator_routes(router, operators);
    add_static_route(router, "");
    if (!auth->login_service()->create_first_admin(kAdmin, kAdminPassword, "127.0.0.1",
                                                   unix_now_ms())) {
      std::abort();
    }
  }
  ~Server() {
    auth.reset();
    std::error_code ec;
    std::filesystem::remove_all(data_dir, ec);
  }

  // A live admin session (the fuzzer may have logged the previous one out).
  security::Session admin_session() {
    if (session) {
      if (auto s = auth->sessions().lookup(session->id, unix_now_ms())) return *s;
    }
    session = auth->sessions().create(kAdmin, security::Role::admin, unix_now_ms());
    return *session;
  }

  std::string data_dir;
  test::TestPlant plant;
  HttpCounters counters;
  ApiContext api;
  HistoryContext history;
  OperatorContext operators;
  std::unique_ptr<AuthContext> auth;
  Router router;
  std::optional<security::Session> session;
};

Server& server() {
  static Server instance;
  return instance;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_http_handlers: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static constexpr const char* kMethods[] = {"GET",   "POST",    "PUT",  "DELETE",
                                             "PATCH", "OPTIONS", "HEAD", "BREW"};
  const std::uint8_t flags = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto newline = rest.find('\n');
  Request request;
  request.method = kMethods[flags & 7];
  request.target = std::string(rest.substr(0, newline));
  if (newline != std::string_view::npos) request.body = std::string(rest.substr(newline + 1));
  if (request.body.size() > kMaxRequestBody_bytes) return 0;  // the server refuses it earlier
  request.remote_address = "127.0.0.1";
  request.headers["content-type"] = "application/json";
  auto& s = server();
  if (flags & 8) {
    const auto session = s.admin_session();
    request.headers["cookie"] = std::string(security::kSessionCookieName) + "=" + session.id;
    request.headers[std::string(security::kCsrfHeaderName)] = session.csrf_token;
  }

  Response response;
  try {
    response = s.router.handle(request);
  } catch (const std::exception& e) {
    fail(std::string("handler threw for ") + request.method + " " + request.target + ": " +
         e.what());
  }
  if (response.status < 100 || response.status > 599) fail("invalid status");
  if (response.status >= 400 && response.content_type == "application/json") {
    const auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("error")) {
      fail("error answer without {\"error\": ...}: " + response.body);
    }
  }

  // Parsers the router cannot reach without a history store, and the stream's message parser.
  (void)parse_history_query(request.target, 1'790'000'000'000);
  (void)parse_events_query(request.target, 1'790'000'000'000);
  (void)parse_stream_request(request.body);
  return 0;
}
