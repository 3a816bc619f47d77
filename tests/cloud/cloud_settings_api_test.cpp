// The settings page's cloud endpoints through the web router, against a real mosquitto on a free
// loopback port: the settings never show the password; "test connection" says ok, refused (a
// port nobody listens on), bad credentials, TLS failure (a broker the CA does not vouch for),
// each within seconds, and leaves the running link alone. Editing: roles, the password never in
// an answer or the audit log, and a change that moves a running link from broker A to broker B
// with what was queued during an outage of A.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <thread>

#include "cloud/cloud_link.hpp"
#include "cloud/cloud_link_control.hpp"
#include "cloud/cloud_settings_store.hpp"
#include "cloud/connection_test.hpp"
#include "cloud/settings_api.hpp"
#include "cloud_fixture.hpp"
#include "link_test_bus.hpp"
#include "mqtt_test_broker.hpp"
#include "process.hpp"
#include "web/api_handlers.hpp"
#include "web/auth_handlers.hpp"
#include "web/cloud_settings_handlers.hpp"

namespace btms::cloud {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

CloudConfig configured(int port) {
  CloudConfig config;
  config.enabled = true;
  config.broker = {"127.0.0.1", port, false};
  config.site_id = "dc1";
  config.gateway_id = "gw1";
  config.client_id = "btms-dc1-gw1";
  config.username = "btms";
  config.password = "s3cret-never-shown";
  return config;
}

// The router as the web server builds it, with the gateway's functions for `config`.
struct Api {
  explicit Api(const CloudConfig& config) {
    ctx.settings = [config] { return settings_json(config, std::nullopt); };
    ctx.test_connection = [config](const std::string& body) {
      return connection_test_response(config, body);
    };
    web::add_cloud_settings_routes(router, ctx);
  }
  web::Response call(const std::string& method, const std::string& path,
                     const std::string& body = {}) const {
    web::Request request;
    request.method = method;
    request.target = path;
    request.body = body;
    request.remote_address = "127.0.0.1";
    return router.handle(request);
  }
  json test(const json& body) const {
    const auto r = call("POST", "/api/v1/cloud/test", body.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }
  web::CloudSettingsContext ctx;
  web::Router router;
};

TEST(CloudSettingsApi, SettingsShowEverythingButThePassword) {
  const Api api(configured(1883));
  const auto r = api.call("GET", "/api/v1/cloud/settings");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("s3cret"), std::string::npos);
  const auto j = json::parse(r.body);
  EXPECT_EQ(j["broker"], "mqtt://127.0.0.1:1883");
  EXPECT_EQ(j["client_id"], "btms-dc1-gw1");
  EXPECT_EQ(j["format"], "json");
  EXPECT_EQ(j["tls"], false);
  EXPECT_EQ(j["username"], "btms");
  EXPECT_EQ(j["password_set"], true);
  EXPECT_FALSE(j.contains("password"));
  EXPECT_EQ(j["topics"], "btms/dc1/gw1/#");
  EXPECT_EQ(api.call("POST", "/api/v1/cloud/test", "[1]").status, 400);
  EXPECT_EQ(api.call("POST", "/api/v1/cloud/test", R"({"broker":"http://x"})").status, 400);
}

TEST(CloudSettingsApi, StoredPasswordGoesOnlyToTheConfiguredBroker) {
  const auto current = configured(1883);
  std::string error;
  struct Case {
    const char* body;
    const char* password;
  };
  for (const auto& c : {Case{R"({})", "s3cret-never-shown"},
                        Case{R"({"broker":"mqtt://127.0.0.1:1883"})", "s3cret-never-shown"},
                        Case{R"({"broker":"mqtt://evil.example.com:1883"})", ""},
                        Case{R"({"broker":"mqtt://127.0.0.1:1884"})", ""},
                        Case{R"({"broker":"mqtts://127.0.0.1:1883"})", ""},
                        Case{R"({"broker":"mqtt://other:1883","password":"given"})", "given"}}) {
    const auto config = settings_to_test(current, c.body, &error);
    ASSERT_TRUE(config) << c.body << ": " << error;
    EXPECT_EQ(config->password, c.password) << c.body;
  }
}

TEST(CloudSettingsApi, TestConnectionSaysOkOrRefusedWithinSecondsWithoutDisturbingTheLink) {
  e2e::TempFolder folder;
  test::MosquittoBroker broker(folder.path(), {});
  auto config = configured(broker.port());
  config.username.clear();
  config.password.clear();
  // The running link, with the same client id the test would use if it were careless.
  const auto site = test::make_site(1, 1);
  auto publication = std::make_shared<engine::StepPublication>();
  auto events = std::make_shared<engine::AppendLog<model::Event>>(100);
  CloudLink link(config, site, {publication, events, nullptr}, folder.path() + "/outbox.db",
                 model::system_clock());
  link.start();
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!link.health().connected && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(link.health().connected);

  const Api api(config);
  const auto ok = api.test(json::object());
  EXPECT_EQ(ok["ok"], true) << ok.dump();
  EXPECT_EQ(ok["outcome"], "ok") << ok.dump();
  EXPECT_LT(ok["elapsed_ms"].get<int>(), 5000);
  const auto dead_port = test::free_loopback_port();
  const auto refused = api.test({{"broker", "mqtt://127.0.0.1:" + std::to_string(dead_port)}});
  EXPECT_EQ(refused["ok"], false);
  EXPECT_EQ(refused["outcome"], "refused") << refused.dump();
  EXPECT_NE(refused["detail"].get<std::string>().find(std::to_string(dead_port)), std::string::npos)
      << refused.dump();
  EXPECT_LT(refused["elapsed_ms"].get<int>(), 5000);
  // The link never noticed: still on its first connection.
  EXPECT_TRUE(link.health().connected);
  EXPECT_EQ(link.health().connects, 1);
  link.stop();
}

TEST(CloudSettingsApi, TestConnectionNamesBadCredentials) {
  e2e::TempFolder folder;
  const auto password_file = folder.path() + "/passwd";
  const auto command = "mosquitto_passwd -b -c " + password_file + " btms right-password";
  ASSERT_EQ(std::system(command.c_str()), 0);
  test::MosquittoBroker::Options options;
  options.password_file = password_file;
  test::MosquittoBroker broker(folder.path(), options);
  const Api api(configured(broker.port()));
  const auto wrong = api.test({{"password", "wrong-password"}});
  EXPECT_EQ(wrong["outcome"], "bad_credentials") << wrong.dump();
  const auto anonymous = api.test({{"username", ""}});
  EXPECT_EQ(anonymous["outcome"], "not_authorized") << anonymous.dump();
  const auto right = api.test({{"password", "right-password"}});
  EXPECT_EQ(right["outcome"], "ok") << right.dump();
}

TEST(CloudSettingsApi, TestConnectionNamesATlsFailure) {
  e2e::TempFolder folder;
  const auto certs = test::make_test_certificates(folder.path());
  test::MosquittoBroker::Options options;
  options.tls_port = 0;
  options.certs = certs;
  test::MosquittoBroker broker(folder.path(), options);
  auto config = configured(broker.tls_port());
  config.broker.tls = true;
  config.username.clear();
  config.password.clear();
  config.ca_file = certs.other_ca_file;  // a CA that did not sign the broker's certificate
  const Api api(config);
  const auto untrusted = api.test(json::object());
  EXPECT_NE(untrusted["detail"].get<std::string>().find("certificate verify failed"),
            std::string::npos)
      << "OpenSSL's own reason: " << untrusted.dump();
  EXPECT_EQ(untrusted["outcome"], "tls_failure") << untrusted.dump();
  EXPECT_LT(untrusted["elapsed_ms"].get<int>(), 5000);
  const auto trusted = api.test({{"ca_file", certs.ca_file}});
  EXPECT_EQ(trusted["outcome"], "ok") << trusted.dump();
}

// A listener that never answers (the kernel completes the TCP handshake, nobody reads the
// CONNECT): the test gives up at its timeout and says so.
TEST(CloudSettingsApi, TestConnectionTimesOutOnABrokerThatNeverAnswers) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t length = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const auto config = configured(ntohs(address.sin_port));
  const auto result = test_broker_connection(config, std::chrono::milliseconds(1000));
  close(listener);
  EXPECT_EQ(result.outcome, ConnectionOutcome::timeout) << result.detail;
  EXPECT_GE(result.elapsed_ms, 900);
  EXPECT_LT(result.elapsed_ms, 3000);
}

// The gateway's wiring (gateway_runtime.cpp) of a CloudLinkControl to the web routes, with real
// accounts: a session per role, requests as a browser sends them (cookie, CSRF header).
struct EditingApi {
  enum class Who { viewer, operator_, admin };
  EditingApi(const std::string& folder, CloudLinkControl& control)
      : auth(folder + "/web", false, false, tuning()) {
    ctx.settings = [&control] { return control.settings_json(); };
    ctx.test_connection = [&control](const std::string& body) {
      return control.test_connection(body);
    };
    ctx.change = [&control](const std::string& body) {
      auto a = control.change(body);
      return web::CloudSettingsChange{a.status, a.body, a.audit_detail};
    };
    ctx.revert = [&control] {
      auto a = control.revert();
      return web::CloudSettingsChange{a.status, a.body, a.audit_detail};
    };
    web::add_auth_routes(router, auth);
    web::add_cloud_settings_routes(router, ctx, &auth);
    const auto now = web::unix_now_ms();
    sessions[Who::viewer] = auth.sessions().create("vera", security::Role::viewer, now);
    sessions[Who::operator_] = auth.sessions().create("olga", security::Role::operator_, now);
    sessions[Who::admin] = auth.sessions().create("adam", security::Role::admin, now);
  }
  static web::AuthTuning tuning() {
    web::AuthTuning t;
    t.password_cost = security::PasswordHashCost::minimum();
    return t;
  }
  web::Response call(Who who, const std::string& method, const std::string& path,
                     const std::string& body = {}) {
    web::Request r;
    r.method = method;
    r.target = path;
    r.body = body;
    r.remote_address = "192.0.2.7";
    const auto& s = sessions.at(who);
    r.headers["cookie"] = std::string(security::kSessionCookieName) + "=" + s.id;
    r.headers["x-csrf-token"] = s.csrf_token;
    return router.handle(r);
  }
  std::vector<security::AuditEntry> changes() {
    std::vector<security::AuditEntry> out;
    for (auto& e : auth.audit()->query(0, INT64_MAX, 1000))
      if (e.action == security::AuditAction::config_change) out.push_back(std::move(e));
    return out;
  }
  web::AuthContext auth;
  web::CloudSettingsContext ctx;
  web::Router router;
  std::map<Who, security::Session> sessions;
};

// Makes the gateway's links on the test's bus, all on one outbox file as the gateway does.
struct GatewayLinks {
  explicit GatewayLinks(std::string outbox) : outbox_path(std::move(outbox)) {}
  CloudLinkFactory factory() {
    return [this](const CloudConfig& config) {
      return std::make_unique<CloudLink>(config, site, bus.sources(), outbox_path,
                                         model::system_clock());
    };
  }
  model::Site site = test::make_site(1, 1);
  test::Bus bus{10'000};
  std::string outbox_path;
};

TEST(CloudSettingsApi, OnlyAnAdminChangesTheSettingsAndNoAnswerOrAuditEntryHoldsAPassword) {
  e2e::TempFolder folder;
  GatewayLinks links(folder.path() + "/cloud-outbox.db");
  auto base = test::broker_test_config(test::free_loopback_port());
  base.username = "btms";
  base.password = "site-file-s3cret";
  CloudLinkControl control(base, cloud_settings_path(folder.path()), links.factory());
  control.start();
  EditingApi api(folder.path(), control);
  using Who = EditingApi::Who;
  std::vector<std::string> answers;
  for (const auto who : {Who::viewer, Who::operator_, Who::admin}) {
    const auto r = api.call(who, "GET", "/api/v1/cloud/settings");
    EXPECT_EQ(r.status, 200) << "every role reads the settings";
    EXPECT_EQ(json::parse(r.body)["password_set"], true);
    answers.push_back(r.body);
  }
  const std::string change = R"({"keepalive_s":45,"password":"edited-s3cret"})";
  for (const auto who : {Who::viewer, Who::operator_}) {
    EXPECT_EQ(api.call(who, "PUT", "/api/v1/cloud/settings", change).status, 403);
    EXPECT_EQ(api.call(who, "DELETE", "/api/v1/cloud/settings").status, 403);
    EXPECT_EQ(api.call(who, "POST", "/api/v1/cloud/test", "{}").status, 403);
  }
  EXPECT_FALSE(std::filesystem::exists(cloud_settings_path(folder.path())));
  EXPECT_EQ(control.settings().keepalive_s, base.keepalive_s);

  const auto bad = api.call(Who::admin, "PUT", "/api/v1/cloud/settings",
                            R"({"keepalive_s":2,"password":"edited-s3cret"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["field"], "keepalive_s");
  const auto ok = api.call(Who::admin, "PUT", "/api/v1/cloud/settings", change);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["keepalive_s"], 45);
  EXPECT_EQ(control.settings().password, "edited-s3cret");
  answers.push_back(ok.body);
  answers.push_back(bad.body);
  for (const auto who : {Who::viewer, Who::admin})
    answers.push_back(api.call(who, "GET", "/api/v1/cloud/settings").body);
  const auto reverted = api.call(Who::admin, "DELETE", "/api/v1/cloud/settings");
  ASSERT_EQ(reverted.status, 200) << reverted.body;
  EXPECT_EQ(control.settings().password, "site-file-s3cret");
  answers.push_back(reverted.body);
  for (const auto& body : answers) {
    EXPECT_EQ(body.find("s3cret"), std::string::npos) << body;
    EXPECT_FALSE(json::parse(body).contains("password")) << body;
  }

  const auto audited = api.changes();  // newest first
  ASSERT_EQ(audited.size(), 3u);
  EXPECT_EQ(audited[2].user, "adam");
  EXPECT_EQ(audited[2].target, "cloud-settings");
  EXPECT_NE(audited[2].detail.find("refused: keepalive_s: must be between 5 and 3600, got 2"),
            std::string::npos)
      << audited[2].detail;
  EXPECT_NE(audited[1].detail.find("password changed; keepalive_s: 30 -> 45"), std::string::npos)
      << audited[1].detail;
  EXPECT_NE(audited[0].detail.find("reverted to the site file"), std::string::npos)
      << audited[0].detail;
  for (const auto& e : audited) EXPECT_EQ(e.detail.find("s3cret"), std::string::npos) << e.detail;
  control.stop();
}

// The gateway publishes to broker A; A goes down and events queue in the outbox; an admin
// moves the link to broker B. B gets every queued event, in order, then the live ones; A, back
// up, gets nothing more.
TEST(CloudSettingsApi, APutMovesTheRunningLinkToAnotherBrokerWithWhatWasQueued) {
  e2e::TempFolder folder_a;
  e2e::TempFolder folder_b;
  e2e::TempFolder data;
  test::MosquittoBroker broker_a(folder_a.path(), {});
  test::MosquittoBroker broker_b(folder_b.path(), {});
  test::Subscriber at_a(broker_a.port(), "btms/#", "sub-a");
  test::Subscriber at_b(broker_b.port(), "btms/#", "sub-b");
  ASSERT_TRUE(at_a.wait_connected(5s));
  ASSERT_TRUE(at_b.wait_connected(5s));
  GatewayLinks links(data.path() + "/cloud-outbox.db");
  CloudLinkControl control(test::broker_test_config(broker_a.port()),
                           cloud_settings_path(data.path()), links.factory());
  control.start();
  EditingApi api(data.path(), control);
  const auto event_ids = [](const std::vector<test::ReceivedMessage>& all) {
    std::vector<int> ids;
    for (const auto& m : all)
      if (m.topic == "btms/dc1/gw1/event") ids.push_back(json::parse(m.payload)["id"].get<int>());
    return ids;
  };
  const auto time_ms = model::system_clock()->now_ms();
  links.bus.append_events(5, time_ms);  // ids 1..5
  ASSERT_TRUE(at_a.wait_for([&](const auto& m) { return event_ids(m).size() == 5; }, 10s));

  broker_a.stop();
  ASSERT_TRUE(test::wait_until([&] { return !control.health()->connected; }, 10s));
  links.bus.append_events(10, time_ms);  // ids 6..15, queued: A is down
  ASSERT_TRUE(test::wait_until([&] { return control.health()->outbox.rows >= 10; }, 10s));

  const auto moved =
      api.call(EditingApi::Who::admin, "PUT", "/api/v1/cloud/settings",
               json{{"broker", "mqtt://127.0.0.1:" + std::to_string(broker_b.port())}}.dump());
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(json::parse(moved.body)["sources"]["broker"], "edited");
  links.bus.append_events(5, time_ms);  // ids 16..20, live
  ASSERT_TRUE(at_b.wait_for([&](const auto& m) { return event_ids(m).size() >= 15; }, 20s))
      << event_ids(at_b.messages()).size() << " events at B";
  std::vector<int> expected(15);
  std::iota(expected.begin(), expected.end(), 6);
  auto at_b_ids = event_ids(at_b.messages());
  std::sort(at_b_ids.begin(), at_b_ids.end());  // backlog and live streams interleave
  EXPECT_EQ(at_b_ids, expected);
  ASSERT_TRUE(test::wait_until([&] { return control.health()->outbox.rows == 0; }, 10s));
  EXPECT_TRUE(control.health()->connected);

  broker_a.start();
  ASSERT_TRUE(at_a.wait_connected(10s));
  links.bus.append_events(1, time_ms);  // id 21
  ASSERT_TRUE(at_b.wait_for([&](const auto& m) { return event_ids(m).size() == 16; }, 10s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(event_ids(at_a.messages()).size(), 5u) << "the old broker is left alone";
  control.stop();
}

}  // namespace
}  // namespace btms::cloud
