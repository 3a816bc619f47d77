#include "web/history_handlers.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_client.hpp"
#include "web/api_handlers.hpp"
#include "web/web_server.hpp"

namespace btms::web {
namespace {

using nlohmann::json;
using test::http_request;

constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// --- time parsing ------------------------------------------------------------------------------

struct TimeCase {
  const char* text;
  std::optional<std::int64_t> expected;
};

TEST(HistoryTime, ParsesMsAndIso8601) {
  const TimeCase cases[] = {
      {"1767225600000", kT0},
      {"0", 0},
      {"-1000", -1000},
      {"2026-01-01", kT0},
      {"2026-01-01T00:00Z", kT0},
      {"2026-01-01T00:00:00Z", kT0},
      {"2026-01-01t00:00:00z", kT0},
      {"2026-01-01T00:00:01.5Z", kT0 + 1500},
      {"2026-01-01T00:00:01.250Z", kT0 + 1250},
      {"2026-01-01T00:00:01.123456789Z", kT0 + 1123},
      {"2026-01-01T01:00:00+01:00", kT0},
      {"2026-01-01T01:00:00 01:00", kT0},  // '+' decoded as space by form encoding
      {"2026-01-01T01:30:00+0130", kT0},
      {"2025-12-31T19:00:00-05", kT0},
      {"2024-02-29T12:00:00Z", 1'709'208'000'000},
      {"1970-01-01T00:00:00Z", 0},
      {"2200-01-01T00:00:00Z", 7'258'118'400'000},
      // Refused:
      {"", std::nullopt},
      {"yesterday", std::nullopt},
      {"12abc", std::nullopt},
      {"2026-01-01T00:00:00", std::nullopt},  // no zone: ambiguous
      {"2026-13-01", std::nullopt},
      {"2026-02-29", std::nullopt},  // not a leap year
      {"2026-01-32", std::nullopt},
      {"2026-01-01T24:00:00Z", std::nullopt},
      {"2026-01-01T12:60:00Z", std::nullopt},
      {"2026-01-01T12:00:60Z", std::nullopt},
      {"2026-01-01T12:00:00.Z", std::nullopt},
      {"2026-01-01T12:00:00Zjunk", std::nullopt},
      {"2026-01-01T12:00:00+25:00", std::nullopt},
      {"2026-1-1", std::nullopt},
      {"99999999999999999999", std::nullopt},  // overflows int64
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_time_ms(c.text), c.expected) << c.text;
  }
}

TEST(HistoryTime, FormatsIsoWithMsAndRoundTrips) {
  EXPECT_EQ(format_iso_ms(kT0), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso_ms(kT0 + 3'723'045), "2026-01-01T01:02:03.045Z");
  EXPECT_EQ(format_iso_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso_ms(-1), "1969-12-31T23:59:59.999Z");
  for (const std::int64_t t :
       {kT0, std::int64_t{951'782'400'123}, std::int64_t{7'258'118'399'999}}) {
    EXPECT_EQ(parse_time_ms(format_iso_ms(t)), t) << t;
  }
}

// --- query parsing -----------------------------------------------------------------------------

TEST(HistoryQueryParse, RepeatedChannelsKeepOrderAndDefaultsApply) {
  const std::int64_t now = kT0 + 5'000'000;
  const auto parsed = parse_history_query("/api/v1/history?channel=b%2F1&channel=a", now);
  ASSERT_TRUE(std::holds_alternative<HistoryQuery>(parsed)) << std::get<std::string>(parsed);
  const auto& q = std::get<HistoryQuery>(parsed);
  EXPECT_EQ(q.channels, (std::vector<std::string>{"b/1", "a"}));
  EXPECT_EQ(q.to_ms, now);
  EXPECT_EQ(q.from_ms, now - 3'600'000);
  EXPECT_EQ(q.points, 600);
}

TEST(HistoryQueryParse, FromDefaultsRelativeToGivenTo) {
  const auto parsed = parse_history_query("/h?channel=a&to=2026-01-01T01:00Z&points=7", 0);
  ASSERT_TRUE(std::holds_alternative<HistoryQuery>(parsed));
  const auto& q = std::get<HistoryQuery>(parsed);
  EXPECT_EQ(q.to_ms, kT0 + 3'600'000);
  EXPECT_EQ(q.from_ms, kT0);
  EXPECT_EQ(q.points, 7);
}

TEST(HistoryQueryParse, RejectsMalformedInputWithReason) {
  std::string many = "/h?";
  for (int i = 0; i < 33; ++i) many += "channel=c" + std::to_string(i) + "&";
  const std::pair<std::string, std::string> cases[] = {
      {"/h", "at least one channel"},
      {"/h?channel=", "empty channel"},
      {many, "too many channels: 33"},
      {"/h?channel=a&from=soon", "unparsable time from='soon'"},
      {"/h?channel=a&to=2026-01-01T00:00:00", "unparsable time to="},
      {"/h?channel=a&points=ten", "unparsable points"},
      {"/h?channel=a&points=99999999999", "unparsable points"},
      {"/h?channel=a&from=1&from=2", "more than once"},
      {"/h?channel=a&color=red", "unknown query parameter: color"},
      {"/h?channel=%zz", "malformed query string"},
  };
  for (const auto& [target, reason] : cases) {
    const auto parsed = parse_history_query(target, kT0);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << target;
    EXPECT_NE(std::get<std::string>(parsed).find(reason), std::string::npos)
        << target << " -> " << std::get<std::string>(parsed);
  }
}

TEST(HistoryQueryParse, ThirtyTwoChannelsAreAllowed) {
  std::string target = "/h?";
  for (int i = 0; i < 32; ++i) target += "channel=c" + std::to_string(i) + "&";
  EXPECT_TRUE(std::holds_alternative<HistoryQuery>(parse_history_query(target, kT0)));
}

TEST(EventsQueryParse, DefaultsAndLimits) {
  const auto parsed = parse_events_query("/e", kT0);
  ASSERT_TRUE(std::holds_alternative<EventsQuery>(parsed));
  EXPECT_EQ(std::get<EventsQuery>(parsed).to_ms, kT0);
  EXPECT_EQ(std::get<EventsQuery>(parsed).from_ms, kT0 - 86'400'000);
  EXPECT_EQ(std::get<EventsQuery>(parsed).limit, 1000u);
  for (const char* bad : {"/e?limit=0", "/e?limit=10001", "/e?limit=x", "/e?from=5&to=5",
                          "/e?from=later", "/e?since=1"}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_events_query(bad, kT0))) << bad;
  }
}

TEST(HistoryCsv, QuotesAwkwardNamesAndLeavesNonFiniteEmpty) {
  history::ChannelSeries s{"odd,\"name\"", history::Tier::raw, 1000, {}};
  s.buckets.push_back({kT0, 1.5, 2.5, 2.0, 3});
  s.buckets.push_back({kT0 + 1000, std::nan(""), 1.0, 1.0, 1});
  EXPECT_EQ(history_csv({s}),
            "time_iso,channel,min,max,mean,count\r\n"
            "2026-01-01T00:00:00.000Z,\"odd,\"\"name\"\"\",1.5,2.5,2,3\r\n"
            "2026-01-01T00:00:01.000Z,\"odd,\"\"name\"\"\",,1,1,1\r\n");
}

// --- through the server with a real SQLite store --------------------------------------------

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("btms_web_history_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

std::string query_string(const std::string& path, std::int64_t from_ms, std::int64_t to_ms,
                         int points) {
  return path + "?channel=battery/1/1/voltage&from=" + std::to_string(from_ms) +
         "&to=" + std::to_string(to_ms) + "&points=" + std::to_string(points);
}

class HistoryServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plant_directory->add("battery/1/1/voltage", "V");
    plant_directory->add("string/1/current", "A");
    derived_directory->add("string/1/soc", "%");
    // Published snapshots only provide the units.
    plant->publish(snapshot(plant_directory, unix_now_ms(), {0.0, 0.0}));
    derived->publish(snapshot(derived_directory, unix_now_ms(), {0.0}));

    store = history::open_sqlite_store(dir.file("history.db"));
    // Ten seconds of data from kT0: voltage 13.0, 13.1, ...; current 0, -1, -2, ...
    for (int s = 0; s < 10; ++s) {
      store->append(snapshot(plant_directory, kT0 + s * 1000, {13.0 + 0.1 * s, -1.0 * s}));
      store->append(snapshot(derived_directory, kT0 + s * 1000, {90.0 - s}));
    }
    // One recent sample for the default window (the last hour up to now).
    store->append(snapshot(plant_directory, unix_now_ms() - 60'000, {12.5, 3.0}));
    for (int i = 0; i < 3; ++i) {
      model::Event e;
      e.id = static_cast<std::uint64_t>(i + 1);
      e.time_ms = kT0 + i * 1000;
      e.kind = i == 0 ? model::EventKind::alarm_raised : model::EventKind::note;
      e.severity = i == 0 ? model::Severity::alarm : model::Severity::info;
      e.source = "battery/1/1";
      e.rule = i == 0 ? "battery_voltage_high" : "";
      e.text = "event " + std::to_string(i);
      e.value = 14.6;
      store->append_event(e);
    }
    store->flush();
  }
  void TearDown() override {
    if (server) server->stop();
  }

  static std::shared_ptr<const model::Snapshot> snapshot(
      const std::shared_ptr<model::ChannelDirectory>& directory, std::int64_t time_ms,
      std::vector<double> values) {
    auto snap = std::make_shared<model::Snapshot>();
    snap->channels = directory;
    snap->time_ms = time_ms;
    for (const double v : values) snap->samples.push_back({v, time_ms, model::Quality::ok});
    return snap;
  }

  void start(bool with_history = true) {
    WebOptions options;
    options.port = 0;
    options.allow_anonymous_read = true;  // loopback demo: these tests are not about login
    server = std::make_unique<WebServer>(options, plant, derived, nullptr);
    if (with_history) server->set_history(store);
    server->start();
    ASSERT_GT(server->port(), 0);
  }

  json get_json(const std::string& target, int expected_status = 200) {
    auto reply = http_request(server->port(), "GET", target);
    EXPECT_EQ(reply.status, expected_status) << target << " " << reply.body;
    EXPECT_EQ(reply.headers["content-type"], "application/json") << target;
    return json::parse(reply.body, nullptr, false);
  }

  TempDir dir;
  std::shared_ptr<model::ChannelDirectory> plant_directory =
      std::make_shared<model::ChannelDirectory>();
  std::shared_ptr<model::ChannelDirectory> derived_directory =
      std::make_shared<model::ChannelDirectory>();
  std::shared_ptr<model::SnapshotPublisher> plant = std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<model::SnapshotPublisher> derived = std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<history::HistoryStore> store;
  std::unique_ptr<WebServer> server;
};

TEST_F(HistoryServerTest, JsonOneBucketPerSecond) {
  start();
  const auto j = get_json(query_string("/api/v1/history", kT0, kT0 + 10'000, 10));
  EXPECT_EQ(j["tier"], "raw");
  EXPECT_EQ(j["bucket_ms"], 1000);
  ASSERT_EQ(j["series"].size(), 1u);
  const auto& s = j["series"][0];
  EXPECT_EQ(s["channel"], "battery/1/1/voltage");
  EXPECT_EQ(s["unit"], "V");
  ASSERT_EQ(s["buckets"].size(), 10u);
  const auto& b3 = s["buckets"][3];
  ASSERT_EQ(b3.size(), 5u);
  EXPECT_EQ(b3[0], kT0 + 3000);
  EXPECT_NEAR(b3[1].get<double>(), 13.3, 1e-9);
  EXPECT_NEAR(b3[2].get<double>(), 13.3, 1e-9);
  EXPECT_NEAR(b3[3].get<double>(), 13.3, 1e-9);
  EXPECT_EQ(b3[4], 1);
}

TEST_F(HistoryServerTest, JsonAggregatesIntoOneBucket) {
  start();
  const auto j = get_json(query_string("/api/v1/history", kT0, kT0 + 10'000, 1));
  ASSERT_EQ(j["series"][0]["buckets"].size(), 1u);
  const auto& b = j["series"][0]["buckets"][0];
  EXPECT_EQ(b[0], kT0);
  EXPECT_NEAR(b[1].get<double>(), 13.0, 1e-9);
  EXPECT_NEAR(b[2].get<double>(), 13.9, 1e-9);
  EXPECT_NEAR(b[3].get<double>(), 13.45, 1e-9);
  EXPECT_EQ(b[4], 10);
}

TEST_F(HistoryServerTest, SeveralChannelsInOrderAskedWithIsoTimes) {
  start();
  // 01:00+01:00 is kT0; the '+' is escaped as a browser would.
  const auto j = get_json(
      "/api/v1/history?channel=string/1/soc&channel=string%2F1%2Fcurrent"
      "&from=2026-01-01T01:00:00%2B01:00&to=2026-01-01T00:00:10Z&points=10");
  ASSERT_EQ(j["series"].size(), 2u);
  EXPECT_EQ(j["series"][0]["channel"], "string/1/soc");
  EXPECT_EQ(j["series"][0]["unit"], "%");  // from the derived directory
  EXPECT_EQ(j["series"][1]["channel"], "string/1/current");
  EXPECT_EQ(j["series"][1]["unit"], "A");
  ASSERT_EQ(j["series"][1]["buckets"].size(), 10u);
  EXPECT_NEAR(j["series"][1]["buckets"][9][3].get<double>(), -9.0, 1e-9);
  EXPECT_NEAR(j["series"][0]["buckets"][0][3].get<double>(), 90.0, 1e-9);
}

TEST_F(HistoryServerTest, DefaultWindowIsTheLastHour) {
  start();
  const auto j = get_json("/api/v1/history?channel=battery/1/1/voltage");
  EXPECT_EQ(j["to_ms"].get<std::int64_t>() - j["from_ms"].get<std::int64_t>(), 3'600'000);
  EXPECT_EQ(j["points"], 600);
  ASSERT_EQ(j["series"][0]["buckets"].size(), 1u);  // only the recent sample, not kT0's
  EXPECT_NEAR(j["series"][0]["buckets"][0][3].get<double>(), 12.5, 1e-9);
}

TEST_F(HistoryServerTest, CsvDownload) {
  start();
  auto reply =
      http_request(server->port(), "GET", query_string("/api/v1/history.csv", kT0, kT0 + 3000, 3));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_NE(reply.headers["content-disposition"].find("attachment; filename="), std::string::npos);
  EXPECT_EQ(reply.body,
            "time_iso,channel,min,max,mean,count\r\n"
            "2026-01-01T00:00:00.000Z,battery/1/1/voltage,13,13,13,1\r\n"
            "2026-01-01T00:00:01.000Z,battery/1/1/voltage,13.1,13.1,13.1,1\r\n"
            "2026-01-01T00:00:02.000Z,battery/1/1/voltage,13.2,13.2,13.2,1\r\n");
}

TEST_F(HistoryServerTest, BadInputIs400WithReason) {
  start();
  std::string many = "/api/v1/history?";
  for (int i = 0; i < 33; ++i) many += "channel=battery/1/1/voltage&";
  const std::string range = "&from=" + std::to_string(kT0) + "&to=" + std::to_string(kT0 + 1000);
  const std::pair<std::string, std::string> cases[] = {
      {"/api/v1/history?channel=battery/9/9/voltage" + range, "unknown channel"},
      {"/api/v1/history?channel=battery/1/1/voltage&channel=nope" + range,
       "unknown channel 'nope'"},
      {query_string("/api/v1/history", kT0, kT0, 10), "must be before"},
      {query_string("/api/v1/history", kT0 + 1, kT0, 10), "must be before"},
      {query_string("/api/v1/history", kT0, kT0 + 1000, 0), "points must be 1..10000"},
      {query_string("/api/v1/history", kT0, kT0 + 1000, 10001), "points must be 1..10000"},
      {many, "too many channels"},
      {"/api/v1/history?channel=battery/1/1/voltage&from=noon", "unparsable time"},
      {"/api/v1/history?channel=battery/1/1/voltage&from=-5&to=5", "outside 1970..2200"},
      {"/api/v1/history?from=1&to=2", "at least one channel"},
      {"/api/v1/history.csv?channel=nope" + range, "unknown channel"},
      {"/api/v1/events?limit=0", "limit must be"},
      {"/api/v1/events?from=2&to=1", "must be before"},
  };
  for (const auto& [target, reason] : cases) {
    const auto j = get_json(target, 400);
    ASSERT_TRUE(j.contains("error")) << target;
    EXPECT_NE(j["error"].get<std::string>().find(reason), std::string::npos)
        << target << " -> " << j["error"];
  }
}

TEST_F(HistoryServerTest, EventsAscendingAndLimitedToNewest) {
  start();
  const std::string range = "?from=" + std::to_string(kT0) + "&to=" + std::to_string(kT0 + 60'000);
  const auto all = get_json("/api/v1/events" + range);
  ASSERT_EQ(all["events"].size(), 3u);
  EXPECT_EQ(all["limit_reached"], false);
  const auto& e0 = all["events"][0];
  EXPECT_EQ(e0["id"], 1);
  EXPECT_EQ(e0["time_ms"], kT0);
  EXPECT_EQ(e0["time_iso"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(e0["kind"], "alarm_raised");
  EXPECT_EQ(e0["severity"], "alarm");
  EXPECT_EQ(e0["source"], "battery/1/1");
  EXPECT_EQ(e0["rule"], "battery_voltage_high");
  EXPECT_EQ(e0["text"], "event 0");
  EXPECT_NEAR(e0["value"].get<double>(), 14.6, 1e-9);
  EXPECT_EQ(all["events"][2]["kind"], "note");

  const auto newest = get_json("/api/v1/events" + range + "&limit=2");
  ASSERT_EQ(newest["events"].size(), 2u);
  EXPECT_EQ(newest["limit_reached"], true);
  EXPECT_EQ(newest["events"][0]["id"], 2);
  EXPECT_EQ(newest["events"][1]["id"], 3);

  // The default window (last 24 h) does not reach back to kT0.
  EXPECT_EQ(get_json("/api/v1/events")["events"].size(), 0u);
}

TEST_F(HistoryServerTest, NoStoreIs503) {
  start(false);
  for (const char* target : {"/api/v1/history?channel=battery/1/1/voltage",
                             "/api/v1/history.csv?channel=battery/1/1/voltage", "/api/v1/events"}) {
    const auto j = get_json(target, 503);
    EXPECT_EQ(j["error"], "no history store configured") << target;
  }
}

TEST_F(HistoryServerTest, OnlyGetIsAllowed) {
  start();
  const auto reply = http_request(server->port(), "POST", "/api/v1/history?channel=a");
  EXPECT_EQ(reply.status, 405);
}

TEST_F(HistoryServerTest, SetHistoryAfterStartIsRefused) {
  start();
  EXPECT_THROW(server->set_history(store), std::logic_error);
}

}  // namespace
}  // namespace btms::web
