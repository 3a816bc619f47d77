// The delivery log survives a restart: entries, counts and ids are read back from notify.db;
// the file keeps a bounded number of rows; a file it cannot use is refused with its name.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "notify/delivery_json.hpp"
#include "notify/delivery_log.hpp"
#include "tests/security/temp_dir.hpp"

namespace btms::notify {
namespace {

Delivery delivery(const std::string& subject, DeliveryResult result, int attempt = 1) {
  Delivery d;
  d.time_ms = 1'767'225'600'000 + attempt;
  d.recipient = "night-shift";
  d.channel = ChannelKind::webhook;
  d.group = "string/3";
  d.reason = "first";
  d.subject = subject;
  d.result = result;
  d.detail = result == DeliveryResult::sent ? "HTTP 200" : "connection refused";
  d.attempt = attempt;
  return d;
}

TEST(DeliveryLogFile, EntriesCountsAndIdsSurviveARestart) {
  security::test::TempDir dir;
  const auto file = dir.path() / "notify.db";
  {
    DeliveryLog log(1000, file);
    log.add(delivery("String 3 tripped", DeliveryResult::retrying, 1));
    log.add(delivery("String 3 tripped", DeliveryResult::sent, 2));
    log.add(delivery("String 3 back", DeliveryResult::failed, 3));
  }
  DeliveryLog reopened(1000, file);
  const auto newest = reopened.newest(10);
  ASSERT_EQ(newest.size(), 3u);
  EXPECT_EQ(newest[0].id, 3u);
  EXPECT_EQ(newest[0].subject, "String 3 back");
  EXPECT_EQ(newest[0].result, DeliveryResult::failed);
  EXPECT_EQ(newest[0].detail, "connection refused");
  EXPECT_EQ(newest[2].id, 1u);
  EXPECT_EQ(newest[1].recipient, "night-shift");
  EXPECT_EQ(newest[1].channel, ChannelKind::webhook);
  EXPECT_EQ(newest[1].group, "string/3");
  EXPECT_EQ(newest[1].reason, "first");
  EXPECT_EQ(newest[1].attempt, 2);
  EXPECT_EQ(newest[1].time_ms, 1'767'225'600'002);
  EXPECT_EQ(reopened.count(DeliveryResult::sent), 1u);
  EXPECT_EQ(reopened.count(DeliveryResult::retrying), 1u);
  EXPECT_EQ(reopened.count(DeliveryResult::failed), 1u);
  // Ids go on where they stopped.
  reopened.add(delivery("String 3 tripped", DeliveryResult::sent, 4));
  EXPECT_EQ(reopened.newest(1).front().id, 4u);
}

TEST(DeliveryLogFile, MemoryKeepsTheNewestAndTheFileItsBound) {
  security::test::TempDir dir;
  const auto file = dir.path() / "notify.db";
  {
    DeliveryLog log(2, file, 5);
    for (int i = 1; i <= 8; ++i)
      log.add(delivery("try " + std::to_string(i), DeliveryResult::sent, i));
    EXPECT_EQ(log.newest(10).size(), 2u);  // memory holds its capacity
  }
  DeliveryLog reopened(100, file, 5);  // opening drops rows beyond the newest 5
  const auto kept = reopened.newest(100);
  ASSERT_EQ(kept.size(), 5u);
  EXPECT_EQ(kept.front().subject, "try 8");
  EXPECT_EQ(kept.back().subject, "try 4");
  EXPECT_EQ(reopened.count(DeliveryResult::sent), 5u);
}

TEST(DeliveryLogFile, AFileThatIsNoDatabaseIsRefusedWithItsName) {
  security::test::TempDir dir;
  const auto file = dir.path() / "notify.db";
  std::ofstream(file) << "this is not an SQLite database, it is a text file of some length...";
  try {
    DeliveryLog log(10, file);
    FAIL() << "opened a text file as the delivery log";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace btms::notify

namespace btms::notify {
namespace {

TEST(DeliveryJson, SnmpRecipientsSayWhichMibAndNoSecret) {
  const struct {
    bool btms, ups;
    const char* mib;
  } rows[] = {{true, false, "btms"}, {false, true, "ups"}, {true, true, "both"}};
  for (const auto& row : rows) {
    Recipient r;
    r.name = "nms";
    r.channel = ChannelKind::snmp;
    r.snmp.community = "very-secret-community";
    r.snmp.btms_mib = row.btms;
    r.snmp.ups_mib = row.ups;
    const auto body = nlohmann::json::parse(deliveries_json(DeliveryLog(), {r}, 10));
    EXPECT_EQ(body["recipients"][0]["mib"], row.mib);
    EXPECT_TRUE(body["recipients"][0]["secret_set"].get<bool>());
    EXPECT_EQ(body.dump().find("very-secret"), std::string::npos);
  }
  Recipient mail;
  mail.name = "night";
  const auto body = nlohmann::json::parse(deliveries_json(DeliveryLog(), {mail}, 10));
  EXPECT_TRUE(body["recipients"][0]["mib"].is_null());
}

}  // namespace
}  // namespace btms::notify
