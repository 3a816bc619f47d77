#include "security/login_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"

namespace btms::security {
namespace {

constexpr std::int64_t kT0_ms = 1'700'000'000'000;
const std::string kPassword = "a-long-enough-password";

class LoginServiceTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  UserStore users_{dir_.file("users.db"), PasswordHashCost::minimum()};
  SessionManager sessions_;
  LoginRateLimiter limiter_;
  AuditLog audit_{dir_.file("audit.db")};
  LoginService service_{users_, sessions_, limiter_, audit_};

  std::vector<AuditEntry> audit_entries() { return audit_.query(0, kT0_ms * 2, 1000); }
};

TEST_F(LoginServiceTest, SetupRequiredUntilFirstAdminExists) {
  EXPECT_EQ(service_.login("root", kPassword, "10.0.0.1", kT0_ms).status,
            LoginStatus::setup_required);
  EXPECT_THROW(service_.create_first_admin("root", "short", "10.0.0.1", kT0_ms),
               std::invalid_argument);
  const auto session = service_.create_first_admin("root", kPassword, "10.0.0.1", kT0_ms);
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->role, Role::admin);
  EXPECT_TRUE(sessions_.lookup(session->id, kT0_ms + 1).has_value());
  // A second bootstrap attempt is refused and audited.
  EXPECT_FALSE(service_.create_first_admin("evil", kPassword, "10.6.6.6", kT0_ms + 2));
  EXPECT_FALSE(users_.find("evil").has_value());
  const auto entries = audit_entries();
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries[0].action, AuditAction::access_denied);
  EXPECT_EQ(entries[0].source_address, "10.6.6.6");
}

TEST_F(LoginServiceTest, SuccessfulLoginCreatesSessionAndAudits) {
  users_.add_user("op", Role::operator_, kPassword, kT0_ms);
  const auto outcome = service_.login("op", kPassword, "10.0.0.1", kT0_ms + 5);
  ASSERT_EQ(outcome.status, LoginStatus::ok);
  ASSERT_TRUE(outcome.session.has_value());
  EXPECT_EQ(outcome.session->role, Role::operator_);
  const auto entries = audit_entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].action, AuditAction::login);
  EXPECT_EQ(entries[0].user, "op");
  EXPECT_EQ(entries[0].time_ms, kT0_ms + 5);
  EXPECT_EQ(entries[0].detail.find(kPassword), std::string::npos);
}

TEST_F(LoginServiceTest, FailuresLockOutThenUnlock) {
  users_.add_user("op", Role::operator_, kPassword, kT0_ms);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(service_.login("op", "wrong-password!", "10.0.0.1", kT0_ms + i).status,
              LoginStatus::bad_credentials);
  }
  // Even the right password is refused during the lockout, without revealing it was right.
  const auto locked = service_.login("op", kPassword, "10.0.0.1", kT0_ms + 10);
  EXPECT_EQ(locked.status, LoginStatus::locked_out);
  EXPECT_GT(locked.retry_after_ms, 0);
  EXPECT_FALSE(locked.session.has_value());

  const auto later = service_.login("op", kPassword, "10.0.0.1", kT0_ms + 4 + 15 * 60 * 1000);
  EXPECT_EQ(later.status, LoginStatus::ok);

  int failed = 0;
  for (const auto& e : audit_entries()) {
    if (e.action == AuditAction::login_failed) ++failed;
    EXPECT_EQ(e.detail.find("wrong-password"), std::string::npos);
  }
  EXPECT_EQ(failed, 6);  // five bad passwords + one locked-out attempt
}

// Issue 17 item 8, "count attempts exactly": parallel guesses from one address used to pass
// the check together and be counted only after the password hash; exactly five reach it now.
TEST_F(LoginServiceTest, ParallelGuessesAreCountedExactly) {
  users_.add_user("op", Role::operator_, kPassword, kT0_ms);
  std::atomic<int> checked{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      const auto status = service_.login("op", "wrong-password!", "10.0.0.1", kT0_ms).status;
      if (status == LoginStatus::bad_credentials) ++checked;
      if (status == LoginStatus::locked_out) ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(checked.load(), 5);
  EXPECT_EQ(refused.load(), 15);
}

TEST_F(LoginServiceTest, UnknownUserAndWrongPasswordLookTheSame) {
  users_.add_user("op", Role::operator_, kPassword, kT0_ms);
  const auto unknown = service_.login("ghost", kPassword, "10.0.0.1", kT0_ms);
  const auto wrong = service_.login("op", "not-the-password", "10.0.0.2", kT0_ms);
  EXPECT_EQ(unknown.status, LoginStatus::bad_credentials);
  EXPECT_EQ(wrong.status, LoginStatus::bad_credentials);
}

TEST_F(LoginServiceTest, LogoutEndsSessionAndAudits) {
  users_.add_user("op", Role::operator_, kPassword, kT0_ms);
  const auto outcome = service_.login("op", kPassword, "10.0.0.1", kT0_ms);
  ASSERT_TRUE(outcome.session.has_value());
  EXPECT_TRUE(service_.logout(outcome.session->id, "10.0.0.1", kT0_ms + 1));
  EXPECT_FALSE(service_.logout(outcome.session->id, "10.0.0.1", kT0_ms + 2));
  EXPECT_FALSE(sessions_.lookup(outcome.session->id, kT0_ms + 3).has_value());
  EXPECT_EQ(audit_entries().at(0).action, AuditAction::logout);
}

}  // namespace
}  // namespace btms::security
