// SNMP notifications against a real receiver: snmptrapd (Debian snmptrapd) started by the test
// on a free loopback UDP port in a temporary folder, printing every notification it accepts on
// one line. SNMPv2c traps and informs, SNMPv3 authPriv informs (engine discovery) and traps
// (the gateway's engine ID), a wrong v3 password refused without a retry, and the whole
// notifier sending a raise and then the removal through its channel worker. UPS-MIB: an alarm
// raised gives upsTrapAlarmEntryAdded with its upsAlarmDescr, its clearing EntryRemoved.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "model/derived_channels.hpp"
#include "notify/channel_worker.hpp"
#include "notify/message_text.hpp"
#include "notify/notifier.hpp"
#include "notify/sender.hpp"
#include "tests/e2e/process.hpp"
#include "tests/notify/snmp_test_tools.hpp"

namespace btms::notify {
namespace {

using e2e::ChildProcess;
using e2e::TempFolder;

constexpr const char* kV3TrapEngine = "80001f8880aabbccdd";

using snmp_test::free_udp_port;

// snmptrapd accepting community "public", v3 user "btmsv3" under this gateway's engine ID
// (traps) and v3 user "btmsinf" under its own (informs), both SHA/AES authPriv.
class TrapReceiver {
 public:
  TrapReceiver() {
    port_ = free_udp_port();
    const auto conf = folder_.path() + "/snmptrapd.conf";
    std::ofstream(conf) << "authCommunity log public\n"
                        << "createUser -e 0x" << kV3TrapEngine
                        << " btmsv3 SHA auth-pass-1 AES priv-pass-1\n"
                        << "createUser btmsinf SHA auth-pass-1 AES priv-pass-1\n"
                        << "authUser log btmsv3 priv\n"
                        << "authUser log btmsinf priv\n"
                        << "format2 TRAP %V~%v\\n\n";
    child_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "/usr/sbin/snmptrapd", "-f", "-Lo", "-n", "-On", "-C", "-c", conf, "-m", "", "-M",
        "/dev/null", "--persistentDir=" + folder_.path(), "-p", folder_.path() + "/pid",
        "udp:127.0.0.1:" + std::to_string(port_)});
    // It prints its version once it listens.
    for (int i = 0; i < 40 && !ready_; ++i) {
      ready_ = child_->read_line(500).find("NET-SNMP version") != std::string::npos;
    }
  }
  bool ready() const { return ready_; }
  std::string target() const { return "udp:127.0.0.1:" + std::to_string(port_); }
  // The next notification's varbinds ("" when none within the deadline).
  std::string next(int timeout_ms = 10'000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      const auto line = child_->read_line(500);
      if (line.starts_with("TRAP ")) return line;
    }
    return {};
  }

 private:
  TempFolder folder_;
  int port_ = 0;
  bool ready_ = false;
  std::unique_ptr<ChildProcess> child_;
};

SiteNames names() {
  SiteNames n;
  n.site = "DC Test";
  n.strings[3] = {"Row C", 2, "UPS South"};
  return n;
}

RoutingSettings routing() {
  RoutingSettings s;
  s.base_url = "https://btms.example.net";
  return s;
}

NotifiedAlarm trip_alarm(bool active) {
  NotifiedAlarm a;
  a.key = "battery/3/17:battery_temperature_trip";
  a.source = "battery/3/17";
  a.rule = "battery_temperature_trip";
  a.text = "Battery 3/17 temperature 56.3 °C above trip limit 55 °C";
  a.severity = model::Severity::trip;
  a.value = 56.3;
  a.raised_ms = 1'796'472'000'000;
  a.active = active;
  if (!active) a.cleared_ms = 1'796'472'060'000;
  return a;
}

Notification message(bool active) {
  Notification n;
  n.recipient = "nms";
  n.group = "string/3";
  n.reason = active ? Reason::first : Reason::recovery;
  n.alarms.push_back(trip_alarm(active));
  fill_texts(n, routing(), names());
  return n;
}

Recipient v2c(const TrapReceiver& receiver, bool inform) {
  Recipient r;
  r.name = "nms";
  r.channel = ChannelKind::snmp;
  r.address = receiver.target();
  r.snmp.community = "public";
  r.snmp.inform = inform;
  return r;
}

Recipient v3(const TrapReceiver& receiver, bool inform, std::string auth_password) {
  Recipient r;
  r.name = "nms";
  r.channel = ChannelKind::snmp;
  r.address = receiver.target();
  r.snmp.version = SnmpVersion::v3;
  r.snmp.inform = inform;
  r.snmp.user = inform ? "btmsinf" : "btmsv3";
  r.snmp.auth_password = std::move(auth_password);
  r.snmp.priv_password = "priv-pass-1";
  r.snmp.engine_id_hex = inform ? "" : kV3TrapEngine;
  r.snmp.timeout_ms = 1000;
  r.snmp.retries = 1;
  return r;
}

constexpr const char* kRaisedOid = "OID: .1.3.6.1.4.1.99999.0.1~";
constexpr const char* kClearedOid = "OID: .1.3.6.1.4.1.99999.0.2~";

void expect_alarm_varbinds(const std::string& line) {
  const std::string base = ".1.3.6.1.4.1.99999.1.4.";
  for (const auto* part :
       {"1 = STRING: \"battery/3/17\"", "2 = STRING: \"battery_temperature_trip\"",
        "3 = INTEGER: 4", "4 = INTEGER: 2", "5 = INTEGER: 3", "6 = INTEGER: 17",
        "7 = STRING: \"56.3\"", "8 = STRING: \"trip limit 55 C\"",
        "11 = STRING: \"https://btms.example.net/#/battery/3/17\""}) {
    EXPECT_NE(line.find(base + part), std::string::npos) << part << "\n" << line;
  }
}

TEST(SnmpSender, V2cTrapCarriesTheAlarm) {
  TrapReceiver receiver;
  ASSERT_TRUE(receiver.ready());
  auto sender = make_snmp_sender(routing(), names());
  const auto outcome = sender->send(message(true), v2c(receiver, false));
  EXPECT_TRUE(outcome.ok) << outcome.detail;
  const auto line = receiver.next();
  EXPECT_NE(line.find(kRaisedOid), std::string::npos) << line;
  expect_alarm_varbinds(line);
}

TEST(SnmpSender, V2cInformIsAcknowledgedAndTheRemovalSent) {
  TrapReceiver receiver;
  ASSERT_TRUE(receiver.ready());
  auto sender = make_snmp_sender(routing(), names());
  auto outcome = sender->send(message(true), v2c(receiver, true));
  EXPECT_TRUE(outcome.ok) << outcome.detail;
  EXPECT_NE(outcome.detail.find("informs acknowledged"), std::string::npos) << outcome.detail;
  EXPECT_NE(receiver.next().find(kRaisedOid), std::string::npos);
  outcome = sender->send(message(false), v2c(receiver, true));
  EXPECT_TRUE(outcome.ok) << outcome.detail;
  const auto line = receiver.next();
  EXPECT_NE(line.find(kClearedOid), std::string::npos) << line;
  expect_alarm_varbinds(line);
}

TEST(SnmpSender, V3AuthPrivInformAndTrapArrive) {
  TrapReceiver receiver;
  ASSERT_TRUE(receiver.ready());
  auto sender = make_snmp_sender(routing(), names());
  auto outcome = sender->send(message(true), v3(receiver, true, "auth-pass-1"));
  EXPECT_TRUE(outcome.ok) << outcome.detail;
  expect_alarm_varbinds(receiver.next());
  outcome = sender->send(message(false), v3(receiver, false, "auth-pass-1"));
  EXPECT_TRUE(outcome.ok) << outcome.detail;
  const auto line = receiver.next();
  EXPECT_NE(line.find(kClearedOid), std::string::npos) << line;
}

TEST(SnmpSender, V3WrongPasswordIsNotAcknowledged) {
  TrapReceiver receiver;
  ASSERT_TRUE(receiver.ready());
  auto sender = make_snmp_sender(routing(), names());
  const auto outcome = sender->send(message(true), v3(receiver, true, "wrong-pass-1"));
  EXPECT_FALSE(outcome.ok);
  EXPECT_NE(outcome.detail.find("(0 of 1 sent)"), std::string::npos) << outcome.detail;
  EXPECT_EQ(receiver.next(1500), "");  // nothing accepted
}

TEST(SnmpSender, DeadManagerTimesOutAsRetryable) {
  // Informs to a port nobody listens on: not acknowledged, worth another try later.
  TrapReceiver receiver;  // only for a free port's target format
  Recipient r;
  r.name = "nms";
  r.channel = ChannelKind::snmp;
  r.address = "udp:127.0.0.1:" + std::to_string(free_udp_port());
  r.snmp.community = "public";
  r.snmp.inform = true;
  r.snmp.timeout_ms = 200;
  r.snmp.retries = 0;
  auto sender = make_snmp_sender(routing(), names());
  const auto outcome = sender->send(message(true), r);
  EXPECT_FALSE(outcome.ok);
  EXPECT_TRUE(outcome.retry) << outcome.detail;
}

TEST(SnmpSender, ChannelWorkerLogsTheDelivery) {
  TrapReceiver receiver;
  ASSERT_TRUE(receiver.ready());
  auto log = std::make_shared<DeliveryLog>();
  ChannelWorker worker(v2c(receiver, true), make_snmp_sender(routing(), names()),
                       DeliverySettings{}, log, model::system_clock());
  worker.start();
  worker.enqueue(message(true));
  worker.enqueue(message(false));
  EXPECT_NE(receiver.next().find(kRaisedOid), std::string::npos);
  EXPECT_NE(receiver.next().find(kClearedOid), std::string::npos);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (log->count(DeliveryResult::sent) < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  worker.stop();
  ASSERT_EQ(log->count(DeliveryResult::sent), 2u);
  EXPECT_EQ(log->newest(1).front().channel, ChannelKind::snmp);
}

// Publishes one engine step: the UPS's alarm bits and the active alarms.
void publish_step(engine::StepPublication& publication, std::uint64_t step,
                  std::vector<engine::ActiveAlarm> alarms) {
  auto bundle = std::make_shared<engine::StepBundle>();
  bundle->step = step;
  bundle->time_ms = 1'796'472'000'000 + static_cast<std::int64_t>(step) * 1000;
  auto list = std::make_shared<engine::AlarmList>();
  list->alarms = std::move(alarms);
  bundle->alarms = list;
  publication.publish(bundle);
}

TEST(SnmpSender, UpsMibAlarmEntryAddedThenRemoved) {
  TrapReceiver receiver;
  ASSERT_TRUE(receiver.ready());
  model::Site site;
  site.upses.push_back(model::Ups{1, "UPS South", 100});
  auto board = std::make_shared<UpsAlarmBoard>(site);
  auto publication = std::make_shared<engine::StepPublication>();
  NotifySettings settings;
  settings.enabled = true;
  settings.routing = routing();
  auto r = v2c(receiver, true);
  r.snmp.btms_mib = false;  // mib = "ups"
  r.snmp.ups_mib = true;
  settings.recipients = {r};
  Notifier notifier(settings, names(), {nullptr, nullptr, publication, {}, board},
                    model::system_clock());
  notifier.start();
  engine::ActiveAlarm hot;
  hot.key = "battery/3/17:battery_temperature_alarm";
  hot.source = "battery/3/17";
  hot.rule = "battery_temperature_alarm";
  hot.since_ms = 1'796'472'000'500;
  engine::ActiveAlarm soft = hot;  // a warning has no well-known alarm: no trap
  soft.key = "battery/3/18:battery_voltage_high";
  soft.rule = "battery_voltage_high";
  publish_step(*publication, 1, {soft});
  publish_step(*publication, 2, {hot, soft});
  const std::string entry = ".1.3.6.1.2.1.33.1.6.2.1.";
  auto line = receiver.next();
  EXPECT_NE(line.find("OID: .1.3.6.1.2.1.33.2.3~"), std::string::npos) << line;
  EXPECT_NE(line.find(entry + "1.1 = INTEGER: 1"), std::string::npos) << line;
  EXPECT_NE(line.find(entry + "2.1 = OID: .1.3.6.1.2.1.33.1.6.3.5"), std::string::npos) << line;
  publish_step(*publication, 3, {soft});
  line = receiver.next();
  EXPECT_NE(line.find("OID: .1.3.6.1.2.1.33.2.4~"), std::string::npos) << line;
  EXPECT_NE(line.find(entry + "1.1 = INTEGER: 1"), std::string::npos) << line;
  EXPECT_NE(line.find(entry + "2.1 = OID: .1.3.6.1.2.1.33.1.6.3.5"), std::string::npos) << line;
  EXPECT_EQ(receiver.next(1'000), "") << "nothing else: no BTMS-MIB traps for mib = \"ups\"";
  notifier.stop();
  EXPECT_EQ(notifier.deliveries()->count(DeliveryResult::sent), 2u);
}

}  // namespace
}  // namespace btms::notify
