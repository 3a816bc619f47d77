#include "security/audit_log.hpp"

#include <gtest/gtest.h>

#include <string>

#include "security/user_store.hpp"
#include "temp_dir.hpp"

namespace btms::security {
namespace {

constexpr std::int64_t kT0_ms = 1'700'000'000'000;

TEST(AuditAction, NamesRoundTrip) {
  for (const auto action :
       {AuditAction::login, AuditAction::login_failed, AuditAction::logout,
        AuditAction::acknowledge, AuditAction::reset, AuditAction::relay_command,
        AuditAction::config_change, AuditAction::user_change, AuditAction::access_denied}) {
    EXPECT_EQ(parse_audit_action(to_string(action)), action) << to_string(action);
  }
  EXPECT_FALSE(parse_audit_action("bogus").has_value());
}

TEST(AuditLog, AppendAndQueryNewestFirst) {
  test::TempDir dir;
  AuditLog log(dir.file("audit.db"));
  ASSERT_TRUE(log.append(kT0_ms + 10, "alice", "10.0.0.1", AuditAction::login, "", "ok"));
  ASSERT_TRUE(log.append({.time_ms = kT0_ms + 30,
                          .user = "alice",
                          .source_address = "10.0.0.1",
                          .action = AuditAction::relay_command,
                          .target = "relay/2",
                          .detail = "on"}));
  ASSERT_TRUE(log.append(kT0_ms + 20, "alice", "10.0.0.1", AuditAction::acknowledge, "battery/3/17",
                         "high resistance"));
  ASSERT_TRUE(log.append(kT0_ms + 20, "bob", "10.0.0.2", AuditAction::reset, "alarm/5", ""));

  const auto all = log.query(kT0_ms, kT0_ms + 100, 100);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].action, AuditAction::relay_command);
  EXPECT_EQ(all[0].target, "relay/2");
  EXPECT_EQ(all[0].detail, "on");
  // Equal timestamps: the later append comes first.
  EXPECT_EQ(all[1].action, AuditAction::reset);
  EXPECT_EQ(all[1].user, "bob");
  EXPECT_EQ(all[1].source_address, "10.0.0.2");
  EXPECT_EQ(all[2].action, AuditAction::acknowledge);
  EXPECT_EQ(all[3].action, AuditAction::login);
  EXPECT_EQ(log.failed_appends(), 0u);
}

struct RangeCase {
  std::int64_t from_ms;
  std::int64_t to_ms;
  std::size_t limit;
  std::vector<std::int64_t> expected_ms;
};

TEST(AuditLog, QueryRangeAndLimit) {
  test::TempDir dir;
  AuditLog log(dir.file("audit.db"));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(log.append(kT0_ms + i * 100, "u", "a", AuditAction::config_change, "t", ""));
  }
  const RangeCase cases[] = {
      {kT0_ms, kT0_ms + 900, 3, {kT0_ms + 900, kT0_ms + 800, kT0_ms + 700}},
      {kT0_ms + 200, kT0_ms + 400, 100, {kT0_ms + 400, kT0_ms + 300, kT0_ms + 200}},
      {kT0_ms + 201, kT0_ms + 299, 100, {}},
      {kT0_ms, kT0_ms + 900, 0, {}},
      {kT0_ms + 900, kT0_ms, 10, {}},
  };
  for (const auto& c : cases) {
    const auto got = log.query(c.from_ms, c.to_ms, c.limit);
    std::vector<std::int64_t> times;
    for (const auto& e : got) times.push_back(e.time_ms);
    EXPECT_EQ(times, c.expected_ms) << c.from_ms - kT0_ms << ".." << c.to_ms - kT0_ms;
  }
}

TEST(AuditLog, PersistsAndPrunes) {
  test::TempDir dir;
  {
    AuditLog log(dir.file("audit.db"));
    ASSERT_TRUE(log.append(kT0_ms, "u", "a", AuditAction::login, "", ""));
    ASSERT_TRUE(log.append(kT0_ms + 1000, "u", "a", AuditAction::logout, "", ""));
  }
  AuditLog reopened(dir.file("audit.db"));
  ASSERT_EQ(reopened.query(0, kT0_ms * 2, 10).size(), 2u);
  EXPECT_EQ(reopened.prune_before(kT0_ms + 1000), 1);
  const auto left = reopened.query(0, kT0_ms * 2, 10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].action, AuditAction::logout);
}

TEST(AuditLog, FullStorageReturnsFalseAndCountsWithoutThrowing) {
  test::TempDir dir;
  // A tiny page cap stands in for a full disk: SQLite reports SQLITE_FULL either way.
  AuditLog log(dir.file("audit.db"), {.max_page_count = 8});
  const std::string detail(1000, 'd');
  int stored = 0;
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    bool ok = true;
    EXPECT_NO_THROW(ok = log.append(kT0_ms + i, "u", "a", AuditAction::config_change, "t", detail));
    if (ok) {
      ++stored;
    } else {
      refused = true;
    }
  }
  ASSERT_TRUE(refused) << "the page cap was never reached";
  EXPECT_GT(stored, 0);
  EXPECT_EQ(log.failed_appends(), 1u);
  EXPECT_FALSE(log.append(kT0_ms + 1000, "u", "a", AuditAction::login, "", detail));
  EXPECT_EQ(log.failed_appends(), 2u);
  // Earlier entries are intact and readable.
  EXPECT_EQ(log.query(0, kT0_ms * 2, 1000).size(), static_cast<std::size_t>(stored));
  // Freeing space makes appends work again.
  EXPECT_GT(log.prune_before(kT0_ms + 1000), 0);
  EXPECT_TRUE(log.append(kT0_ms + 2000, "u", "a", AuditAction::login, "", "small"));
}

TEST(AuditLog, OversizedFieldsAreCapped) {
  test::TempDir dir;
  AuditLog log(dir.file("audit.db"));
  ASSERT_TRUE(log.append(kT0_ms, std::string(5000, 'u'), "a", AuditAction::login, "",
                         std::string(100000, 'd')));
  const auto got = log.query(0, kT0_ms, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].user.size(), 1024u);
  EXPECT_EQ(got[0].detail.size(), 1024u);
}

TEST(AuditLog, SharesAFileWithTheUserStore) {
  test::TempDir dir;
  const std::string path = dir.file("security.db");
  UserStore users(path, PasswordHashCost::minimum());
  AuditLog log(path);
  users.add_user("root", Role::admin, "long-enough-pw", kT0_ms);
  ASSERT_TRUE(log.append(kT0_ms, "root", "127.0.0.1", AuditAction::user_change, "user/root", ""));
  EXPECT_EQ(users.list().size(), 1u);
  EXPECT_EQ(log.query(0, kT0_ms, 10).size(), 1u);
}

}  // namespace
}  // namespace btms::security
