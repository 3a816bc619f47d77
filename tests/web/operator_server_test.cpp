// The operator endpoints through the real server: the engine's wait runs on the worker pool
// (an io thread stays free for other clients meanwhile), session + CSRF from a real login.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>

#include <nlohmann/json.hpp>

#include "operator_fakes.hpp"
#include "test_client.hpp"
#include "test_plant.hpp"
#include "web/web_server.hpp"

namespace btms::web {
namespace {

using operator_test::TempDir;

using nlohmann::json;

test::HttpReply send(int port, const std::string& method, const std::string& target,
                     const std::string& cookie, const std::string& csrf, const std::string& body) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!cookie.empty()) req += "Cookie: " + cookie + "\r\n";
  if (!csrf.empty()) req += "X-CSRF-Token: " + csrf + "\r\n";
  req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
  return test::parse_reply(test::exchange_raw(port, req, std::chrono::milliseconds(5000)));
}

TEST(OperatorServer, EngineWaitRunsOffTheIoThreadAndActionsNeedSessionAndCsrf) {
  TempDir dir;
  test::TestPlant plant;
  plant.publish();
  WebOptions options;
  options.port = 0;
  options.data_dir = dir.path();
  options.io_threads = 1;  // one io thread: a handler waiting on it would stall every client
  options.auth.password_cost = security::PasswordHashCost::minimum();
  auto engine = std::make_shared<operator_test::RecordingEngine>();
  engine->answer_delay = std::chrono::milliseconds(600);
  engine->answer = engine::ActionResult{true, "string 1 reset"};
  WebServer server(options, plant.plant, plant.derived, plant.site);
  server.set_engine(engine);
  server.set_history(std::make_shared<operator_test::MemoryHistory>());
  server.start();
  const int port = server.port();

  const auto setup = send(port, "POST", "/api/v1/setup", "", "",
                          R"({"user":"admin","password":"admin-password-1"})");
  ASSERT_EQ(setup.status, 201) << setup.body;
  const auto& set_cookie = setup.headers.at("set-cookie");
  const auto cookie = set_cookie.substr(0, set_cookie.find(';'));
  const std::string csrf = json::parse(setup.body).at("csrf_token");

  const char* body = R"({"reason":"cell 7 replaced"})";
  EXPECT_EQ(send(port, "POST", "/api/v1/strings/1/reset", "", "", body).status, 401);
  EXPECT_EQ(send(port, "POST", "/api/v1/strings/1/reset", cookie, "", body).status, 403);
  EXPECT_EQ(engine->submitted_count(), 0u);

  auto reset = std::async(std::launch::async, [&] {
    return send(port, "POST", "/api/v1/strings/1/reset", cookie, csrf, body);
  });
  // Wait until the engine has the action, then ask something else meanwhile.
  for (int i = 0; i < 200 && engine->submitted_count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(engine->submitted_count(), 1u);
  const auto t0 = std::chrono::steady_clock::now();
  const auto health = send(port, "GET", "/api/v1/health", "", "", "");
  const auto health_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_EQ(health.status, 200);
  EXPECT_LT(health_ms, 300) << "a request waited for the engine's answer on the io thread";
  EXPECT_EQ(reset.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "the reset must still be waiting for the engine";

  const auto answer = reset.get();
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(json::parse(answer.body), (json{{"ok", true}, {"message", "string 1 reset"}}));
  const auto& who = engine->submitted[0].who;
  EXPECT_EQ(who.user, "admin");
  EXPECT_EQ(who.address, "127.0.0.1");

  const auto audit = send(port, "GET", "/api/v1/audit?limit=1", cookie, "", "");
  ASSERT_EQ(audit.status, 200);
  const auto last = json::parse(audit.body).at(0);
  EXPECT_EQ(last["action"], "reset");
  EXPECT_EQ(last["target"], "string/1");
  server.stop();
}

}  // namespace
}  // namespace btms::web
