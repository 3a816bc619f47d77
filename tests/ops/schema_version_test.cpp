// Versioned schemas: forward migration in one transaction, data kept, newer files refused, for
// the generic helper and for every database the gateway keeps (history, users, audit log) and
// its saved settings file.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../history/history_v2_layout.hpp"
#include "engine/config_fields.hpp"
#include "engine/engine_config_store.hpp"
#include "history/history_store.hpp"
#include "model/topology.hpp"
#include "ops/schema_version.hpp"
#include "security/audit_log.hpp"
#include "security/user_store.hpp"
#include "temp_dir.hpp"

namespace btms::ops {
namespace {

class Db {
 public:
  explicit Db(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("open");
  }
  ~Db() { sqlite3_close(db_); }
  sqlite3* get() const { return db_; }
  std::int64_t scalar(const char* sql) const {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK)
      throw std::runtime_error(sqlite3_errmsg(db_));
    std::int64_t value = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  }
  bool has_table(const std::string& name) const {
    const std::string sql =
        "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='" + name + "'";
    return scalar(sql.c_str()) == 1;
  }

 private:
  sqlite3* db_ = nullptr;
};

// What an older or newer build would have stored.
void set_version(sqlite3* db, const std::string& part, int version) {
  exec_sql(db,
           "CREATE TABLE IF NOT EXISTS schema_version(part TEXT PRIMARY KEY, version INTEGER NOT "
           "NULL)");
  exec_sql(db, ("INSERT OR REPLACE INTO schema_version VALUES('" + part + "', " +
                std::to_string(version) + ")")
                   .c_str());
}

// Three steps; each records that it ran, so a test sees exactly which steps were applied.
Schema three_step_schema(std::vector<int>* applied, int failing_version = 0) {
  Schema schema{"test", "x.db", {}};
  for (int v = 1; v <= 3; ++v) {
    schema.steps.push_back({v, [v, applied, failing_version](sqlite3* db) {
                              applied->push_back(v);
                              exec_sql(db, ("CREATE TABLE t" + std::to_string(v) + "(x)").c_str());
                              if (v == failing_version) throw std::runtime_error("step broke");
                            }});
  }
  return schema;
}

struct MigrationCase {
  int start_version;
  std::vector<int> expected_steps;
};

TEST(SchemaVersion, EachStartVersionGetsExactlyTheMissingSteps) {
  const std::vector<MigrationCase> cases = {
      {0, {1, 2, 3}},
      {1, {2, 3}},
      {2, {3}},
      {3, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("start version " + std::to_string(c.start_version));
    test::TempDir dir;
    Db db(dir.file("x.db"));
    // Tables of the steps already applied, as an older build would have left them.
    for (int v = 1; v <= c.start_version; ++v)
      exec_sql(db.get(), ("CREATE TABLE t" + std::to_string(v) + "(x)").c_str());
    set_version(db.get(), "test", c.start_version);
    std::vector<int> applied;
    EXPECT_EQ(migrate_schema(db.get(), three_step_schema(&applied)), c.start_version);
    EXPECT_EQ(applied, c.expected_steps);
    EXPECT_EQ(read_schema_version(db.get(), "test"), 3);
    for (int v = 1; v <= 3; ++v) EXPECT_TRUE(db.has_table("t" + std::to_string(v)));
  }
}

TEST(SchemaVersion, NewerDatabaseIsRefusedUntouched) {
  for (int newer : {4, 5, 1000}) {
    test::TempDir dir;
    Db db(dir.file("x.db"));
    set_version(db.get(), "test", newer);
    std::vector<int> applied;
    try {
      migrate_schema(db.get(), three_step_schema(&applied));
      ADD_FAILURE() << "version " << newer << " accepted";
    } catch (const SchemaTooNewError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("newer"), std::string::npos) << message;
      EXPECT_NE(message.find(std::to_string(newer)), std::string::npos) << message;
    }
    EXPECT_TRUE(applied.empty());
    EXPECT_EQ(read_schema_version(db.get(), "test"), newer);
  }
}

TEST(SchemaVersion, AFailingStepRollsBackEveryStep) {
  for (int failing : {1, 2, 3}) {
    SCOPED_TRACE("failing step " + std::to_string(failing));
    test::TempDir dir;
    Db db(dir.file("x.db"));
    exec_sql(db.get(), "CREATE TABLE keep(x); INSERT INTO keep VALUES(1),(2)");
    std::vector<int> applied;
    EXPECT_THROW(migrate_schema(db.get(), three_step_schema(&applied, failing)),
                 std::runtime_error);
    EXPECT_EQ(read_schema_version(db.get(), "test"), 0);
    for (int v = 1; v <= 3; ++v) EXPECT_FALSE(db.has_table("t" + std::to_string(v)));
    EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM keep"), 2);
    // Nothing left open: the next writer can begin.
    EXPECT_NO_THROW(exec_sql(db.get(), "BEGIN IMMEDIATE; COMMIT"));
  }
}

TEST(SchemaVersion, HistoryFromBeforeVersioningIsMigratedWithItsData) {
  test::TempDir dir;
  const auto path = dir.file("history.db");
  {
    // The layout of a history file written before schema versions (no string_id column).
    Db db(path);
    exec_sql(db.get(),
             "CREATE TABLE channels(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, unit TEXT "
             "NOT NULL);"
             "INSERT INTO channels(name, unit) VALUES('battery/3/17/voltage','V'),"
             "('ambient/1/temperature','C');"
             "CREATE TABLE events(seq INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, time_ms "
             "INTEGER NOT NULL, kind INTEGER NOT NULL, severity INTEGER NOT NULL, source TEXT NOT "
             "NULL, rule TEXT NOT NULL, text TEXT NOT NULL, user TEXT NOT NULL, value REAL NOT "
             "NULL);"
             "INSERT INTO events(event_id,time_ms,kind,severity,source,rule,text,user,value) "
             "VALUES(7,1000,0,1,'battery/3/17','voltage_high','old','',13.9);");
  }
  {
    auto store = history::open_sqlite_store(path);
    const auto events = store->events(0, 10'000, 10);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].id, 7u);
    EXPECT_EQ(events[0].text, "old");
  }
  Db db(path);
  EXPECT_EQ(read_schema_version(db.get(), "history"), history::kSqliteHistorySchemaVersion);
  EXPECT_EQ(db.scalar("SELECT string_id FROM channels WHERE name='battery/3/17/voltage'"), 3);
  EXPECT_EQ(db.scalar("SELECT string_id FROM channels WHERE name='ambient/1/temperature'"), 0);
}

TEST(SchemaVersion, HistoryVersion1KeepsItsDischargesAndGainsTheirMeasuredCapacity) {
  test::TempDir dir;
  const auto path = dir.file("history.db");
  {
    // A version 1 file: made by this build, brought back to the version 2 layout, then its
    // discharges table as version 1 had it.
    history::open_sqlite_store(path).reset();
    Db db(path);
    exec_sql(db.get(), history::test::kBackToVersion2Layout);
    exec_sql(db.get(),
             "ALTER TABLE discharges DROP COLUMN measured_capacity_pct;"
             "INSERT INTO discharges VALUES(2, 1000, 601000, 12.5, 6.1, 520.0, 80.0, x'', 7,"
             " 11.0, 10.0, 100.0, 88.0);");
    set_version(db.get(), "history", 1);
  }
  {
    auto store = history::open_sqlite_store(path);
    const auto discharges = store->discharges(0, 10'000, 0, 10);
    ASSERT_EQ(discharges.size(), 1u);
    EXPECT_EQ(discharges[0].weakest_position, 7);
    EXPECT_DOUBLE_EQ(discharges[0].ah_out, 12.5);
    EXPECT_DOUBLE_EQ(discharges[0].measured_capacity_pct, 0.0);  // not known: no capacity test
  }
  Db db(path);
  EXPECT_EQ(read_schema_version(db.get(), "history"), history::kSqliteHistorySchemaVersion);
}

TEST(SchemaVersion, EveryGatewayDatabaseRefusesANewerFile) {
  struct Case {
    const char* name;
    int current;
    std::function<void(const std::string&)> open;
  };
  const std::vector<Case> cases = {
      {"history", history::kSqliteHistorySchemaVersion,
       [](const std::string& p) { history::open_sqlite_store(p); }},
      {"users", security::kUsersSchemaVersion,
       [](const std::string& p) {
         security::UserStore store(p, security::PasswordHashCost::minimum());
       }},
      {"audit", security::kAuditSchemaVersion,
       [](const std::string& p) { security::AuditLog log(p); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    test::TempDir dir;
    const auto path = dir.file("x.db");
    c.open(path);  // a file of the current version opens, and opens again
    EXPECT_NO_THROW(c.open(path));
    {
      Db db(path);
      EXPECT_EQ(read_schema_version(db.get(), c.name), c.current);
      set_version(db.get(), c.name, c.current + 1);
    }
    EXPECT_THROW(c.open(path), SchemaTooNewError);
  }
}

TEST(SchemaVersion, PartsSharingAFileKeepTheirOwnVersions) {
  test::TempDir dir;
  const auto path = dir.file("security.db");
  {
    security::UserStore users(path, security::PasswordHashCost::minimum());
    security::AuditLog log(path);
  }
  Db db(path);
  EXPECT_EQ(read_schema_version(db.get(), "users"), security::kUsersSchemaVersion);
  EXPECT_EQ(read_schema_version(db.get(), "audit"), security::kAuditSchemaVersion);
  EXPECT_TRUE(db.has_table("users"));
  EXPECT_TRUE(db.has_table("audit"));
  EXPECT_EQ(read_schema_version(db.get(), "history"), 0);
}

model::Site one_string_site() {
  model::Site site;
  site.name = "t";
  return site;
}

TEST(SchemaVersion, SavedSettingsCarryTheirVersionAndANewerFileIsRefused) {
  test::TempDir dir;
  const auto path = dir.file("engine-config.json");
  const auto site = one_string_site();
  engine::EngineConfig config;
  config.defaults.battery.temperature_alarm_C = 41.0;
  ASSERT_EQ(engine::save_engine_config(path, config), "");
  {
    std::ifstream in(path);
    const auto saved = nlohmann::json::parse(in);
    EXPECT_EQ(saved.at(engine::kSettingsVersionKey).get<int>(), engine::kSettingsVersion);
  }
  std::ostringstream problems;
  const auto loaded = engine::load_engine_config(site, "", path, problems);
  ASSERT_TRUE(loaded.has_value()) << problems.str();
  EXPECT_DOUBLE_EQ(loaded->defaults.battery.temperature_alarm_C, 41.0);

  struct Case {
    nlohmann::json version;
    bool accepted;
  };
  const std::vector<Case> cases = {
      {nullptr, true},  // no key: written before versioning
      {engine::kSettingsVersion, true},
      {engine::kSettingsVersion + 1, false},
      {0, false},
      {"1", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.version.dump());
    auto document = engine::config_to_json(config);
    if (!c.version.is_null()) document[engine::kSettingsVersionKey] = c.version;
    std::ofstream(path, std::ios::trunc) << document.dump();
    std::ostringstream out;
    const auto result = engine::load_engine_config(site, "", path, out);
    EXPECT_EQ(result.has_value(), c.accepted) << out.str();
    if (!c.accepted) {
      EXPECT_NE(out.str().find(engine::kSettingsVersionKey), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace btms::ops
