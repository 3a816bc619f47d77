// The settings page's cloud endpoints through the web router, against a real mosquitto on a free
// loopback port: the settings never show the password; "test connection" says ok, refused (a
// port nobody listens on), bad credentials, TLS failure (a broker the CA does not vouch for),
// each within seconds, and leaves the running link alone.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "cloud/cloud_link.hpp"
#include "cloud/connection_test.hpp"
#include "cloud/settings_api.hpp"
#include "cloud_fixture.hpp"
#include "mqtt_test_broker.hpp"
#include "process.hpp"
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

}  // namespace
}  // namespace btms::cloud
