// The operator endpoints' test fixture: the real router and authorizer (sessions created
// directly, no Argon2), a fake engine, an in-memory history store, two strings (3 and 2
// batteries) and a session per role; requests as a browser sends them (cookie, CSRF header).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "operator_fakes.hpp"
#include "web/api_handlers.hpp"
#include "web/auth_handlers.hpp"
#include "web/operator_handlers.hpp"
#include "web/router.hpp"

namespace btms::web::operator_test {

inline constexpr const char* kClientAddress = "192.0.2.7";
inline constexpr const char* kAlarmKey = "battery/1/2:battery_temperature_alarm";

inline AuthTuning fast_tuning() {
  AuthTuning t;
  t.password_cost = security::PasswordHashCost::minimum();
  return t;
}

inline std::shared_ptr<model::Site> two_strings() {
  auto site = std::make_shared<model::Site>();
  for (const auto& [id, batteries] : {std::pair{1, 3}, std::pair{2, 2}}) {
    model::String s;
    s.id = id;
    s.ups_id = 1;
    s.batteries = batteries;
    site->strings.push_back(s);
  }
  return site;
}

inline model::DischargeRecord discharge(int string_id, std::int64_t start_ms, std::int64_t end_ms) {
  model::DischargeRecord d;
  d.string_id = string_id;
  d.start_ms = start_ms;
  d.end_ms = end_ms;
  d.ah_out = 24.9;
  d.min_battery_voltage_V = {12.02, 11.98, 12.1};
  d.weakest_position = 2;
  return d;
}

enum class Who { nobody, viewer, operator_, admin };

class OperatorApiTest : public ::testing::Test {
 protected:
  OperatorApiTest() : auth(dir.path(), false, false, fast_tuning()) {
    engine->alarm_list.time_ms = 1'767'225'661'000;
    engine::ActiveAlarm a;
    a.key = kAlarmKey;
    a.source = "battery/1/2";
    a.rule = "battery_temperature_alarm";
    a.text = "Battery 1/2 temperature high";
    a.severity = model::Severity::alarm;
    a.since_ms = 1'767'225'600'000;
    a.value = 47.1;
    a.raised_value = 48.2;
    a.unit = "°C";
    a.limit = 45.0;
    engine->alarm_list.alarms.push_back(a);
    ctx.engine = engine;
    ctx.history = history;
    ctx.auth = &auth;
    ctx.site = two_strings();
    ctx.action_timeout = std::chrono::milliseconds(100);
    add_auth_routes(router, auth);
    add_operator_routes(router, ctx);
    const auto now = unix_now_ms();
    sessions[Who::viewer] = auth.sessions().create("vera", security::Role::viewer, now);
    sessions[Who::operator_] = auth.sessions().create("olga", security::Role::operator_, now);
    sessions[Who::admin] = auth.sessions().create("adam", security::Role::admin, now);
    history->records = {discharge(1, 1000, 901'000), discharge(2, 2000, 602'000)};
    history->series["string/1/voltage"] = {{1000, 540, 541, 540.5, 1}, {2000, 539, 539, 539, 1}};
    history->series["string/1/current"] = {{1000, -80, -80, -80, 1}};
    history->series["battery/1/1/voltage"] = {{2000, 12.5, 12.5, 12.5, 1}};
    // battery/1/2 and 1/3 never read: the export must leave their columns empty, not fail.
  }

  Request request(std::string method, std::string target, std::string body = "",
                  Who who = Who::operator_, bool with_csrf = true) {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.remote_address = kClientAddress;
    if (who != Who::nobody) {
      const auto& s = sessions.at(who);
      r.headers["cookie"] = std::string(security::kSessionCookieName) + "=" + s.id;
      if (with_csrf) r.headers["x-csrf-token"] = s.csrf_token;
    }
    return r;
  }
  Response send(std::string method, std::string target, std::string body = "",
                Who who = Who::operator_, bool with_csrf = true) {
    return router.handle(
        request(std::move(method), std::move(target), std::move(body), who, with_csrf));
  }
  std::vector<security::AuditEntry> audit_of(security::AuditAction action) {
    std::vector<security::AuditEntry> out;
    for (auto& e : auth.audit()->query(0, INT64_MAX, 1000)) {
      if (e.action == action) out.push_back(std::move(e));
    }
    return out;
  }

  TempDir dir;
  AuthContext auth;
  std::shared_ptr<RecordingEngine> engine = std::make_shared<RecordingEngine>();
  std::shared_ptr<MemoryHistory> history = std::make_shared<MemoryHistory>();
  OperatorContext ctx;
  Router router;
  std::map<Who, security::Session> sessions;
};

}  // namespace btms::web::operator_test
