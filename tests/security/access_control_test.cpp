#include "security/access_control.hpp"

#include <gtest/gtest.h>

#include <string>

namespace btms::security {
namespace {

constexpr std::int64_t kT0_ms = 1'700'000'000'000;

struct AccessCase {
  const char* what;
  Role have;
  Role need;
  const char* method;
  bool send_cookie;
  bool send_csrf;
  bool correct_csrf;
  AccessDecision expected;
  int status;
};

TEST(AccessControl, DecisionTable) {
  using D = AccessDecision;
  const AccessCase cases[] = {
      {"viewer reads", Role::viewer, Role::viewer, "GET", true, false, false, D::allowed, 200},
      {"no cookie", Role::viewer, Role::viewer, "GET", false, false, false, D::unauthenticated,
       401},
      {"viewer cannot operate", Role::viewer, Role::operator_, "POST", true, true, true,
       D::forbidden, 403},
      {"operator acknowledges", Role::operator_, Role::operator_, "POST", true, true, true,
       D::allowed, 200},
      {"post without csrf", Role::operator_, Role::operator_, "POST", true, false, false,
       D::csrf_failed, 403},
      {"post with wrong csrf", Role::admin, Role::operator_, "POST", true, true, false,
       D::csrf_failed, 403},
      {"delete needs csrf", Role::admin, Role::admin, "DELETE", true, false, false, D::csrf_failed,
       403},
      {"put with csrf", Role::admin, Role::admin, "PUT", true, true, true, D::allowed, 200},
      {"head is safe", Role::viewer, Role::viewer, "HEAD", true, false, false, D::allowed, 200},
      {"operator not admin", Role::operator_, Role::admin, "GET", true, false, false, D::forbidden,
       403},
      {"admin reads", Role::admin, Role::viewer, "GET", true, false, false, D::allowed, 200},
  };
  for (const auto& c : cases) {
    SessionManager sessions;
    const Session s = sessions.create("u", c.have, kT0_ms);
    const std::string cookie = c.send_cookie ? "lang=en; btms_session=" + s.id : "lang=en";
    const std::string csrf =
        !c.send_csrf ? "" : (c.correct_csrf ? s.csrf_token : std::string(64, '0'));
    const AccessResult r = authorize(sessions, c.method, cookie, csrf, c.need, kT0_ms + 1);
    EXPECT_EQ(r.decision, c.expected) << c.what;
    EXPECT_EQ(r.http_status(), c.status) << c.what;
    EXPECT_EQ(r.allowed(), c.expected == D::allowed) << c.what;
    EXPECT_EQ(r.session.has_value(), c.send_cookie) << c.what;
    EXPECT_FALSE(r.reason().empty()) << c.what;
  }
}

TEST(AccessControl, ExpiredSessionIsUnauthenticated) {
  SessionManager sessions;
  const Session s = sessions.create("u", Role::admin, kT0_ms);
  const auto r = authorize(sessions, "GET", "btms_session=" + s.id, "", Role::viewer,
                           kT0_ms + sessions.config().idle_timeout_ms);
  EXPECT_EQ(r.decision, AccessDecision::unauthenticated);
}

TEST(AccessControl, StateChangingMethods) {
  for (const char* m : {"GET", "HEAD", "OPTIONS"}) EXPECT_FALSE(is_state_changing(m)) << m;
  for (const char* m : {"POST", "PUT", "PATCH", "DELETE", "get", ""}) {
    EXPECT_TRUE(is_state_changing(m)) << m;
  }
}

}  // namespace
}  // namespace btms::security
