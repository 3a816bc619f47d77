// The maintenance record: the store (filters, order, latest replacement per battery, kept across
// restarts), the date and query parsing, and the API through the real router and authorizer:
// roles, every refusal with its reason, a replacement that resets the battery's baseline in the
// engine before it is recorded (and is not recorded when the engine refuses), audit entries.
#include "web/maintenance_handlers.hpp"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "history/maintenance_log.hpp"
#include "operator_fixture.hpp"
#include "ops/schema_version.hpp"
#include "web/api_handlers.hpp"

namespace btms::web {
namespace {

using history::MaintenanceKind;
using history::MaintenanceLog;
using history::MaintenanceQuery;
using history::MaintenanceRecord;
using nlohmann::json;
using operator_test::OperatorApiTest;
using operator_test::TempDir;
using operator_test::Who;

MaintenanceRecord record(int string_id, int position, MaintenanceKind kind, std::string date,
                         std::string serial = "", std::string note = "n") {
  MaintenanceRecord r;
  r.string_id = string_id;
  r.position = position;
  r.kind = kind;
  r.work_date = std::move(date);
  r.serial = std::move(serial);
  r.note = std::move(note);
  r.user = "olga";
  r.recorded_ms = 1'796'472'000'000;
  return r;
}

// A query with the filters set that are given (the rest as MaintenanceQuery has them).
MaintenanceQuery query(int string_id = 0, std::optional<int> position = std::nullopt,
                       std::optional<MaintenanceKind> kind = std::nullopt,
                       std::size_t limit = 1000) {
  MaintenanceQuery q;
  q.string_id = string_id;
  q.position = position;
  q.kind = kind;
  q.limit = limit;
  return q;
}

TEST(MaintenanceLog, ListsNewestWorkFirstWithEveryFilter) {
  MaintenanceLog log("");
  log.add(record(1, 2, MaintenanceKind::replacement, "2026-11-03", "SN-1"));
  log.add(record(1, 2, MaintenanceKind::note, "2026-12-01"));
  log.add(record(1, 0, MaintenanceKind::note, "2026-10-15"));
  // Entered later but about earlier work: ordered by the work date.
  log.add(record(2, 1, MaintenanceKind::replacement, "2026-09-30", "SN-2"));
  log.add(record(1, 2, MaintenanceKind::replacement, "2026-12-02", "SN-3"));

  const auto all = log.list(query());
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].serial, "SN-3");
  EXPECT_EQ(all[1].work_date, "2026-12-01");
  EXPECT_EQ(all[4].serial, "SN-2");
  EXPECT_GT(all[0].id, 0);

  EXPECT_EQ(log.list(query(1)).size(), 4u);
  EXPECT_EQ(log.list(query(1, 2)).size(), 3u);
  EXPECT_EQ(log.list(query(1, 0)).size(), 1u);
  const auto replacements = log.list(query(1, std::nullopt, MaintenanceKind::replacement));
  ASSERT_EQ(replacements.size(), 2u);
  EXPECT_EQ(replacements[1].serial, "SN-1");
  EXPECT_EQ(log.list(query(0, std::nullopt, std::nullopt, 2)).size(), 2u);
  EXPECT_TRUE(log.list(query(0, std::nullopt, std::nullopt, 0)).empty());
  EXPECT_TRUE(log.list(query(3)).empty());

  const auto latest = log.latest_replacements(1);
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].serial, "SN-3");
  EXPECT_EQ(latest[0].position, 2);
}

TEST(MaintenanceLog, KeptAcrossRestartsWithItsSchemaVersion) {
  TempDir dir;
  const auto path = dir.path() + "/maintenance.db";
  {
    MaintenanceLog log(path);
    log.add(record(3, 7, MaintenanceKind::replacement, "2026-12-05", "AB-123", "torque 11 Nm"));
  }
  MaintenanceLog reopened(path);
  const auto all = reopened.list(query());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].kind, MaintenanceKind::replacement);
  EXPECT_EQ(all[0].serial, "AB-123");
  EXPECT_EQ(all[0].note, "torque 11 Nm");
  EXPECT_EQ(all[0].user, "olga");
  EXPECT_EQ(all[0].recorded_ms, 1'796'472'000'000);
}

TEST(MaintenanceLog, RefusesAFileWrittenByANewerVersion) {
  TempDir dir;
  const auto path = dir.path() + "/maintenance.db";
  { MaintenanceLog log(path); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ops::exec_sql(db, "UPDATE schema_version SET version = 99 WHERE part = 'maintenance'");
  sqlite3_close(db);
  EXPECT_THROW(MaintenanceLog{path}, ops::SchemaTooNewError);
}

TEST(MaintenanceDates, OnlyRealCalendarDaysFrom2000) {
  struct Case {
    const char* text;
    bool ok;
  };
  const Case cases[] = {
      {"2026-12-05", true},  {"2000-01-01", true},  {"2028-02-29", true},   {"2026-02-29", false},
      {"2026-13-01", false}, {"2026-00-10", false}, {"2026-04-31", false},  {"1999-12-31", false},
      {"2026-1-05", false},  {"2026/12/05", false}, {"2026-12-05x", false}, {"", false},
      {"20a6-12-05", false}, {"+026-12-05", false},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_work_date(c.text).has_value(), c.ok) << c.text;
  EXPECT_EQ(parse_work_date("2000-01-02"), 10'958);  // days since 1970-01-01
}

TEST(MaintenanceQueryParsing, FiltersAndReasons) {
  const auto parse = [](std::map<std::string, std::string> q) {
    return parse_maintenance_query(ParsedTarget{"/api/v1/maintenance", std::move(q)});
  };
  const auto ok =
      parse({{"string", "2"}, {"battery", "7"}, {"kind", "replacement"}, {"limit", "5"}});
  ASSERT_TRUE(std::holds_alternative<MaintenanceQuery>(ok));
  const auto& q = std::get<MaintenanceQuery>(ok);
  EXPECT_EQ(q.string_id, 2);
  EXPECT_EQ(q.position, 7);
  EXPECT_EQ(q.kind, MaintenanceKind::replacement);
  EXPECT_EQ(q.limit, 5u);
  for (const auto& bad : std::vector<std::map<std::string, std::string>>{
           {{"string", "0"}},
           {{"string", "x"}},
           {{"battery", "3"}},  // a position without its string
           {{"string", "1"}, {"battery", "-1"}},
           {{"kind", "repair"}},
           {{"limit", "0"}},
           {{"limit", "999999"}},
           {{"sort", "asc"}}}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(parse(bad))) << bad.begin()->first;
  }
}

class MaintenanceApiTest : public OperatorApiTest {
 protected:
  MaintenanceApiTest() { ctx.maintenance = std::make_shared<MaintenanceLog>(""); }
  json records(const std::string& query = "") {
    const auto r = send("GET", "/api/v1/maintenance" + query, "", Who::viewer);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).at("records");
  }
  std::vector<security::AuditEntry> maintenance_audit() {
    return audit_of(security::AuditAction::maintenance);
  }
};

TEST_F(MaintenanceApiTest, ANoteIsRecordedListedAndAudited) {
  const auto r = send("POST", "/api/v1/maintenance",
                      R"({"kind":"note","string":1,"position":3,"note":"terminal cleaned"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto answer = json::parse(r.body);
  EXPECT_EQ(answer.at("record").at("target"), "battery/1/3");
  EXPECT_EQ(answer.at("record").at("user"), "olga");
  EXPECT_EQ(answer.at("record").at("work_date").get<std::string>().size(), 10u);  // today
  EXPECT_EQ(engine->submitted_count(), 0u);  // a note does not touch the engine

  const auto list = records("?string=1&battery=3");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("note"), "terminal cleaned");
  EXPECT_EQ(list[0].at("kind"), "note");
  EXPECT_TRUE(records("?string=2").empty());

  const auto audit = maintenance_audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].user, "olga");
  EXPECT_EQ(audit[0].target, "battery/1/3");
  EXPECT_NE(audit[0].detail.find("terminal cleaned"), std::string::npos) << audit[0].detail;
  EXPECT_NE(audit[0].detail.find("result: 201"), std::string::npos) << audit[0].detail;
}

TEST_F(MaintenanceApiTest, AReplacementResetsTheBaselineInTheEngineThenIsRecorded) {
  const auto r = send(
      "POST", "/api/v1/maintenance",
      R"({"kind":"replacement","string":1,"position":2,"work_date":"2026-11-30","serial":"EXD-0042","note":"swelling"})");
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(engine->submitted_count(), 1u);
  const auto* reset = std::get_if<engine::ResetResistanceBaseline>(&engine->submitted[0].action);
  ASSERT_NE(reset, nullptr);
  EXPECT_EQ(reset->string_id, 1);
  EXPECT_EQ(reset->position, 2);
  EXPECT_EQ(engine->submitted[0].who.user, "olga");

  const auto list = records("?string=1&kind=replacement");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("serial"), "EXD-0042");
  EXPECT_EQ(list[0].at("work_date"), "2026-11-30");
  EXPECT_EQ(list[0].at("note"), "swelling");
  const auto audit = maintenance_audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_NE(audit[0].detail.find("new serial EXD-0042"), std::string::npos) << audit[0].detail;
}

TEST_F(MaintenanceApiTest, AReplacementTheEngineRefusesOrDoesNotConfirmIsNotRecorded) {
  const std::string body =
      R"({"kind":"replacement","string":1,"position":2,"work_date":"2026-11-30","serial":"X1"})";
  engine->answer = engine::ActionResult{false, "unknown string 1", engine::ActionStatus::not_found};
  EXPECT_EQ(send("POST", "/api/v1/maintenance", body).status, 404);
  engine->answer.reset();  // never answered: the handler gives up after the action timeout
  EXPECT_EQ(send("POST", "/api/v1/maintenance", body).status, 503);
  EXPECT_TRUE(records().empty());
  const auto audit = maintenance_audit();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_NE(audit[1].detail.find("nothing recorded"), std::string::npos) << audit[1].detail;

  ctx.engine = nullptr;
  EXPECT_EQ(send("POST", "/api/v1/maintenance", body).status, 503);
  // A note needs no engine.
  EXPECT_EQ(send("POST", "/api/v1/maintenance", R"({"kind":"note","string":1,"note":"ok"})").status,
            201);
}

TEST_F(MaintenanceApiTest, EveryBadEntryIsRefusedWithItsReasonAndNothingHappens) {
  struct Case {
    const char* body;
    int status;
    const char* reason;  // part of the error
  };
  const Case cases[] = {
      {R"({"kind":"repair","string":1,"note":"x"})", 400, "kind must be"},
      {R"({"string":1,"note":"x"})", 400, "kind"},
      {R"({"kind":"note","note":"x"})", 400, "string"},
      {R"({"kind":"note","string":1})", 400, "note"},
      {R"({"kind":"note","string":1,"note":""})", 400, "note"},
      {R"({"kind":"note","string":1,"note":"x","serial":"S"})", 400, "serial belongs"},
      {R"({"kind":"note","string":1,"note":"x","colour":"red"})", 400, "colour"},
      {R"({"kind":"replacement","string":1,"work_date":"2026-11-30","serial":"S"})", 400,
       "position"},
      {R"({"kind":"replacement","string":1,"position":0,"work_date":"2026-11-30","serial":"S"})",
       400, "position"},
      {R"({"kind":"replacement","string":1,"position":2,"work_date":"2026-11-30"})", 400, "serial"},
      {R"({"kind":"replacement","string":1,"position":2,"serial":"S"})", 400,
       "work_date is required"},
      {R"({"kind":"replacement","string":1,"position":2,"work_date":"2026-02-30","serial":"S"})",
       400, "not a date"},
      {R"({"kind":"replacement","string":1,"position":2,"work_date":"2999-01-01","serial":"S"})",
       400, "in the future"},
      {R"({"kind":"replacement","string":9,"position":2,"work_date":"2026-11-30","serial":"S"})",
       404, "unknown string 9"},
      {R"({"kind":"replacement","string":2,"position":3,"work_date":"2026-11-30","serial":"S"})",
       404, "has no battery 3"},
      {R"([1,2])", 400, "object"},
      {"", 400, "empty"},
  };
  for (const auto& c : cases) {
    const auto r = send("POST", "/api/v1/maintenance", c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_NE(r.body.find(c.reason), std::string::npos) << c.body << " -> " << r.body;
  }
  EXPECT_EQ(engine->submitted_count(), 0u);
  EXPECT_TRUE(records().empty());
  EXPECT_EQ(maintenance_audit().size(), std::size(cases));  // refusals are audited too
}

TEST_F(MaintenanceApiTest, ViewersReadOperatorsWrite) {
  const std::string note = R"({"kind":"note","string":1,"note":"x"})";
  EXPECT_EQ(send("GET", "/api/v1/maintenance", "", Who::nobody).status, 401);
  EXPECT_EQ(send("POST", "/api/v1/maintenance", note, Who::nobody).status, 401);
  EXPECT_EQ(send("POST", "/api/v1/maintenance", note, Who::viewer).status, 403);
  EXPECT_EQ(send("POST", "/api/v1/maintenance", note, Who::operator_, false).status, 403);  // CSRF
  EXPECT_TRUE(records().empty());
  EXPECT_EQ(send("POST", "/api/v1/maintenance", note, Who::admin).status, 201);
  EXPECT_EQ(send("GET", "/api/v1/maintenance?string=7", "", Who::viewer).status, 404);
  EXPECT_EQ(send("GET", "/api/v1/maintenance?kind=x", "", Who::viewer).status, 400);
  ctx.maintenance = nullptr;
  EXPECT_EQ(send("GET", "/api/v1/maintenance", "", Who::viewer).status, 503);
}

}  // namespace
}  // namespace btms::web
