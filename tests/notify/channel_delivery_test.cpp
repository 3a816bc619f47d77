// Channels against real receivers started by the test on loopback free ports: an aiosmtpd SMTP
// server (plain, with login, with STARTTLS) and an HTTP receiver that checks the HMAC signature.
// Then the whole notifier: a storm of 121 alarms of one string on the event log gives exactly
// one message per recipient, and its clearing one recovery notice each. And the outbox: a message
// queued for a dead receiver when the notifier stops (cleanly, or killed) arrives exactly once
// from the next notifier on the same notify.db.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "notify/channel_worker.hpp"
#include "notify/message_text.hpp"
#include "notify/notifier.hpp"
#include "notify/recipients_control.hpp"
#include "notify/webhook_payload.hpp"
#include "tests/e2e/process.hpp"

namespace btms::notify {
namespace {

using e2e::ChildProcess;
using e2e::TempFolder;
using nlohmann::json;

const std::string kHere = BTMS_NOTIFY_TEST_DIR;

std::unique_ptr<ChildProcess> start_receiver(std::vector<std::string> argv, int& port,
                                             const std::string& pattern) {
  auto child = std::make_unique<ChildProcess>(argv);
  port = e2e::wait_for_port(*child, pattern);
  return child;
}

std::unique_ptr<ChildProcess> webhook_receiver(const std::string& secret, int fail_first,
                                               int& port) {
  return start_receiver({"/usr/bin/python3", kHere + "/webhook_receiver.py", secret,
                         std::to_string(fail_first), std::to_string(port)},
                        port, R"(http://127\.0\.0\.1:(\d+)/)");
}

std::unique_ptr<ChildProcess> smtp_receiver(std::vector<std::string> options, int& port) {
  std::vector<std::string> argv = {"/usr/bin/python3", kHere + "/smtp_receiver.py"};
  argv.insert(argv.end(), options.begin(), options.end());
  return start_receiver(argv, port, R"(smtp://127\.0\.0\.1:(\d+)/)");
}

json next_json(ChildProcess& child, int timeout_ms = 15'000) {
  const auto line = child.read_line(timeout_ms);
  if (line.empty()) return nullptr;
  return json::parse(line);
}

// A port nobody listens on: bound once to learn a free number, then closed.
int dead_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

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

Notification trip_notification(const std::string& recipient) {
  Notification n;
  n.recipient = recipient;
  n.group = "string/3";
  n.time_ms = 1'796'472'030'000;
  NotifiedAlarm a;
  a.key = "battery/3/17:battery_temperature_trip";
  a.source = "battery/3/17";
  a.rule = "battery_temperature_trip";
  a.text = "Battery 3/17 temperature 56.3 °C above trip limit 55 °C";
  a.severity = model::Severity::trip;
  a.value = 56.3;
  a.raised_ms = 1'796'472'000'000;
  n.alarms.push_back(a);
  fill_texts(n, routing(), names());
  return n;
}

Recipient webhook_recipient(int port, std::string secret) {
  Recipient r;
  r.name = "dcim";
  r.channel = ChannelKind::webhook;
  r.address = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  r.secret = std::move(secret);
  return r;
}

Recipient mail_recipient(std::string name = "night") {
  Recipient r;
  r.name = std::move(name);
  r.channel = ChannelKind::mail;
  r.address = r.name + "@example.net";
  return r;
}

MailServer mail_server(int port, MailSecurity security) {
  MailServer m;
  m.url = "smtp://127.0.0.1:" + std::to_string(port);
  m.from = "btms@example.net";
  m.security = security;
  m.timeout_ms = 10'000;
  return m;
}

// Waits (polling the in-memory log; no timing is asserted) until `count` entries of `result`.
bool wait_for(const DeliveryLog& log, DeliveryResult result, std::uint64_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (log.count(result) < count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TEST(Webhook, SignedAlertmanagerBodyArrives) {
  int port = 0;
  auto receiver = webhook_receiver("k3y", 0, port);
  ASSERT_GT(port, 0);
  auto sender = make_webhook_sender(routing(), names(), 5000);
  const auto outcome = sender->send(trip_notification("dcim"), webhook_recipient(port, "k3y"));
  EXPECT_TRUE(outcome.ok) << outcome.detail;
  const auto got = next_json(*receiver);
  ASSERT_FALSE(got.is_null());
  EXPECT_TRUE(got["signature_ok"].get<bool>());
  const auto& body = got["body"];
  EXPECT_EQ(body["version"], "4");
  EXPECT_EQ(body["status"], "firing");
  EXPECT_EQ(body["receiver"], "dcim");
  EXPECT_EQ(body["groupKey"], "string/3");
  ASSERT_EQ(body["alerts"].size(), 1u);
  const auto& alert = body["alerts"][0];
  EXPECT_EQ(alert["status"], "firing");
  EXPECT_EQ(alert["labels"]["alertname"], "battery_temperature_trip");
  EXPECT_EQ(alert["labels"]["severity"], "TRIP");
  EXPECT_EQ(alert["labels"]["source"], "battery/3/17");
  EXPECT_EQ(alert["labels"]["string"], "3");
  EXPECT_EQ(alert["labels"]["ups"], "2");
  EXPECT_EQ(alert["annotations"]["summary"],
            "Battery 3/17 temperature 56.3 °C above trip limit 55 °C");
  EXPECT_NE(alert["annotations"]["action"].get<std::string>().find("disconnected"),
            std::string::npos);
  EXPECT_EQ(alert["startsAt"], "2026-12-05T12:00:00.000Z");
  EXPECT_EQ(alert["endsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(alert["generatorURL"], "https://btms.example.net/#/battery/3/17");
  EXPECT_EQ(alert["fingerprint"], fingerprint("battery/3/17:battery_temperature_trip"));
}

TEST(Webhook, WrongSecretIsRefusedAndNotRetried) {
  int port = 0;
  auto receiver = webhook_receiver("right", 0, port);
  auto sender = make_webhook_sender(routing(), names(), 5000);
  const auto outcome = sender->send(trip_notification("dcim"), webhook_recipient(port, "wrong"));
  EXPECT_FALSE(outcome.ok);
  EXPECT_FALSE(outcome.retry);
  EXPECT_EQ(outcome.detail, "HTTP 401");
  EXPECT_FALSE(next_json(*receiver)["signature_ok"].get<bool>());
}

TEST(Webhook, HmacMatchesAKnownVector) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(ChannelWorker, RetriesWithBackoffUntilSent) {
  int port = 0;
  auto receiver = webhook_receiver("k", 2, port);  // 503, 503, then 200
  auto log = std::make_shared<DeliveryLog>();
  DeliverySettings delivery;
  delivery.attempts = 4;
  delivery.first_backoff_ms = 20;
  ChannelWorker worker(webhook_recipient(port, "k"), make_webhook_sender(routing(), names(), 5000),
                       delivery, log, model::system_clock());
  worker.start();
  worker.enqueue(trip_notification("dcim"));
  ASSERT_TRUE(wait_for(*log, DeliveryResult::sent, 1));
  const auto entries = log->newest(10);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].result, DeliveryResult::retrying);
  EXPECT_EQ(entries[2].detail, "HTTP 503");
  EXPECT_EQ(entries[2].attempt, 1);
  EXPECT_EQ(entries[1].result, DeliveryResult::retrying);
  EXPECT_EQ(entries[0].result, DeliveryResult::sent);
  EXPECT_EQ(entries[0].attempt, 3);
  EXPECT_EQ(log->count(DeliveryResult::failed), 0u);
}

TEST(ChannelWorker, ADeadReceiverDelaysNoOtherRecipient) {
  int port = 0;
  auto receiver = webhook_receiver("k", 0, port);
  auto log = std::make_shared<DeliveryLog>();
  DeliverySettings slow;
  slow.attempts = 3;
  slow.first_backoff_ms = 1000;  // the dead one spends >= 3 s failing
  auto dead = webhook_recipient(dead_port(), "k");
  dead.name = "dead";
  ChannelWorker dead_worker(dead, make_webhook_sender(routing(), names(), 2000), slow, log,
                            model::system_clock());
  ChannelWorker good_worker(webhook_recipient(port, "k"),
                            make_webhook_sender(routing(), names(), 2000), slow, log,
                            model::system_clock());
  dead_worker.start();
  good_worker.start();
  dead_worker.enqueue(trip_notification("dead"));
  good_worker.enqueue(trip_notification("dcim"));
  ASSERT_TRUE(wait_for(*log, DeliveryResult::failed, 1));
  // Order in the log, not time: the healthy recipient was served before the dead one gave up.
  const auto entries = log->newest(10);
  ASSERT_EQ(entries.front().recipient, "dead");
  EXPECT_EQ(entries.front().result, DeliveryResult::failed);
  EXPECT_EQ(entries.front().attempt, 3);
  EXPECT_NE(entries.front().detail.find("onnect"), std::string::npos) << entries.front().detail;
  EXPECT_EQ(log->count(DeliveryResult::sent), 1u);
  bool sent_before_failed = false;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->result == DeliveryResult::sent) sent_before_failed = true;
    if (it->result == DeliveryResult::failed) break;
  }
  EXPECT_TRUE(sent_before_failed);
}

TEST(ChannelWorker, StopCutsATryToAHungServerShort) {
  // A listener that never accepts: the connection completes in the backlog, no answer comes.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto log = std::make_shared<DeliveryLog>();
  // The try's own timeout (100 s) is longer than this test may run (ctest TIMEOUT 60): only
  // the cancellation can end it in time.
  ChannelWorker worker(webhook_recipient(ntohs(addr.sin_port), "k"),
                       make_webhook_sender(routing(), names(), 100'000), DeliverySettings{}, log,
                       model::system_clock());
  worker.start();
  worker.enqueue(trip_notification("dcim"));
  while (worker.queued() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the try is under way
  worker.stop();
  EXPECT_EQ(log->newest(10).size(), 0u);  // a cancelled try is not reported as a failure
  ::close(fd);
}

TEST(Mail, PlainAndHtmlWithLogin) {
  int port = 0;
  auto receiver = smtp_receiver({"--auth", "btms", "pa55"}, port);
  ASSERT_GT(port, 0);
  auto server = mail_server(port, MailSecurity::none);
  server.username = "btms";
  server.password = "pa55";
  auto sender = make_mail_sender(server);
  const auto outcome = sender->send(trip_notification("night"), mail_recipient());
  EXPECT_TRUE(outcome.ok) << outcome.detail;
  const auto got = next_json(*receiver);
  ASSERT_FALSE(got.is_null());
  EXPECT_EQ(got["from"], "btms@example.net");
  EXPECT_EQ(got["to"], json::array({"night@example.net"}));
  EXPECT_TRUE(got["auth"].get<bool>());
  const auto data = got["data"].get<std::string>();
  EXPECT_NE(data.find("Subject: =?UTF-8?B?"), std::string::npos) << data;
  EXPECT_NE(data.find("multipart/alternative"), std::string::npos);
  EXPECT_NE(data.find("text/plain; charset=utf-8"), std::string::npos);
  EXPECT_NE(data.find("text/html; charset=utf-8"), std::string::npos);
  EXPECT_NE(data.find("Battery 3/17"), std::string::npos);
}

TEST(Mail, WrongPasswordIsNotRetried) {
  int port = 0;
  auto receiver = smtp_receiver({"--auth", "btms", "pa55"}, port);
  auto server = mail_server(port, MailSecurity::none);
  server.username = "btms";
  server.password = "nope";
  const auto outcome = make_mail_sender(server)->send(trip_notification("night"), mail_recipient());
  EXPECT_FALSE(outcome.ok);
  EXPECT_FALSE(outcome.retry) << outcome.detail;
  EXPECT_NE(outcome.detail.find("535"), std::string::npos) << outcome.detail;
}

TEST(Mail, StartTlsRequiredRefusesAServerWithoutIt) {
  int port = 0;
  auto receiver = smtp_receiver({}, port);
  const auto outcome = make_mail_sender(mail_server(port, MailSecurity::starttls))
                           ->send(trip_notification("night"), mail_recipient());
  EXPECT_FALSE(outcome.ok);
  EXPECT_FALSE(outcome.retry);
  EXPECT_NE(outcome.detail.find("SSL"), std::string::npos) << outcome.detail;
  EXPECT_EQ(receiver->read_line(300), "");  // nothing was delivered in clear
}

TEST(Mail, StartTlsWithThePrivateCa) {
  TempFolder dir;
  const auto cert = dir.path() + "/cert.pem", key = dir.path() + "/key.pem";
  const auto command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  int port = 0;
  auto receiver = smtp_receiver({"--tls", cert, key, "--auth", "btms", "pa55"}, port);
  ASSERT_GT(port, 0);
  auto server = mail_server(port, MailSecurity::starttls);
  server.ca_file = cert;
  server.username = "btms";
  server.password = "pa55";
  const auto outcome = make_mail_sender(server)->send(trip_notification("night"), mail_recipient());
  EXPECT_TRUE(outcome.ok) << outcome.detail;
  const auto got = next_json(*receiver);
  ASSERT_FALSE(got.is_null());
  EXPECT_TRUE(got["tls"].get<bool>());
  EXPECT_TRUE(got["auth"].get<bool>());
}

model::Event event(model::EventKind kind, std::string source, std::string rule,
                   model::Severity severity, std::int64_t t) {
  model::Event e;
  e.kind = kind;
  e.source = std::move(source);
  e.rule = std::move(rule);
  e.severity = severity;
  e.time_ms = t;
  e.text = e.source + " " + e.rule;
  return e;
}

TEST(Notifier, StormIsOneMessagePerRecipientThenOneRecovery) {
  int smtp_port = 0, hook_port = 0;
  auto smtp = smtp_receiver({}, smtp_port);
  auto hook = webhook_receiver("k", 0, hook_port);
  ASSERT_GT(smtp_port, 0);
  ASSERT_GT(hook_port, 0);

  NotifySettings settings;
  settings.enabled = true;
  settings.routing = routing();
  settings.routing.group_wait_ms = 300;
  settings.routing.group_interval_ms = 300;
  settings.mail = mail_server(smtp_port, MailSecurity::none);
  settings.delivery.first_backoff_ms = 50;
  settings.recipients = {mail_recipient(), webhook_recipient(hook_port, "k")};
  auto log = std::make_shared<engine::AppendLog<model::Event>>(4096);
  Notifier notifier(settings, names(), {log, nullptr, nullptr}, model::system_clock());
  notifier.start();

  const auto now = model::system_clock()->now_ms();
  std::vector<model::Event> storm;
  for (int b = 1; b <= 120; ++b) {
    storm.push_back(event(model::EventKind::alarm_raised, "battery/3/" + std::to_string(b),
                          "battery_voltage_low", model::Severity::alarm, now));
  }
  storm.push_back(event(model::EventKind::alarm_raised, "string/3", "string_voltage_low",
                        model::Severity::alarm, now));
  log->append(storm);

  const auto mail = next_json(*smtp);
  ASSERT_FALSE(mail.is_null());
  EXPECT_NE(mail["data"].get<std::string>().find("121 active"), std::string::npos);
  const auto web = next_json(*hook);
  ASSERT_FALSE(web.is_null());
  EXPECT_TRUE(web["signature_ok"].get<bool>());
  EXPECT_EQ(web["body"]["alerts"].size(), 121u);
  EXPECT_EQ(web["body"]["status"], "firing");

  std::vector<model::Event> clears;
  for (const auto& e : storm) {
    clears.push_back(event(model::EventKind::alarm_cleared, e.source, e.rule, e.severity,
                           model::system_clock()->now_ms()));
  }
  log->append(clears);
  const auto mail_recovery = next_json(*smtp);
  ASSERT_FALSE(mail_recovery.is_null());
  EXPECT_NE(mail_recovery["data"].get<std::string>().find("Back to normal"), std::string::npos);
  const auto web_recovery = next_json(*hook);
  ASSERT_FALSE(web_recovery.is_null());
  EXPECT_EQ(web_recovery["body"]["status"], "resolved");
  EXPECT_EQ(web_recovery["body"]["alerts"][0]["status"], "resolved");

  ASSERT_TRUE(wait_for(*notifier.deliveries(), DeliveryResult::sent, 4));
  notifier.stop();
  // Exactly two messages each: nothing more was sent.
  EXPECT_EQ(notifier.deliveries()->count(DeliveryResult::sent), 4u);
  EXPECT_EQ(smtp->read_line(200), "");
  EXPECT_EQ(hook->read_line(200), "");
}

TEST(Notifier, TestMessagePerRecipient) {
  int port = 0;
  auto hook = webhook_receiver("k", 0, port);
  NotifySettings settings;
  settings.enabled = true;
  settings.routing = routing();
  settings.recipients = {webhook_recipient(port, "k")};
  Notifier notifier(settings, names(), {nullptr, nullptr, nullptr}, model::system_clock());
  notifier.start();
  EXPECT_FALSE(notifier.send_test("nobody"));
  EXPECT_TRUE(notifier.send_test("dcim"));
  const auto got = next_json(*hook);
  ASSERT_FALSE(got.is_null());
  EXPECT_EQ(got["body"]["alerts"][0]["labels"]["alertname"], "btms_test");
  ASSERT_TRUE(wait_for(*notifier.deliveries(), DeliveryResult::sent, 1));
  EXPECT_EQ(notifier.deliveries()->newest(1)[0].reason, "test");
}

namespace outbox_test {

NotifySettings hook_settings(int port) {
  NotifySettings settings;
  settings.enabled = true;
  settings.routing = routing();
  settings.delivery.attempts = 20;  // the receiver stays dead for the whole first run
  settings.delivery.first_backoff_ms = 100;
  settings.recipients = {webhook_recipient(port, "k3y")};
  return settings;
}

// Starts a receiver where the dead one was, starts a notifier on the same file and checks that
// the message queued by the first run arrives exactly once, marked late, with its id.
void expect_resent_once(const std::string& db, int port) {
  {
    Outbox left(db);
    ASSERT_EQ(left.size(), 1u) << "the undelivered message is kept in notify.db";
  }
  int up_port = port;
  auto receiver = webhook_receiver("k3y", 0, up_port);
  ASSERT_EQ(up_port, port);
  Notifier second(hook_settings(port), names(), {nullptr, nullptr, nullptr, db},
                  model::system_clock());
  second.start();
  const auto got = next_json(*receiver);
  ASSERT_FALSE(got.is_null());
  EXPECT_TRUE(got["signature_ok"].get<bool>());
  const auto id = got["message_id"].get<std::string>();
  EXPECT_TRUE(id.starts_with("btms-")) << id;
  EXPECT_EQ(got["body"]["commonAnnotations"]["message_id"], id);
  EXPECT_EQ(got["body"]["commonAnnotations"]["late"], "true");
  EXPECT_NE(got["body"]["commonAnnotations"]["summary"].get<std::string>().find("LATE Test"),
            std::string::npos);
  ASSERT_TRUE(wait_for(*second.deliveries(), DeliveryResult::sent, 1));
  EXPECT_EQ(second.outbox()->size(), 0u) << "delivered: removed from the outbox";
  second.stop();
  // A third start sends nothing more: the receiver sees no second copy.
  Notifier third(hook_settings(port), names(), {nullptr, nullptr, nullptr, db},
                 model::system_clock());
  third.start();
  EXPECT_EQ(receiver->read_line(1'500), "");
  EXPECT_EQ(third.deliveries()->count(DeliveryResult::sent), 1u);
}

}  // namespace outbox_test

TEST(NotifyOutbox, MessageForADeadReceiverArrivesOnceAfterACleanRestart) {
  TempFolder dir;
  const std::string db = dir.path() + "/notify.db";
  const int port = dead_port();
  {
    Notifier first(outbox_test::hook_settings(port), names(), {nullptr, nullptr, nullptr, db},
                   model::system_clock());
    first.start();
    ASSERT_TRUE(first.send_test("dcim"));
    ASSERT_TRUE(wait_for(*first.deliveries(), DeliveryResult::retrying, 2));
    first.stop();  // in its backoff: the message stays in the outbox
    EXPECT_EQ(first.deliveries()->count(DeliveryResult::sent), 0u);
  }
  outbox_test::expect_resent_once(db, port);
}

TEST(NotifyOutbox, MessageForADeadReceiverArrivesOnceAfterSigkill) {
  TempFolder dir;
  const std::string db = dir.path() + "/notify.db";
  const int port = dead_port();
  // The first notifier runs in a child process that is killed without any stop.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Notifier first(outbox_test::hook_settings(port), names(), {nullptr, nullptr, nullptr, db},
                   model::system_clock());
    first.start();
    first.send_test("dcim");
    for (;;) ::pause();
  }
  // Killed once its message is in the file and a try has failed.
  bool kept = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!kept && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    try {
      kept = DeliveryLog(10, db).count(DeliveryResult::retrying) > 0;
    } catch (const std::exception&) {
      // The child may be creating the file right now.
    }
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(kept);
  ASSERT_TRUE(WIFSIGNALED(status));
  outbox_test::expect_resent_once(db, port);
}

// Edits of the recipient list on a running notifier (what PUT /api/v1/notify/recipients does):
// the new list is in force without a restart, on the same outbox.
namespace recipients_edit_test {

std::string hook_url(int port) {
  return "http://127.0.0.1:" + std::to_string(port) + "/hook";
}

NotifySettings site_settings(int port) {
  NotifySettings settings;
  settings.enabled = true;
  settings.routing = routing();
  settings.routing.group_wait_ms = 0;
  settings.delivery.attempts = 20;
  settings.delivery.first_backoff_ms = 100;
  auto old = webhook_recipient(port, "old-secret");
  old.name = "old";
  settings.recipients = {old};
  return settings;
}

}  // namespace recipients_edit_test

TEST(RecipientsEdit, AnAlarmReachesTheNewRecipientAndNotTheRemovedOne) {
  using namespace recipients_edit_test;
  int old_port = 0, new_port = 0;
  auto old_hook = webhook_receiver("old-secret", 0, old_port);
  auto new_hook = webhook_receiver("new-secret", 0, new_port);
  TempFolder dir;
  const auto store = dir.path() + "/notify-recipients.json";
  auto log = std::make_shared<engine::AppendLog<model::Event>>(64);
  auto notifier = std::make_shared<Notifier>(
      site_settings(old_port), names(),
      NotifierSources{log, nullptr, nullptr, dir.path() + "/notify.db"}, model::system_clock());
  notifier->start();
  RecipientsControl control(notifier, site_settings(old_port), store, false);

  const json edit{{"recipients",
                   {{{"name", "new"},
                     {"channel", "webhook"},
                     {"url", hook_url(new_port)},
                     {"secret", "new-secret"},
                     {"level", "alarms"}}}}};
  const auto answer = control.change(edit.dump());
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.body.find("new-secret"), std::string::npos);
  EXPECT_EQ(answer.audit_detail, "saved: added new; changed none; removed old");
  EXPECT_EQ(json::parse(control.settings_json())["source"], "settings_page");

  log->append({event(model::EventKind::alarm_raised, "battery/3/4", "battery_voltage_low",
                     model::Severity::alarm, model::system_clock()->now_ms())});
  const auto got = next_json(*new_hook);
  ASSERT_FALSE(got.is_null());
  EXPECT_TRUE(got["signature_ok"].get<bool>());
  EXPECT_EQ(got["body"]["status"], "firing");
  EXPECT_EQ(old_hook->read_line(1'000), "") << "the removed recipient is told nothing";

  // Revert: the site file's recipient is back and hears the active alarm as news.
  const auto reverted = control.revert();
  ASSERT_EQ(reverted.status, 200) << reverted.body;
  EXPECT_FALSE(std::filesystem::exists(store));
  const auto back = next_json(*old_hook);
  ASSERT_FALSE(back.is_null());
  EXPECT_EQ(back["body"]["status"], "firing");
  notifier->stop();
}

TEST(RecipientsEdit, UndeliveredMessagesFollowAChangedRecipientAndAreDroppedForARemovedOne) {
  using namespace recipients_edit_test;
  int up_port = 0;
  auto hook = webhook_receiver("new-secret", 0, up_port);
  TempFolder dir;
  auto site = site_settings(dead_port());
  auto gone = webhook_recipient(dead_port(), "");
  gone.name = "gone";
  site.recipients.push_back(gone);
  auto notifier = std::make_shared<Notifier>(
      site, names(), NotifierSources{nullptr, nullptr, nullptr, dir.path() + "/notify.db"},
      model::system_clock());
  notifier->start();
  ASSERT_TRUE(notifier->send_test("old"));
  ASSERT_TRUE(notifier->send_test("gone"));
  ASSERT_TRUE(wait_for(*notifier->deliveries(), DeliveryResult::retrying, 2));
  ASSERT_EQ(notifier->outbox()->size(), 2u);

  // "old" moves to a live receiver, "gone" is removed.
  RecipientsControl control(notifier, site, dir.path() + "/notify-recipients.json", false);
  const json edit{{"recipients",
                   {{{"name", "old"},
                     {"channel", "webhook"},
                     {"url", hook_url(up_port)},
                     {"secret", "new-secret"}}}}};
  const auto answer = control.change(edit.dump());
  ASSERT_EQ(answer.status, 200) << answer.body;
  const auto got = next_json(*hook);
  ASSERT_FALSE(got.is_null()) << "the changed recipient's queued message went to its new address";
  EXPECT_EQ(got["body"]["alerts"][0]["labels"]["alertname"], "btms_test");
  ASSERT_TRUE(wait_for(*notifier->deliveries(), DeliveryResult::sent, 1));
  const auto entries = notifier->deliveries()->newest(50);
  EXPECT_TRUE(std::any_of(entries.begin(), entries.end(), [](const Delivery& d) {
    return d.recipient == "gone" && d.result == DeliveryResult::failed &&
           d.detail == "dropped: recipient removed on the settings page";
  }));
  EXPECT_EQ(notifier->outbox()->size(), 0u);
  notifier->stop();
}

}  // namespace
}  // namespace btms::notify
