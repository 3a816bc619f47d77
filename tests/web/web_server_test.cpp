#include "web/web_server.hpp"

#include <gtest/gtest.h>

#include <map>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_client.hpp"
#include "test_plant.hpp"

namespace btms::web {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using test::http_request;

class WebServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plant.set(plant.plant_id("battery/1/1/voltage"), 13.52);
    plant.set(plant.plant_id("battery/1/2/voltage"), 13.40, model::Quality::stale);
    plant.set(plant.plant_id("string/2/current"), 0.0, model::Quality::comm_lost);
    plant.publish();
  }
  void TearDown() override {
    if (server) server->stop();
  }
  void start(WebOptions options = {}) {
    options.port = 0;
    options.allow_anonymous_read = true;  // loopback demo: these tests are not about login
    server = std::make_unique<WebServer>(options, plant.plant, plant.derived, plant.site);
    server->start();
    ASSERT_GT(server->port(), 0);
  }
  json get_json(const std::string& target, int expected_status = 200) {
    auto reply = http_request(server->port(), "GET", target);
    EXPECT_EQ(reply.status, expected_status) << target << " " << reply.body;
    EXPECT_EQ(reply.headers["content-type"], "application/json") << target;
    return json::parse(reply.body, nullptr, false);
  }

  test::TestPlant plant;
  std::unique_ptr<WebServer> server;
};

TEST_F(WebServerTest, Health) {
  start();
  const auto j = get_json("/api/v1/health");
  EXPECT_EQ(j["status"], "ok");
  EXPECT_GE(j["uptime_s"].get<double>(), 0.0);
  EXPECT_EQ(j["snapshot"]["sequence"], 1);
  EXPECT_GE(j["snapshot"]["age_ms"].get<std::int64_t>(), 0);
  EXPECT_EQ(j["derived_snapshot"]["sequence"], 1);
}

TEST_F(WebServerTest, HealthBeforeAnySnapshotSaysStarting) {
  plant.plant = std::make_shared<model::SnapshotPublisher>();
  start();
  EXPECT_EQ(get_json("/api/v1/health")["status"], "starting");
  const auto live = get_json("/api/v1/live", 503);
  EXPECT_TRUE(live.contains("error"));
}

TEST_F(WebServerTest, Topology) {
  start();
  const auto j = get_json("/api/v1/topology");
  EXPECT_EQ(j["site"], "Test room");
  ASSERT_EQ(j["upses"].size(), 1u);
  EXPECT_EQ(j["upses"][0]["strings"], json({1, 2}));
  ASSERT_EQ(j["strings"].size(), 2u);
  EXPECT_EQ(j["strings"][0]["batteries"], 4);
  EXPECT_EQ(j["strings"][1]["batteries"], 3);
  EXPECT_EQ(j["strings"][0]["battery_type"]["name"], "GEL-12-100");
  EXPECT_EQ(j["strings"][0]["battery_type"]["chemistry"], "vrla_gel");
  ASSERT_EQ(j["buses"].size(), 1u);
  EXPECT_EQ(j["buses"][0]["name"], "bus1");
  EXPECT_EQ(j["mc"]["present"], true);
  EXPECT_EQ(j["mc"]["th"][0]["name"], "Room");
  EXPECT_EQ(j["total_batteries"], 7);
}

TEST_F(WebServerTest, LiveMergesPlantAndDerivedAndReportsQuality) {
  start();
  const auto j = get_json("/api/v1/live");
  EXPECT_EQ(j["sequence"], 1);
  const auto& ch = j["channels"];
  EXPECT_EQ(ch.size(), plant.channels.directory->size() + plant.derived_directory->size());
  EXPECT_DOUBLE_EQ(ch["battery/1/1/voltage"]["value"].get<double>(), 13.52);
  EXPECT_EQ(ch["battery/1/1/voltage"]["unit"], "V");
  EXPECT_EQ(ch["battery/1/1/voltage"]["quality"], "ok");
  EXPECT_GE(ch["battery/1/1/voltage"]["age_ms"].get<std::int64_t>(), 0);
  EXPECT_GT(ch["battery/1/1/voltage"]["time_ms"].get<std::int64_t>(), 0);
  EXPECT_EQ(ch["battery/1/2/voltage"]["quality"], "stale");
  EXPECT_EQ(ch["string/2/current"]["quality"], "comm_lost");
  EXPECT_EQ(ch["string/1/soc"]["unit"], "%");
  EXPECT_EQ(ch["bus/bus1/requests"]["quality"], "ok");
}

TEST_F(WebServerTest, LivePrefixFilter) {
  start();
  const auto j = get_json("/api/v1/live?prefix=string/2/");
  ASSERT_EQ(j["channels"].size(), 4u);
  for (const auto& [name, value] : j["channels"].items())
    EXPECT_TRUE(name.starts_with("string/2/"));
  EXPECT_EQ(get_json("/api/v1/live?prefix=string%2F1%2Fsoc")["channels"].size(), 1u);
  // A valid prefix that matches nothing is an honest empty answer.
  const auto none = get_json("/api/v1/live?prefix=string/9/");
  EXPECT_TRUE(none["channels"].is_object());
  EXPECT_TRUE(none["channels"].empty());
}

struct BadQuery {
  const char* target;
  int status;
};
class LiveBadQuery : public WebServerTest, public ::testing::WithParamInterface<BadQuery> {};
TEST_P(LiveBadQuery, Refused) {
  start();
  const auto j = get_json(GetParam().target, GetParam().status);
  EXPECT_TRUE(j.contains("error")) << j.dump();
}
INSTANTIATE_TEST_SUITE_P(Table, LiveBadQuery,
                         ::testing::Values(BadQuery{"/api/v1/live?prefix=String/2", 400},
                                           BadQuery{"/api/v1/live?prefix=a%22b", 400},
                                           BadQuery{"/api/v1/live?prefix=%zz", 400},
                                           BadQuery{"/api/v1/live?prefix=a*", 400},
                                           BadQuery{"/api/v1/live?limit=3", 400},
                                           BadQuery{"/api/v1/nothing", 404},
                                           BadQuery{"/api/v2/live", 404},
                                           BadQuery{"/api/v1/%ff%fe", 404}));

TEST_F(WebServerTest, WrongMethodIs405WithAllow) {
  start();
  auto reply = http_request(server->port(), "POST", "/api/v1/live", "{}");
  EXPECT_EQ(reply.status, 405);
  EXPECT_EQ(reply.headers["allow"], "GET");
  EXPECT_TRUE(json::parse(reply.body).contains("error"));
  // Unknown API paths are 404 whatever the method.
  EXPECT_EQ(http_request(server->port(), "DELETE", "/api/v1/nope").status, 404);
}

TEST_F(WebServerTest, BodyOver64KiBIs413) {
  start();
  const std::string head = "POST /api/v1/live HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n";
  auto reply = test::parse_reply(test::exchange_raw(server->port(), head));
  EXPECT_EQ(reply.status, 413);
  EXPECT_TRUE(json::parse(reply.body).contains("error"));
  // Exactly at the limit is accepted by the parser (and then refused by the route: 405).
  const auto at_limit =
      http_request(server->port(), "POST", "/api/v1/live", std::string(65536, 'x'));
  EXPECT_EQ(at_limit.status, 405);
}

TEST_F(WebServerTest, MalformedRequestIs400) {
  start();
  auto reply = test::parse_reply(test::exchange_raw(server->port(), "GARBAGE\r\n\r\n"));
  EXPECT_EQ(reply.status, 400);
  EXPECT_TRUE(json::parse(reply.body).contains("error"));
}

TEST_F(WebServerTest, PlaceholderPageWithoutStaticDir) {
  start();
  auto reply = http_request(server->port(), "GET", "/");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(reply.body.find("running"), std::string::npos);
  EXPECT_NE(reply.body.find("/api/v1/live"), std::string::npos);
  EXPECT_EQ(http_request(server->port(), "GET", "/app.js").status, 404);
}

class StaticFilesTest : public WebServerTest {
 protected:
  void SetUp() override {
    WebServerTest::SetUp();
    base = std::filesystem::temp_directory_path() /
           ("btms_web_static_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(base);
    std::filesystem::create_directories(base / "www" / "assets");
    write(base / "www" / "index.html", "<html>ui</html>");
    write(base / "www" / "app.js", "console.log(1)");
    write(base / "www" / "assets" / "main-1a2b.css", "body{}");
    write(base / "secret.txt", "top secret");
    std::filesystem::create_symlink(base / "secret.txt", base / "www" / "escape.txt");
    WebOptions options;
    options.static_dir = (base / "www").string();
    start(options);
  }
  void TearDown() override {
    WebServerTest::TearDown();
    std::filesystem::remove_all(base);
  }
  static void write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
  }
  std::filesystem::path base;
};

TEST_F(StaticFilesTest, ServesFilesWithTypesAndCaching) {
  auto index = http_request(server->port(), "GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<html>ui</html>");
  EXPECT_EQ(index.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(index.headers["cache-control"], "no-cache");
  auto js = http_request(server->port(), "GET", "/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.headers["content-type"], "text/javascript; charset=utf-8");
  auto css = http_request(server->port(), "GET", "/assets/main-1a2b.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.headers["content-type"], "text/css; charset=utf-8");
  EXPECT_EQ(css.headers["cache-control"], "public, max-age=31536000, immutable");
  EXPECT_EQ(http_request(server->port(), "GET", "/missing.js").status, 404);
}

TEST_F(StaticFilesTest, PathTraversalRefused) {
  for (const char* target : {"/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt",
                             "/..%2fsecret.txt", "/assets/..%5c..%5csecret.txt", "/escape.txt"}) {
    auto reply = http_request(server->port(), "GET", target);
    EXPECT_TRUE(reply.status == 400 || reply.status == 404) << target << " " << reply.status;
    EXPECT_EQ(reply.body.find("top secret"), std::string::npos) << target;
  }
}

// Issue 17 item 13: `promtool check metrics` found a counter without _total, and the bus error
// counters were exported as gauge values. Lints what promtool checks for names and types.
TEST_F(WebServerTest, MetricsFollowThePrometheusConventions) {
  start();
  const auto m = http_request(server->port(), "GET", "/metrics").body;
  std::map<std::string, std::string> types;
  std::size_t pos = 0;
  while (pos < m.size()) {
    const auto eol = m.find('\n', pos);
    const auto line = m.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.starts_with("# TYPE ")) {
      const auto rest = line.substr(7);
      const auto space = rest.find(' ');
      types[rest.substr(0, space)] = rest.substr(space + 1);
    } else if (!line.starts_with("#")) {
      const auto name = line.substr(0, line.find_first_of("{ "));
      EXPECT_TRUE(types.contains(name)) << "sample before its TYPE: " << line;
    }
  }
  for (const auto& [name, type] : types) {
    if (type == "counter") {
      EXPECT_TRUE(name.ends_with("_total")) << name;
    } else {
      EXPECT_FALSE(name.ends_with("_total")) << name << " is a " << type;
    }
  }
  EXPECT_EQ(types["btms_bus_crc_errors_total"], "counter");
  EXPECT_NE(m.find("btms_bus_crc_errors_total{bus=\"bus1\"} "), std::string::npos) << m;
  EXPECT_EQ(m.find("channel=\"bus/bus1/crc_errors\""), std::string::npos) << m;
}

// Another part's health (the cloud link's) joins /metrics through add_metrics_source, read on
// each scrape; adding one after start() is refused.
TEST_F(WebServerTest, MetricsIncludeOtherPartsText) {
  WebOptions options;
  options.port = 0;
  options.allow_anonymous_read = true;
  server = std::make_unique<WebServer>(options, plant.plant, plant.derived, plant.site);
  int scrapes = 0;
  server->add_metrics_source([&scrapes] {
    ++scrapes;
    return "# HELP btms_cloud_connected x\n# TYPE btms_cloud_connected gauge\n"
           "btms_cloud_connected " +
           std::to_string(scrapes) + "\n";
  });
  server->start();
  EXPECT_NE(http_request(server->port(), "GET", "/metrics").body.find("btms_cloud_connected 1\n"),
            std::string::npos);
  EXPECT_NE(http_request(server->port(), "GET", "/metrics").body.find("btms_cloud_connected 2\n"),
            std::string::npos);
  EXPECT_THROW(server->add_metrics_source([] { return std::string(); }), std::logic_error);
}

TEST_F(WebServerTest, MetricsFormat) {
  start();
  EXPECT_EQ(http_request(server->port(), "GET", "/api/v1/health").status, 200);
  auto reply = http_request(server->port(), "GET", "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  const auto& m = reply.body;
  const auto v1 = plant.plant_samples[plant.plant_id("string/1/voltage")].value;
  const std::string v1_line = "btms_channel_value{channel=\"string/1/voltage\"} ";
  EXPECT_NE(m.find("# TYPE btms_channel_value gauge\n"), std::string::npos);
  const auto v1_at = m.find(v1_line);
  ASSERT_NE(v1_at, std::string::npos) << m;
  EXPECT_DOUBLE_EQ(std::stod(m.substr(v1_at + v1_line.size())), v1);
  EXPECT_NE(m.find("btms_channel_value{channel=\"bus/bus1/requests\"} "), std::string::npos);
  // Not fresh: no value, quality 0.
  EXPECT_EQ(m.find("btms_channel_value{channel=\"string/2/current\"}"), std::string::npos);
  EXPECT_NE(m.find("btms_channel_quality_ok{channel=\"string/2/current\"} 0\n"), std::string::npos);
  // Battery channels are not exported (too many series; they are in the API and history).
  EXPECT_EQ(m.find("battery/"), std::string::npos);
  EXPECT_NE(m.find("btms_snapshot_age_seconds{snapshot=\"plant\"} "), std::string::npos);
  EXPECT_NE(m.find("btms_http_requests_total{code=\"200\"} "), std::string::npos);
  // Every non-comment line is "name{labels} value" or "name value".
  std::size_t pos = 0;
  while (pos < m.size()) {
    const auto eol = m.find('\n', pos);
    ASSERT_NE(eol, std::string::npos);
    const auto line = m.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.starts_with("#")) continue;
    const auto space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    EXPECT_NO_THROW((void)std::stod(line.substr(space + 1))) << line;
    EXPECT_TRUE(line.starts_with("btms_")) << line;
  }
}

TEST_F(WebServerTest, PortInUseIsAClearError) {
  start();
  WebOptions options;
  options.port = server->port();
  WebServer second(options, plant.plant, plant.derived, plant.site);
  try {
    second.start();
    FAIL() << "second server started on a busy port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(
        std::string(e.what()).find("port " + std::to_string(server->port()) + " is already in use"),
        std::string::npos)
        << e.what();
  }
}

TEST_F(WebServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  const std::string one = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string last = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const auto raw = test::exchange_raw(server->port(), one + one + last);
  std::size_t count = 0;
  for (auto p = raw.find("HTTP/1.1 200"); p != std::string::npos;
       p = raw.find("HTTP/1.1 200", p + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 3u);
}

json read_json(test::WsClient& ws, std::chrono::milliseconds timeout = 3s) {
  const auto text = ws.read_text(timeout);
  EXPECT_TRUE(text) << "no message";
  return text ? json::parse(*text) : json{};
}

TEST_F(WebServerTest, StreamSendsSubscribedValuesThenOnlyChanges) {
  WebOptions options;
  start(options);
  test::WsClient ws;
  ASSERT_EQ(ws.connect(server->port(), "/api/v1/stream"), 101);
  ASSERT_TRUE(ws.send_text(R"({"subscribe": ["battery/1/", "string/2/"]})"));
  auto first = read_json(ws);
  EXPECT_EQ(first["type"], "values");
  EXPECT_EQ(first["sequence"], 1);
  EXPECT_EQ(first["channels"].size(), 16u + 4u);
  EXPECT_EQ(first["channels"]["battery/1/2/voltage"]["quality"], "stale");
  EXPECT_EQ(first["channels"]["battery/1/1/voltage"]["unit"], "V");
  // Nothing changed: nothing is sent.
  EXPECT_FALSE(ws.read_text(150ms));

  plant.set(plant.plant_id("battery/1/3/voltage"), 12.75);
  plant.set(plant.plant_id("battery/2/1/voltage"), 12.5);  // not subscribed
  plant.publish();
  auto second = read_json(ws);
  EXPECT_EQ(second["sequence"], 2);
  ASSERT_EQ(second["channels"].size(), 1u) << second.dump();
  EXPECT_DOUBLE_EQ(second["channels"]["battery/1/3/voltage"]["value"].get<double>(), 12.75);

  // A quality change alone is a change.
  plant.set(plant.plant_id("string/2/voltage"),
            plant.plant_samples[plant.plant_id("string/2/voltage")].value, model::Quality::invalid);
  plant.publish();
  auto third = read_json(ws);
  ASSERT_EQ(third["channels"].size(), 1u) << third.dump();
  EXPECT_EQ(third["channels"]["string/2/voltage"]["quality"], "invalid");
}

TEST_F(WebServerTest, StreamRefusesBadSubscribeAndPlainHttp) {
  start();
  test::WsClient ws;
  ASSERT_EQ(ws.connect(server->port(), "/api/v1/stream"), 101);
  ASSERT_TRUE(ws.send_text(R"({"subscribe": ["Battery!"]})"));
  auto err = read_json(ws);
  EXPECT_EQ(err["type"], "error");
  EXPECT_TRUE(err.contains("error"));
  // Still usable after an error.
  ASSERT_TRUE(ws.send_text(R"({"subscribe": ["ups/"]})"));
  auto values = read_json(ws);
  EXPECT_EQ(values["channels"].size(), 1u);

  EXPECT_EQ(http_request(server->port(), "GET", "/api/v1/stream").status, 426);
  test::WsClient other;
  EXPECT_EQ(other.connect(server->port(), "/api/v1/nowhere"), 404);
}

TEST_F(WebServerTest, StreamDropsClientsThatDoNotAnswerPings) {
  WebOptions options;
  options.ws_ping_interval_ms = 100;
  start(options);
  test::WsClient silent;
  ASSERT_EQ(silent.connect(server->port(), "/api/v1/stream"), 101);
  test::WsClient alive;
  ASSERT_EQ(alive.connect(server->port(), "/api/v1/stream"), 101);
  // The silent client never reads, so never answers a ping; the live one answers them while
  // it waits for messages (read_text answers pings) and stays connected.
  bool silent_closed = false;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!silent_closed && std::chrono::steady_clock::now() < deadline) {
    silent_closed = silent.wait_closed(20ms);
    EXPECT_FALSE(alive.read_text(20ms));
  }
  EXPECT_TRUE(silent_closed);
  EXPECT_FALSE(alive.read_text(500ms));
  EXPECT_GE(alive.pings_seen(), 2);
  ASSERT_TRUE(alive.send_text(R"({"subscribe": ["ups/"]})"));
  EXPECT_TRUE(alive.read_text(2s));
}

TEST_F(WebServerTest, StopClosesConnectionsAndIsIdempotent) {
  start();
  test::WsClient ws;
  ASSERT_EQ(ws.connect(server->port(), "/api/v1/stream"), 101);
  const int idle_http = test::connect_loopback(server->port());
  ASSERT_GE(idle_http, 0);
  const int port = server->port();
  server->stop();
  EXPECT_TRUE(ws.wait_closed(2s));
  server->stop();
  // The port is free again.
  WebOptions options;
  options.port = port;
  WebServer again(options, plant.plant, plant.derived, plant.site);
  EXPECT_NO_THROW(again.start());
  EXPECT_EQ(http_request(port, "GET", "/api/v1/health").status, 200);
  again.stop();
  ::close(idle_http);
}

TEST_F(WebServerTest, ServesConcurrentClientsWithSeveralThreads) {
  WebOptions options;
  options.io_threads = 2;
  start(options);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (http_request(server->port(), "GET", "/api/v1/live?prefix=string/").status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 40);
}

}  // namespace
}  // namespace btms::web
