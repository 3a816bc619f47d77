// /api/v1/notify/recipients with real accounts (a session per role, cookie and CSRF header as a
// browser sends them) on a running notifier whose senders record: every role reads the list,
// only an admin changes or reverts it, every admin attempt is audited (refusals too), no answer
// or audit entry holds a secret, and after a PUT an alarm reaches the new recipient only.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "notify/notifier.hpp"
#include "notify/recipients_control.hpp"
#include "operator_fakes.hpp"
#include "security/session_manager.hpp"
#include "web/api_handlers.hpp"
#include "web/auth_handlers.hpp"
#include "web/notification_handlers.hpp"

namespace btms::web {
namespace {

using nlohmann::json;
using operator_test::TempDir;

// Who was sent what, by recipient name.
struct Sent {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> to;

  bool wait_for(const std::string& name) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10),
                            [&] { return std::find(to.begin(), to.end(), name) != to.end(); });
  }
};

class RecordingSender final : public notify::Sender {
 public:
  explicit RecordingSender(std::shared_ptr<Sent> sent) : sent_(std::move(sent)) {}
  notify::SendOutcome send(const notify::Notification& n, const notify::Recipient&) override {
    {
      std::lock_guard lock(sent_->mutex);
      sent_->to.push_back(n.recipient);
    }
    sent_->changed.notify_all();
    return {true, false, "recorded"};
  }

 private:
  std::shared_ptr<Sent> sent_;
};

notify::NotifySettings site_file() {
  notify::NotifySettings s;
  s.enabled = true;
  s.routing.group_wait_ms = 0;
  s.routing.base_url = "https://btms.example.net";
  notify::Recipient r;
  r.name = "site-hook";
  r.channel = notify::ChannelKind::webhook;
  r.address = "https://dcim.example.net/hook";
  r.secret = "site-s3cret";
  s.recipients = {r};
  return s;
}

struct RecipientsApi {
  enum class Who { viewer, operator_, admin };
  explicit RecipientsApi(const std::string& folder)
      : auth(folder + "/web", false, false, tuning()),
        events(std::make_shared<engine::AppendLog<model::Event>>(64)),
        sent(std::make_shared<Sent>()) {
    ctx.notifier = std::make_shared<notify::Notifier>(
        site_file(), notify::SiteNames{}, notify::NotifierSources{events, nullptr, nullptr},
        model::system_clock(),
        [s = sent](const notify::Recipient&) { return std::make_unique<RecordingSender>(s); });
    ctx.recipients = std::make_shared<notify::RecipientsControl>(
        ctx.notifier, site_file(), folder + "/notify-recipients.json", false);
    ctx.notifier->start();
    add_auth_routes(router, auth);
    add_notification_routes(router, ctx, &auth);
    const auto now = unix_now_ms();
    sessions[Who::viewer] = auth.sessions().create("vera", security::Role::viewer, now);
    sessions[Who::operator_] = auth.sessions().create("olga", security::Role::operator_, now);
    sessions[Who::admin] = auth.sessions().create("adam", security::Role::admin, now);
  }
  ~RecipientsApi() { ctx.notifier->stop(); }
  static AuthTuning tuning() {
    AuthTuning t;
    t.password_cost = security::PasswordHashCost::minimum();
    return t;
  }
  Response call(Who who, const std::string& method, const std::string& body = {}) {
    Request r;
    r.method = method;
    r.target = kRecipientsPath;
    r.body = body;
    r.remote_address = "192.0.2.7";
    const auto& s = sessions.at(who);
    r.headers["cookie"] = std::string(security::kSessionCookieName) + "=" + s.id;
    r.headers["x-csrf-token"] = s.csrf_token;
    return router.handle(r);
  }
  std::vector<security::AuditEntry> changes() {
    std::vector<security::AuditEntry> out;
    for (auto& e : auth.audit()->query(0, INT64_MAX, 1000))
      if (e.action == security::AuditAction::config_change) out.push_back(std::move(e));
    return out;
  }
  AuthContext auth;
  std::shared_ptr<engine::AppendLog<model::Event>> events;
  std::shared_ptr<Sent> sent;
  NotificationContext ctx;
  Router router;
  std::map<Who, security::Session> sessions;
};

model::Event raised(std::string source) {
  model::Event e;
  e.kind = model::EventKind::alarm_raised;
  e.source = std::move(source);
  e.rule = "battery_voltage_low";
  e.severity = model::Severity::alarm;
  e.time_ms = model::system_clock()->now_ms();
  e.text = e.source;
  return e;
}

TEST(NotifyRecipientsApi, OnlyAnAdminEditsAndNoAnswerOrAuditEntryHoldsASecret) {
  TempDir folder;
  RecipientsApi api(folder.path());
  using Who = RecipientsApi::Who;
  std::vector<std::string> answers;
  for (const auto who : {Who::viewer, Who::operator_, Who::admin}) {
    const auto r = api.call(who, "GET");
    ASSERT_EQ(r.status, 200) << "every role reads the list";
    const auto body = json::parse(r.body);
    EXPECT_EQ(body["source"], "site_file");
    EXPECT_EQ(body["recipients"][0]["secret_set"], true);
    answers.push_back(r.body);
  }
  const json change{{"recipients",
                     {{{"name", "night"},
                       {"channel", "webhook"},
                       {"url", "https://night.example.net/hook"},
                       {"secret", "night-s3cret"}}}}};
  for (const auto who : {Who::viewer, Who::operator_}) {
    EXPECT_EQ(api.call(who, "PUT", change.dump()).status, 403);
    EXPECT_EQ(api.call(who, "DELETE").status, 403);
  }
  EXPECT_TRUE(api.changes().empty()) << "a 403 is not a change attempt";

  json bad = change;
  bad["recipients"][0]["url"] = "night.example.net";
  const auto refused = api.call(Who::admin, "PUT", bad.dump());
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(json::parse(refused.body)["field"], "recipients[0].url");
  EXPECT_EQ(json::parse(refused.body)["error"], "expected an http:// or https:// URL");

  const auto saved = api.call(Who::admin, "PUT", change.dump());
  ASSERT_EQ(saved.status, 200) << saved.body;
  EXPECT_EQ(json::parse(saved.body)["source"], "settings_page");
  answers.push_back(saved.body);
  answers.push_back(api.call(Who::viewer, "GET").body);

  // The running notifier took the list: an alarm goes to "night", not to "site-hook".
  api.events->append({raised("battery/1/2")});
  ASSERT_TRUE(api.sent->wait_for("night"));
  {
    std::lock_guard lock(api.sent->mutex);
    EXPECT_EQ(std::count(api.sent->to.begin(), api.sent->to.end(), "site-hook"), 0);
  }

  const auto reverted = api.call(Who::admin, "DELETE");
  ASSERT_EQ(reverted.status, 200);
  EXPECT_EQ(json::parse(reverted.body)["source"], "site_file");
  answers.push_back(reverted.body);

  const auto audited = api.changes();  // newest first
  ASSERT_EQ(audited.size(), 3u);
  EXPECT_EQ(audited[2].user, "adam");
  EXPECT_EQ(audited[2].target, "notify-recipients");
  EXPECT_NE(audited[2].detail.find("refused: recipients[0].url"), std::string::npos)
      << audited[2].detail;
  EXPECT_NE(audited[1].detail.find("added night; changed none; removed site-hook"),
            std::string::npos)
      << audited[1].detail;
  EXPECT_NE(audited[0].detail.find("revert"), std::string::npos) << audited[0].detail;
  for (const auto& e : audited) {
    EXPECT_EQ(e.detail.find("s3cret"), std::string::npos) << e.detail;
  }
  for (const auto& a : answers) EXPECT_EQ(a.find("s3cret"), std::string::npos) << a;
}

}  // namespace
}  // namespace btms::web
