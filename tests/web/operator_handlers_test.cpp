// Operator and admin endpoints through the real router and authorizer (sessions created
// directly, no Argon2), with a fake engine and an in-memory history store: every endpoint for
// every role, CSRF, bad bodies, the engine's answers mapped to statuses, audit entries.
#include "web/operator_handlers.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/config_fields.hpp"
#include "operator_fixture.hpp"
#include "web/api_handlers.hpp"
#include "web/discharge_handlers.hpp"
#include "web/json_body.hpp"

namespace btms::web {
namespace {

using nlohmann::json;
using operator_test::discharge;
using operator_test::kAlarmKey;
using operator_test::kClientAddress;
using operator_test::OperatorApiTest;
using operator_test::Who;

struct Endpoint {
  const char* method;
  const char* target;
  const char* body;
  Who least;  // lowest role allowed
};

const Endpoint kEndpoints[] = {
    {"GET", "/api/v1/alarms", "", Who::viewer},
    {"POST", "/api/v1/alarms/acknowledge", R"({"key":"battery/1/2:battery_temperature_alarm"})",
     Who::operator_},
    {"POST", "/api/v1/strings/1/reset", R"({"reason":"cell 7 replaced"})", Who::operator_},
    {"POST", "/api/v1/strings/1/open", R"({"reason":"maintenance"})", Who::operator_},
    {"POST", "/api/v1/strings/1/baseline-reset", R"({"position":0})", Who::operator_},
    {"GET", "/api/v1/discharges", "", Who::viewer},
    {"GET", "/api/v1/discharges/1-1000", "", Who::viewer},
    {"GET", "/api/v1/discharges/1-1000.csv", "", Who::viewer},
    {"GET", "/api/v1/config", "", Who::viewer},
    {"PUT", "/api/v1/config", R"({"debounce_count":4})", Who::admin},
};

TEST_F(OperatorApiTest, EveryEndpointForEveryRole) {
  for (const auto& e : kEndpoints) {
    for (const Who who : {Who::nobody, Who::viewer, Who::operator_, Who::admin}) {
      const auto r = send(e.method, e.target, e.body, who);
      const auto expected = who == Who::nobody ? 401 : (who < e.least ? 403 : 200);
      EXPECT_EQ(r.status, expected)
          << e.method << " " << e.target << " as role " << static_cast<int>(who) << ": " << r.body;
    }
  }
}

TEST_F(OperatorApiTest, StateChangingRequestsWithoutCsrfAre403AndNothingIsSubmitted) {
  for (const auto& e : kEndpoints) {
    if (std::string(e.method) == "GET") continue;
    const auto r = send(e.method, e.target, e.body, Who::admin, /*with_csrf=*/false);
    EXPECT_EQ(r.status, 403) << e.target;
    EXPECT_NE(r.body.find("CSRF"), std::string::npos) << r.body;
  }
  EXPECT_EQ(engine->submitted_count(), 0u);
  EXPECT_FALSE(audit_of(security::AuditAction::access_denied).empty());
}

TEST_F(OperatorApiTest, MalformedBodiesAre400WithAReasonAndNothingIsSubmitted) {
  struct Case {
    const char* target;
    std::string body;
    const char* reason_part;
  };
  const std::vector<Case> cases = {
      {"/api/v1/alarms/acknowledge", "", "empty body"},
      {"/api/v1/alarms/acknowledge", "{\"key\":", "malformed JSON"},
      {"/api/v1/alarms/acknowledge", "[1,2]", "JSON object"},
      {"/api/v1/alarms/acknowledge", R"({"key":7})", "'key' must be a string"},
      {"/api/v1/alarms/acknowledge", R"({"key":""})", "'key' must have 1..200"},
      {"/api/v1/alarms/acknowledge", R"({"comment":"x"})", "exactly one of"},
      {"/api/v1/alarms/acknowledge", R"({"key":"a","source":"string/1"})", "exactly one of"},
      {"/api/v1/alarms/acknowledge", R"({"key":"a","colour":"red"})", "unknown field 'colour'"},
      {"/api/v1/alarms/acknowledge",
       R"({"source":"string/1","comment":)" + json(std::string(501, 'x')).dump() + "}",
       "'comment' must have 0..500"},
      {"/api/v1/alarms/acknowledge", R"({"source":"","comment":")" + std::string(5000, 'x') + "\"}",
       "body too large"},
      // A number beyond double: nlohmann throws out_of_range, not parse_error (found by fuzzing).
      {"/api/v1/strings/1/reset", R"({"reason":"x","n":1e309})", "malformed JSON"},
      {"/api/v1/strings/1/reset", "{}", "'reason' is required"},
      {"/api/v1/strings/1/reset", R"({"reason":""})", "'reason' must have 1..500"},
      {"/api/v1/strings/1/reset", R"({"reason":true})", "'reason' must be a string"},
      {"/api/v1/strings/1/open", R"({"reason":"x","force":true})", "unknown field 'force'"},
      {"/api/v1/strings/1/baseline-reset", R"({"position":"7"})", "'position' must be an integer"},
      {"/api/v1/strings/1/baseline-reset", R"({"position":7.5})", "'position' must be an integer"},
      {"/api/v1/strings/1/baseline-reset", R"({"position":-1})", "'position' must be 0..1000"},
      {"/api/v1/strings/1/baseline-reset", R"({"position":18446744073709551615})",
       "'position' must be 0..1000"},
      {"/api/v1/strings/1/baseline-reset", R"({"reason":"x"})", "unknown field 'reason'"},
  };
  for (const auto& c : cases) {
    const auto r = send("POST", c.target, c.body);
    EXPECT_EQ(r.status, 400) << c.target << " " << c.body.substr(0, 80);
    EXPECT_NE(r.body.find(c.reason_part), std::string::npos)
        << "expected '" << c.reason_part << "' in " << r.body;
  }
  EXPECT_EQ(engine->submitted_count(), 0u);
}

TEST_F(OperatorApiTest, AlarmsListedMostSevereThenOldestWithCounts) {
  engine::ActiveAlarm warning;
  warning.key = "string/2:string_soc_low";
  warning.source = "string/2";
  warning.severity = model::Severity::warning;
  warning.since_ms = 10;  // older, but less severe
  warning.acknowledged = true;
  warning.acknowledged_by = "olga";
  engine::ActiveAlarm trip = warning;
  trip.key = "string/1:thermal_runaway";
  trip.severity = model::Severity::trip;
  trip.since_ms = 500;
  trip.acknowledged = false;
  engine->alarm_list.alarms.push_back(warning);
  engine->alarm_list.alarms.push_back(trip);
  const auto r = send("GET", "/api/v1/alarms", "", Who::viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = json::parse(r.body);
  EXPECT_EQ(body["time_ms"], 1'767'225'661'000);
  EXPECT_EQ(body["count"], 3);
  EXPECT_EQ(body["unacknowledged"], 2);
  ASSERT_EQ(body["alarms"].size(), 3u);
  EXPECT_EQ(body["alarms"][0]["key"], "string/1:thermal_runaway");
  EXPECT_EQ(body["alarms"][1]["key"], kAlarmKey);
  EXPECT_EQ(body["alarms"][1]["severity"], "alarm");
  EXPECT_EQ(body["alarms"][1]["value"], 47.1);
  EXPECT_EQ(body["alarms"][2]["acknowledged_by"], "olga");
  for (const char* key :
       {"key", "source", "rule", "severity", "text", "since_ms", "value", "raised_value", "unit",
        "limit", "acknowledged", "acknowledged_by", "acknowledged_ms", "waiting_for_ack"}) {
    EXPECT_TRUE(body["alarms"][0].contains(key)) << key;
  }
  EXPECT_EQ(body["alarms"][1]["raised_value"], 48.2);
  EXPECT_EQ(body["alarms"][1]["unit"], "°C");
  EXPECT_EQ(body["alarms"][1]["limit"], 45.0);
  EXPECT_TRUE(body["alarms"][0]["limit"].is_null());  // a flag has no limit
  EXPECT_EQ(send("GET", "/api/v1/alarms?x=1", "", Who::viewer).status, 400);
}

TEST_F(OperatorApiTest, ActionsReachTheEngineWithWhoAndWhere) {
  ASSERT_EQ(
      send("POST", "/api/v1/alarms/acknowledge",
           R"({"key":"battery/1/2:battery_temperature_alarm","comment":"ventilation checked"})")
          .status,
      200);
  ASSERT_EQ(send("POST", "/api/v1/alarms/acknowledge", R"({"source":"string/1"})").status, 200);
  ASSERT_EQ(send("POST", "/api/v1/strings/2/reset", R"({"reason":"cell 7 replaced"})").status, 200);
  ASSERT_EQ(send("POST", "/api/v1/strings/2/open", R"({"reason":"maintenance"})").status, 200);
  ASSERT_EQ(send("POST", "/api/v1/strings/1/baseline-reset", R"({"position":3})").status, 200);
  ASSERT_EQ(engine->submitted.size(), 5u);
  for (const auto& s : engine->submitted) {
    EXPECT_EQ(s.who.user, "olga");
    EXPECT_EQ(s.who.address, kClientAddress);
  }
  const auto& ack = std::get<engine::AcknowledgeAlarm>(engine->submitted[0].action);
  EXPECT_EQ(ack.alarm_key, kAlarmKey);
  EXPECT_EQ(ack.comment, "ventilation checked");
  EXPECT_EQ(std::get<engine::AcknowledgeAlarmsOf>(engine->submitted[1].action).source, "string/1");
  const auto& reset = std::get<engine::ResetString>(engine->submitted[2].action);
  EXPECT_EQ(reset.string_id, 2);
  EXPECT_EQ(reset.reason, "cell 7 replaced");
  EXPECT_EQ(std::get<engine::OpenString>(engine->submitted[3].action).string_id, 2);
  const auto& baseline = std::get<engine::ResetResistanceBaseline>(engine->submitted[4].action);
  EXPECT_EQ(baseline.string_id, 1);
  EXPECT_EQ(baseline.position, 3);
}

TEST_F(OperatorApiTest, EngineAnswersMapToStatuses) {
  struct Case {
    std::optional<engine::ActionResult> answer;
    int status;
    const char* text;
  };
  const std::vector<Case> cases = {
      // The status decides, never the text (the engine runner sets it on every answer).
      {engine::ActionResult{true, "string 1 reset", engine::ActionStatus::done}, 200,
       "string 1 reset"},
      {engine::ActionResult{false, "trip cause persists: cell 7 at 61 °C",
                            engine::ActionStatus::refused},
       409, "trip cause persists"},
      {engine::ActionResult{false, "unknown string 1", engine::ActionStatus::not_found}, 404,
       "unknown string 1"},
      {engine::ActionResult{false, "no such thing", engine::ActionStatus::not_found}, 404,
       "no such thing"},
      {engine::ActionResult{false, "engine stopped", engine::ActionStatus::engine_stopped}, 503,
       "engine not running"},
      {std::nullopt, 503, "engine busy"},  // never answered within action_timeout
  };
  for (const auto& c : cases) {
    engine->answer = c.answer;
    const auto r = send("POST", "/api/v1/strings/1/reset", R"({"reason":"checked"})");
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_NE(r.body.find(c.text), std::string::npos) << r.body;
  }
}

TEST_F(OperatorApiTest, UnknownTargetsAre404WithoutReachingTheEngine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/v1/alarms/acknowledge", R"({"key":"battery/9/9:nothing"})"},
      {"/api/v1/strings/9/reset", R"({"reason":"x"})"},
      {"/api/v1/strings/2/baseline-reset", R"({"position":3})"},  // string 2 has 2 batteries
      {"/api/v1/strings/01/reset", R"({"reason":"x"})"},
      {"/api/v1/strings/x/reset", R"({"reason":"x"})"},
      {"/api/v1/strings/1/explode", R"({"reason":"x"})"},
      {"/api/v1/strings/1", R"({"reason":"x"})"},
  };
  for (const auto& [target, body] : cases) {
    EXPECT_EQ(send("POST", target, body).status, 404) << target;
  }
  EXPECT_EQ(engine->submitted_count(), 0u);
}

TEST_F(OperatorApiTest, WithoutEngineAnswers503) {
  ctx.engine.reset();
  for (const auto& e : kEndpoints) {
    if (std::string(e.target).find("discharges") != std::string::npos) continue;
    const auto r = send(e.method, e.target, e.body, Who::admin);
    EXPECT_EQ(r.status, 503) << e.target;
    EXPECT_NE(r.body.find("engine not running"), std::string::npos) << r.body;
  }
  ctx.history.reset();
  const auto r = send("GET", "/api/v1/discharges", "", Who::viewer);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("no history store"), std::string::npos) << r.body;
}

TEST_F(OperatorApiTest, EveryActionIsAuditedWithWhoWhereWhatAndResult) {
  send("POST", "/api/v1/alarms/acknowledge", R"({"key":"battery/1/2:battery_temperature_alarm"})");
  engine->answer = engine::ActionResult{false, "trip cause persists"};
  send("POST", "/api/v1/strings/1/reset", R"({"reason":"cell 7 replaced"})");
  engine->answer = engine::ActionResult{true, "string 2 opened"};
  send("POST", "/api/v1/strings/2/open", R"({"reason":"maintenance"})");
  send("POST", "/api/v1/strings/1/baseline-reset", R"({"position":2})");
  send("POST", "/api/v1/strings/9/reset", R"({"reason":"typo"})");

  const auto acks = audit_of(security::AuditAction::acknowledge);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].user, "olga");
  EXPECT_EQ(acks[0].source_address, kClientAddress);
  EXPECT_EQ(acks[0].target, kAlarmKey);
  EXPECT_NE(acks[0].detail.find("result: 200"), std::string::npos) << acks[0].detail;

  const auto resets = audit_of(security::AuditAction::reset);  // newest first
  ASSERT_EQ(resets.size(), 3u);
  EXPECT_EQ(resets[0].target, "string/9");
  EXPECT_NE(resets[0].detail.find("result: 404"), std::string::npos) << resets[0].detail;
  EXPECT_EQ(resets[1].target, "battery/1/2");
  EXPECT_EQ(resets[2].target, "string/1");
  EXPECT_NE(resets[2].detail.find("reason: cell 7 replaced"), std::string::npos);
  EXPECT_NE(resets[2].detail.find("result: 409 trip cause persists"), std::string::npos)
      << resets[2].detail;

  const auto relays = audit_of(security::AuditAction::relay_command);
  ASSERT_EQ(relays.size(), 1u);
  EXPECT_EQ(relays[0].target, "string/2");
  EXPECT_NE(relays[0].detail.find("string 2 opened"), std::string::npos);
}

TEST_F(OperatorApiTest, DischargesMergeStoredAndRunningNewestLast) {
  const auto now = unix_now_ms();
  engine->running = {discharge(1, now - 60'000, 0)};
  auto r = send("GET", "/api/v1/discharges", "", Who::viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  // The fake's records start at 1000 and 2000 ms (1970): outside the default last 365 days.
  auto list = json::parse(r.body)["discharges"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["running"], true);
  EXPECT_EQ(list[0]["end_ms"], 0);
  EXPECT_NEAR(list[0]["duration_min"].get<double>(), 1.0, 0.1);

  r = send("GET", "/api/v1/discharges?from=0&limit=2", "", Who::viewer);
  list = json::parse(r.body)["discharges"];
  ASSERT_EQ(list.size(), 2u);  // the newest two of three
  EXPECT_EQ(list[0]["id"], "2-2000");
  EXPECT_EQ(list[1]["running"], true);

  r = send("GET", "/api/v1/discharges?from=0&to=1970-01-02&string=1", "", Who::viewer);
  list = json::parse(r.body)["discharges"];
  ASSERT_EQ(list.size(), 1u);
  const auto& d = list[0];
  EXPECT_EQ(d["id"], "1-1000");
  EXPECT_EQ(d["duration_min"], 15.0);
  EXPECT_EQ(d["running"], false);
  EXPECT_EQ(d["weakest_position"], 2);
  EXPECT_EQ(d["min_battery_voltage_V"].size(), 3u);
  for (const char* key : {"string_id", "start_ms", "end_ms", "ah_out", "energy_out_kWh",
                          "min_string_voltage_V", "peak_current_A", "predicted_runtime_min",
                          "actual_runtime_min", "soc_start_pct", "soc_end_pct"}) {
    EXPECT_TRUE(d.contains(key)) << key;
  }

  for (const char* bad : {"?limit=0", "?limit=1001", "?string=x", "?from=yesterday",
                          "?from=10&to=5", "?colour=red", "?limit=5&limit=6"}) {
    EXPECT_EQ(send("GET", std::string("/api/v1/discharges") + bad, "", Who::viewer).status, 400)
        << bad;
  }
}

TEST_F(OperatorApiTest, OneDischargeAsJsonAndAsWideCsv) {
  auto r = send("GET", "/api/v1/discharges/1-1000", "", Who::viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["id"], "1-1000");
  for (const char* missing : {"/api/v1/discharges/1-999", "/api/v1/discharges/3-1000",
                              "/api/v1/discharges/abc", "/api/v1/discharges/1-1000.txt"}) {
    EXPECT_EQ(send("GET", missing, "", Who::viewer).status, 404) << missing;
  }

  r = send("GET", "/api/v1/discharges/1-1000.csv", "", Who::viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(r.body,
            "time,string/1/voltage,string/1/current,battery/1/1/voltage,battery/1/2/voltage,"
            "battery/1/3/voltage\r\n"
            "1970-01-01T00:00:01.000Z,540.5,-80,,,\r\n"
            "1970-01-01T00:00:02.000Z,539,,12.5,,\r\n");
  // 900 s span, buckets of 100 ms: the raw tier answers.
  EXPECT_EQ(history->last_points, 9000);
}

TEST_F(OperatorApiTest, ConfigReadShowsValuesAndFieldTable) {
  const auto r = send("GET", "/api/v1/config", "", Who::viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = json::parse(r.body);
  EXPECT_EQ(body["config"], engine::config_to_json(engine->current_config));
  ASSERT_EQ(body["fields"].size(), engine::config_fields().size());
  for (const char* key : {"name", "unit", "min", "max", "type", "per_string", "description"}) {
    EXPECT_TRUE(body["fields"][0].contains(key)) << key;
  }
}

TEST_F(OperatorApiTest, ConfigUpdateValidatesSubmitsAndAuditsTheChangedFields) {
  const auto before = engine->current_config;
  // Invalid: nothing submitted, every problem listed.
  auto r = send("PUT", "/api/v1/config",
                R"({"defaults":{"battery":{"temperature_alarm_C":300}},"colour":1})", Who::admin);
  ASSERT_EQ(r.status, 400) << r.body;
  auto body = json::parse(r.body);
  EXPECT_EQ(body["error"], "invalid configuration");
  EXPECT_GE(body["problems"].size(), 2u) << r.body;
  EXPECT_EQ(engine->submitted_count(), 0u);
  for (const char* bad : {"", "{", "[]", R"({"config":5})", R"({"debounce_count":1e309})"}) {
    EXPECT_EQ(send("PUT", "/api/v1/config", bad, Who::admin).status, 400) << bad;
  }

  // Valid, wrapped as GET answers it.
  r = send("PUT", "/api/v1/config", R"({"config":{"debounce_count":5}})", Who::admin);
  ASSERT_EQ(r.status, 200) << r.body;
  body = json::parse(r.body);
  EXPECT_EQ(body["config"]["debounce_count"], 5);
  EXPECT_EQ(body["changed"], json::array({"debounce_count"}));
  ASSERT_EQ(engine->submitted.size(), 1u);
  const auto& replaced = std::get<engine::ReplaceConfig>(engine->submitted[0].action).config;
  EXPECT_EQ(replaced.debounce_count, 5);
  EXPECT_EQ(replaced.defaults.battery.temperature_alarm_C,
            before.defaults.battery.temperature_alarm_C);

  const auto changes = audit_of(security::AuditAction::config_change);
  ASSERT_EQ(changes.size(), 2u);  // newest first: the accepted one, then the refused one
  EXPECT_EQ(changes[0].user, "adam");
  EXPECT_NE(changes[0].detail.find("debounce_count: 3 -> 5"), std::string::npos)
      << changes[0].detail;
  EXPECT_NE(changes[1].detail.find("refused"), std::string::npos) << changes[1].detail;

  // The same again changes nothing and is not submitted.
  r = send("PUT", "/api/v1/config", R"({"debounce_count":5})", Who::admin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body)["changed"].empty());
  EXPECT_EQ(engine->submitted_count(), 1u);

  // Refused by the engine: 409, audited.
  engine->answer = engine::ActionResult{false, "configuration refused"};
  EXPECT_EQ(send("PUT", "/api/v1/config", R"({"debounce_count":6})", Who::admin).status, 409);
}

// A discharge's capacity test: the measurement stored at its end judged against the pass limit
// in force (80 % by default), or why it was no test, in words.
TEST_F(OperatorApiTest, DischargesSayWhetherTheyMeasuredTheCapacityAndWhetherItPasses) {
  auto site = std::make_shared<model::Site>(*ctx.site);
  model::BatteryType type;
  type.name = "agm100";
  type.capacity_Ah = 100.0;
  site->battery_types.push_back(type);
  for (auto& s : site->strings) s.battery_type = "agm100";
  ctx.site = site;
  auto passed = discharge(1, 1000, 36'001'000);
  passed.measured_capacity_pct = 85.04;
  auto failed = discharge(2, 2000, 36'002'000);
  failed.measured_capacity_pct = 79.94;        // judged at the 0.1 % it is shown with: 79.9 %
  auto partial = discharge(1, 3000, 603'000);  // 10 min from 0 % SOC: no test
  history->records = {passed, failed, partial};

  const auto r = send("GET", "/api/v1/discharges?from=0", "", Who::viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto list = json::parse(r.body).at("discharges");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].at("measured_capacity_pct"), 85.04);
  EXPECT_EQ(list[0].at("capacity_test").at("result"), "pass");
  EXPECT_EQ(list[0].at("capacity_test").at("measured_pct"), 85.0);
  EXPECT_EQ(list[0].at("capacity_test").at("pass_pct"), 80.0);
  EXPECT_EQ(list[1].at("capacity_test").at("result"), "fail");
  EXPECT_NE(
      list[1].at("capacity_test").at("reason").get<std::string>().find("below the pass limit 80 %"),
      std::string::npos);
  EXPECT_TRUE(list[2].at("measured_capacity_pct").is_null());
  EXPECT_EQ(list[2].at("capacity_test").at("result"), "not_a_test");
  EXPECT_NE(list[2].at("capacity_test").at("reason").get<std::string>().find("not full"),
            std::string::npos)
      << list[2].dump();

  // The pass limit is the string's own when it has one.
  engine->current_config.per_string[2] = engine->current_config.defaults;
  engine->current_config.per_string[2].string.capacity_test_pass_pct = 75.0;
  const auto one = send("GET", "/api/v1/discharges/2-2000", "", Who::viewer);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(json::parse(one.body).at("capacity_test").at("result"), "pass");

  // Without the string's battery type there is nothing to judge against.
  ctx.site = operator_test::two_strings();
  const auto unknown = send("GET", "/api/v1/discharges/2-2000", "", Who::viewer);
  EXPECT_TRUE(json::parse(unknown.body).at("capacity_test").is_null());
}

TEST(JsonBody, Utf8LengthCountsCodePoints) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("47.1 \xC2\xB0"
                        "C"),
            7u);
}

TEST(DischargeId, RoundTripAndRejects) {
  const auto key = parse_discharge_id("12-1767225600000");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->string_id, 12);
  EXPECT_EQ(key->start_ms, 1'767'225'600'000);
  for (const char* bad : {"", "-", "1-", "-5", "0-5", "1-x", "1-5-6", "1000-5", "a-5"}) {
    EXPECT_FALSE(parse_discharge_id(bad)) << bad;
  }
}

}  // namespace
}  // namespace btms::web

namespace btms::web {
namespace {

// Durable before the answer: the worker waits for the history recorder's commit of the
// action's events (EventDurability) and the answer says whether it came in time.
TEST_F(OperatorApiTest, AnswerWaitsForTheActionsEventsToBeCommitted) {
  auto durability = std::make_shared<engine::EventDurability>();
  durability->attach();
  ctx.durability = durability;
  ctx.durable_timeout = std::chrono::milliseconds(50);
  engine->answer =
      engine::ActionResult{true, "1 alarm acknowledged", engine::ActionStatus::done, 7};
  struct Case {
    std::uint64_t committed;  // what the recorder reported before the answer
    bool durable;
  };
  for (const auto& c : {Case{7, true}, Case{9, true}}) {
    durability->committed(c.committed);
    const auto r =
        send("POST", "/api/v1/alarms/acknowledge", json{{"key", kAlarmKey}}.dump(), Who::operator_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body).at("durable"), c.durable) << r.body;
  }
  // Event 12 never committed: carried out (200) but the answer says it is not durable.
  engine->answer =
      engine::ActionResult{true, "1 alarm acknowledged", engine::ActionStatus::done, 12};
  const auto r =
      send("POST", "/api/v1/alarms/acknowledge", json{{"key", kAlarmKey}}.dump(), Who::operator_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("durable"), false) << r.body;
  EXPECT_NE(r.body.find("not yet stored"), std::string::npos) << r.body;
  EXPECT_EQ(durability->wanted_id(), 12u);  // the recorder was asked to commit it
}

}  // namespace
}  // namespace btms::web
