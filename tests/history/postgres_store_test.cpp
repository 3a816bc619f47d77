// PostgreSQL-only behaviour: monthly partitions of the value chunks, created on demand and
// dropped by retention (the suite both backends share is history_store_test.cpp).
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "ops/schema_version.hpp"
#include "store_fixture.hpp"

namespace btms::history {
namespace {

constexpr std::int64_t kJan2026 = 1'767'225'600'000;  // 2026-01-01 00:00:00 UTC
constexpr std::int64_t kFeb2026 = 1'769'904'000'000;
constexpr std::int64_t kMar2026 = 1'772'323'200'000;
constexpr std::int64_t kDay = 86'400'000;

class PostgresStoreTest : public HistoryStoreTest {};

std::vector<std::string> partitions(const std::string& connection) {
  pqxx::connection db(connection);
  pqxx::nontransaction tx(db);
  std::vector<std::string> names;
  for (const auto& row :
       tx.exec("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
               "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'chunks' ORDER BY 1"))
    names.push_back(row[0].as<std::string>());
  return names;
}

void feed_at(HistoryStore& store, const std::shared_ptr<model::ChannelDirectory>& directory,
             std::int64_t time_ms, double value) {
  model::Snapshot snapshot;
  snapshot.channels = directory;
  for (model::ChannelId id = 0; id < directory->size(); ++id)
    snapshot.samples.push_back({value, time_ms, model::Quality::ok});
  store.append(snapshot);
}

TEST_P(PostgresStoreTest, ChunksGoToMonthlyPartitionsThatRetentionDrops) {
  HistoryOptions options;
  options.queue_capacity = 10'000;
  options.sealed_write_interval_ms = 0;  // each sealed chunk in the next commit: its partition
  auto store = open(options);
  auto directory = std::make_shared<model::ChannelDirectory>();
  directory->add("battery/1/1/voltage", "V");
  directory->add("site/temperature", "°C");
  // One sample each in January, February and March; chunks close when the span is exceeded.
  feed_at(*store, directory, kJan2026 + 1000, 1.0);
  feed_at(*store, directory, kFeb2026 + 1000, 2.0);
  feed_at(*store, directory, kMar2026 + 1000, 3.0);
  model::DischargeRecord discharge;
  discharge.string_id = 1;
  discharge.start_ms = kJan2026;
  discharge.end_ms = kJan2026 + 5000;
  store->append_discharge(discharge);
  store->flush();
  // March's chunk is still open (in memory and the journal): it is written once, when sealed.
  EXPECT_EQ(partitions(postgres_connection()),
            (std::vector<std::string>{"chunks_p202601", "chunks_p202602"}));

  // 30 days after 1 March: January and February are whole months past the raw cutoff.
  store->enforce_retention(kMar2026 + 30 * kDay + 2000);
  EXPECT_EQ(partitions(postgres_connection()), (std::vector<std::string>{"chunks_p202603"}));
  // January's battery chunk lay in string 1's discharge: kept (moved out of the partition).
  const auto january =
      store->query({"battery/1/1/voltage", "site/temperature"}, kJan2026, kJan2026 + 10'000, 10);
  EXPECT_EQ(january.at(0).tier, Tier::raw);
  ASSERT_EQ(january[0].buckets.size(), 1U);
  EXPECT_DOUBLE_EQ(january[0].buckets[0].mean, 1.0);
  EXPECT_EQ(january[1].tier, Tier::minute);  // dropped: the minute tier answers
  EXPECT_EQ(january[1].buckets.size(), 1U);

  // New data in a new month makes its partition again.
  feed_at(*store, directory, kMar2026 + 40 * kDay, 4.0);
  store.reset();  // a clean stop seals the open chunks
  EXPECT_EQ(partitions(postgres_connection()),
            (std::vector<std::string>{"chunks_p202603", "chunks_p202604"}));
}

// The newest schema version of the PostgreSQL history (postgres_store.cpp): a new version
// raises it there and here.
constexpr int kPostgresHistorySchemaVersion = 2;

int stored_schema_version(const std::string& connection) {
  pqxx::connection db(connection);
  pqxx::nontransaction tx(db);
  return tx.exec("SELECT version FROM schema_version WHERE part = 'history'")[0][0].as<int>();
}

void run_sql(const std::string& connection, const std::string& sql) {
  pqxx::connection db(connection);
  pqxx::work tx(db);
  tx.exec(sql);
  tx.commit();
}

TEST_P(PostgresStoreTest, FreshDatabaseRecordsItsSchemaVersion) {
  open();
  EXPECT_EQ(stored_schema_version(postgres_connection()), kPostgresHistorySchemaVersion);
}

TEST_P(PostgresStoreTest, DatabaseFromBeforeVersionsIsBroughtForwardWithItsData) {
  auto directory = std::make_shared<model::ChannelDirectory>();
  directory->add("battery/1/1/voltage", "V");
  {
    auto store = open();
    feed_at(*store, directory, kJan2026 + 1000, 13.5);
    feed_at(*store, directory, kJan2026 + 2000, 13.6);
  }  // a clean stop seals and writes the chunk
  // As written before versions were kept: no schema_version table, no string_id column.
  run_sql(postgres_connection(), "DROP TABLE schema_version");
  run_sql(postgres_connection(), "ALTER TABLE channels DROP COLUMN string_id");
  auto store = open();
  EXPECT_EQ(stored_schema_version(postgres_connection()), kPostgresHistorySchemaVersion);
  const auto series = store->query({"battery/1/1/voltage"}, kJan2026, kJan2026 + 10'000, 10);
  ASSERT_EQ(series.at(0).buckets.size(), 2U);
  EXPECT_DOUBLE_EQ(series[0].buckets[0].mean, 13.5);
  EXPECT_DOUBLE_EQ(series[0].buckets[1].mean, 13.6);
}

// Version 2 keeps what a discharge measured as a capacity test; a version 1 database gains the
// column with its discharges kept (measured 0: unknown).
TEST_P(PostgresStoreTest, DischargesKeepTheirMeasuredCapacityAndVersion1IsBroughtForward) {
  model::DischargeRecord record;
  record.string_id = 2;
  record.start_ms = kJan2026;
  record.end_ms = kJan2026 + 36'000'000;
  record.ah_out = 88.0;
  record.min_battery_voltage_V = {10.8, 10.7};
  record.weakest_position = 2;
  record.measured_capacity_pct = 87.5;
  {
    auto store = open();
    store->append_discharge(record);
    ASSERT_TRUE(store->flush());
    const auto back = store->discharges(kJan2026 - 1, kJan2026 + 1, 2, 10);
    ASSERT_EQ(back.size(), 1U);
    EXPECT_DOUBLE_EQ(back[0].measured_capacity_pct, 87.5);
  }
  run_sql(postgres_connection(), "ALTER TABLE discharges DROP COLUMN measured_capacity_pct");
  run_sql(postgres_connection(), "UPDATE schema_version SET version = 1 WHERE part = 'history'");
  auto store = open();
  EXPECT_EQ(stored_schema_version(postgres_connection()), kPostgresHistorySchemaVersion);
  const auto back = store->discharges(kJan2026 - 1, kJan2026 + 1, 2, 10);
  ASSERT_EQ(back.size(), 1U);
  EXPECT_EQ(back[0].weakest_position, 2);
  EXPECT_DOUBLE_EQ(back[0].measured_capacity_pct, 0.0);
}

TEST_P(PostgresStoreTest, NewerSchemaIsRefusedWithTheReasonAndLeftAsItIs) {
  open();
  run_sql(postgres_connection(), "UPDATE schema_version SET version = 99 WHERE part = 'history'");
  try {
    open();
    ADD_FAILURE() << "a database of a newer BTMS was opened";
  } catch (const ops::SchemaTooNewError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("schema version 99, written by a newer BTMS"), std::string::npos) << what;
    EXPECT_NE(what.find("knows up to version 2"), std::string::npos) << what;
  }
  EXPECT_EQ(stored_schema_version(postgres_connection()), 99);
}

TEST(PostgresStore, ConnectFailureThrowsWithTheReason) {
  try {
    open_postgres_store("host=/nonexistent/btms port=1 dbname=none connect_timeout=2");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("postgres: cannot connect"), std::string::npos)
        << error.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresStoreTest, ::testing::Values(Backend::postgres),
                         backend_name);

}  // namespace
}  // namespace btms::history
