// The outbox keeps undelivered messages in notify.db: whole (texts, alarms, id) and in order,
// with their try counts, next to the delivery log in the same file; a channel worker writes a
// message before its first try and removes it once delivered or given up; a resent message is
// marked late once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "notify/channel_worker.hpp"
#include "notify/delivery_log.hpp"
#include "notify/message_text.hpp"
#include "notify/notify_db_schema.hpp"
#include "notify/outbox.hpp"
#include "ops/schema_version.hpp"
#include "security/sqlite_handle.hpp"
#include "tests/security/temp_dir.hpp"

namespace btms::notify {
namespace {

Notification message(const std::string& recipient, std::int64_t time_ms) {
  Notification n;
  n.recipient = recipient;
  n.tier = 2;
  n.group = "string/3";
  n.reason = Reason::escalation;
  n.time_ms = time_ms;
  NotifiedAlarm a;
  a.key = "battery/3/17:battery_temperature_trip";
  a.source = "battery/3/17";
  a.rule = "battery_temperature_trip";
  a.text = "Battery 3/17 temperature 56.3 °C above trip limit 55 °C";
  a.severity = model::Severity::trip;
  a.value = 56.3;
  a.raised_ms = time_ms - 30'000;
  a.acknowledged = true;
  a.acknowledged_by = "ana";
  n.alarms.push_back(a);
  a.key = "string/3:string_current_high";
  a.active = false;
  a.cleared_ms = time_ms - 1'000;
  a.severity = model::Severity::warning;
  n.alarms.push_back(a);
  RoutingSettings routing;
  routing.base_url = "https://btms.example.net";
  SiteNames names;
  names.site = "DC Test";
  fill_texts(n, routing, names);
  n.message_id = new_message_id();
  return n;
}

TEST(NotifyOutbox, KeepsWholeMessagesInOrderAcrossReopen) {
  security::test::TempDir dir;
  const auto file = dir.path() / "notify.db";
  const auto a = message("night", 1'796'472'030'000);
  const auto b = message("dcim", 1'796'472'031'000);
  {
    Outbox box(file);
    const auto row_a = box.keep(a, 100);
    const auto row_b = box.keep(b, 200);
    EXPECT_LT(row_a, row_b);
    box.tried(row_b, 3);
    EXPECT_EQ(box.size(), 2u);
  }
  DeliveryLog log(10, file);  // the delivery log opens the same file (schema version 2)
  Outbox box(file);
  const auto unsent = box.unsent();
  ASSERT_EQ(unsent.size(), 2u);
  EXPECT_EQ(unsent[0].queued_ms, 100);
  EXPECT_EQ(unsent[0].attempts_done, 0);
  EXPECT_EQ(unsent[1].attempts_done, 3);
  EXPECT_EQ(notification_json(unsent[0].message), notification_json(a));
  EXPECT_EQ(notification_json(unsent[1].message), notification_json(b));
  const auto& back = unsent[0].message;
  EXPECT_EQ(back.reason, Reason::escalation);
  EXPECT_EQ(back.tier, 2);
  ASSERT_EQ(back.alarms.size(), 2u);
  EXPECT_EQ(back.alarms[1].severity, model::Severity::warning);
  EXPECT_FALSE(back.alarms[1].active);
  EXPECT_EQ(back.alarms[0].acknowledged_by, "ana");
  box.remove(unsent[0].row);
  ASSERT_EQ(box.unsent().size(), 1u);
  EXPECT_EQ(box.unsent()[0].message.recipient, "dcim");
}

TEST(NotifyOutbox, ADeliveryLogFileOfVersion1IsBroughtForward) {
  security::test::TempDir dir;
  const auto file = dir.path() / "notify.db";
  {
    // notify.db as the gateway wrote it before the outbox: schema "notify" version 1.
    auto v1 = notify_db_schema(file.string());
    v1.steps.resize(1);
    security::detail::SqliteHandle db(file.string());
    ops::migrate_schema(db.get(), v1);
    DeliveryLog log(10, file);
    Delivery d;
    d.recipient = "night";
    d.subject = "kept";
    log.add(d);
  }
  Outbox box(file);
  EXPECT_EQ(box.size(), 0u);
  box.keep(message("night", 1'796'472'030'000), 1);
  DeliveryLog log(10, file);
  ASSERT_EQ(log.newest(1).size(), 1u);
  EXPECT_EQ(log.newest(1).front().subject, "kept") << "the old rows stay";
  security::detail::SqliteHandle db(file.string());
  EXPECT_EQ(ops::read_schema_version(db.get(), "notify"), 2);
}

TEST(NotifyOutbox, MessageIdsDiffer) {
  const auto a = new_message_id();
  const auto b = new_message_id();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 5u + 16u);
  EXPECT_TRUE(a.starts_with("btms-"));
}

TEST(NotifyOutbox, MarkLateOnceWithTheDecisionTime) {
  auto n = message("night", 1'796'472'030'000);
  const auto subject = n.subject;
  mark_late(n, 1'796'472'090'000);
  EXPECT_TRUE(n.late);
  EXPECT_TRUE(n.subject.starts_with("[BTMS DC Test] LATE ESCALATED")) << n.subject;
  EXPECT_TRUE(n.text.starts_with("Sent late: decided " + utc_text(1'796'472'030'000))) << n.text;
  EXPECT_NE(n.text.find(utc_text(1'796'472'090'000)), std::string::npos);
  EXPECT_TRUE(n.html.starts_with("<p><i>Sent late"));
  const auto once = n;
  mark_late(n, 1'796'472'190'000);
  EXPECT_EQ(n.subject, once.subject);
  EXPECT_EQ(n.text, once.text);
}

// A sender that answers from a table: ok, retry, or refuse, counting its calls.
class ScriptedSender : public Sender {
 public:
  explicit ScriptedSender(std::vector<SendOutcome> answers) : answers_(std::move(answers)) {}
  SendOutcome send(const Notification&, const Recipient&) override {
    const auto i = calls++;
    return i < answers_.size() ? answers_[i] : answers_.back();
  }
  std::atomic<std::size_t> calls{0};

 private:
  std::vector<SendOutcome> answers_;
};

bool wait_for_result(const DeliveryLog& log, DeliveryResult result) {
  for (int i = 0; i < 2'000 && log.count(result) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return log.count(result) > 0;
}

// Row after the worker is done with a message, for each way a message ends.
struct WorkerCase {
  const char* name;
  std::vector<SendOutcome> answers;
  DeliveryResult result;
};

TEST(NotifyOutbox, WorkerRemovesTheMessageOnceDeliveredOrGivenUp) {
  const std::vector<WorkerCase> cases = {
      {"sent at once", {{true, true, "200"}}, DeliveryResult::sent},
      {"sent on the 2nd try", {{false, true, "503"}, {true, true, "200"}}, DeliveryResult::sent},
      {"refused", {{false, false, "401"}}, DeliveryResult::failed},
      {"last try failed", {{false, true, "503"}}, DeliveryResult::failed},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    security::test::TempDir dir;
    auto box = std::make_shared<Outbox>(dir.path() / "notify.db");
    auto log = std::make_shared<DeliveryLog>();
    Recipient r;
    r.name = "night";
    DeliverySettings delivery;
    delivery.attempts = 2;
    delivery.first_backoff_ms = 1;
    ChannelWorker worker(r, std::make_unique<ScriptedSender>(c.answers), delivery, log, nullptr, 16,
                         box);
    worker.enqueue(message("night", 1'796'472'030'000));
    EXPECT_EQ(box->size(), 1u) << "written before the first try";
    worker.start();
    ASSERT_TRUE(wait_for_result(*log, c.result));
    worker.stop();
    EXPECT_EQ(box->size(), 0u);
  }
}

TEST(NotifyOutbox, WorkerStoppedBeforeSendingKeepsTheMessageWithItsId) {
  security::test::TempDir dir;
  auto box = std::make_shared<Outbox>(dir.path() / "notify.db");
  {
    Recipient r;
    r.name = "night";
    ChannelWorker worker(r, std::make_unique<ScriptedSender>(std::vector<SendOutcome>{{}}), {},
                         std::make_shared<DeliveryLog>(), nullptr, 16, box);
    auto n = message("night", 1'796'472'030'000);
    n.message_id.clear();  // the worker gives it one
    worker.enqueue(n);
    worker.stop();  // never started: nothing tried
  }
  const auto unsent = box->unsent();
  ASSERT_EQ(unsent.size(), 1u);
  EXPECT_TRUE(unsent[0].message.message_id.starts_with("btms-"));
}

}  // namespace
}  // namespace btms::notify
