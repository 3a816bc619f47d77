#include "security/user_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <string>

#include "temp_dir.hpp"

namespace btms::security {
namespace {

constexpr std::int64_t kNow_ms = 1'700'000'000'000;
const std::string kGoodPassword = "correct-horse-1";

class UserStoreTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::string db_path_ = dir_.file("users.db");
  UserStore store_{db_path_, PasswordHashCost::minimum()};
};

struct NameCase {
  std::string name;
  bool valid;
};

TEST(UserValidation, NameRules) {
  const NameCase cases[] = {
      {"alice", true},
      {"a", true},
      {"ops_team.2-b", true},
      {std::string(32, 'x'), true},
      {std::string(33, 'x'), false},
      {"", false},
      {"Alice", false},
      {"al ice", false},
      {"alice@site", false},
      {"al/ice", false},
      {"ålice", false},
      {std::string("a\0b", 3), false},
  };
  for (const auto& c : cases) {
    if (c.valid) {
      EXPECT_NO_THROW(validate_user_name(c.name)) << c.name;
    } else {
      EXPECT_THROW(validate_user_name(c.name), std::invalid_argument) << c.name;
    }
  }
}

struct PasswordCase {
  std::string password;
  bool valid;
};

TEST(UserValidation, PasswordRules) {
  const PasswordCase cases[] = {
      {std::string(9, 'p'), false},
      {std::string(10, 'p'), true},
      {"", false},
      {std::string(kMaxPasswordLength, 'p'), true},
      {std::string(kMaxPasswordLength + 1, 'p'), false},
      {std::string("abcdefghij\0k", 12), false},
  };
  for (const auto& c : cases) {
    if (c.valid) {
      EXPECT_NO_THROW(validate_password(c.password)) << c.password.size();
    } else {
      EXPECT_THROW(validate_password(c.password), std::invalid_argument) << c.password.size();
    }
  }
}

TEST(UserValidation, ReasonsAreReadable) {
  try {
    validate_password("short");
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("at least 10"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("short"), std::string::npos) << "must not echo";
  }
}

TEST_F(UserStoreTest, DatabaseFileIsOwnerOnly) {
  store_.add_user("root", Role::admin, kGoodPassword, kNow_ms);
  struct stat st {};
  ASSERT_EQ(::stat(db_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(UserStoreTest, EmptyUntilFirstUser) {
  EXPECT_TRUE(store_.empty());
  EXPECT_FALSE(store_.has_admin());
  store_.add_user("admin", Role::admin, kGoodPassword, kNow_ms);
  EXPECT_FALSE(store_.empty());
  EXPECT_TRUE(store_.has_admin());
}

TEST_F(UserStoreTest, AddRejectsInvalidInputWithoutStoring) {
  EXPECT_THROW(store_.add_user("Bad Name", Role::viewer, kGoodPassword, kNow_ms),
               std::invalid_argument);
  EXPECT_THROW(store_.add_user("bob", Role::viewer, "123456789", kNow_ms), std::invalid_argument);
  EXPECT_TRUE(store_.empty());
}

TEST_F(UserStoreTest, DuplicateUserRefused) {
  store_.add_user("bob", Role::viewer, kGoodPassword, kNow_ms);
  EXPECT_THROW(store_.add_user("bob", Role::admin, "another-password", kNow_ms),
               std::invalid_argument);
  // The original account is untouched.
  EXPECT_EQ(store_.verify("bob", kGoodPassword), Role::viewer);
  EXPECT_FALSE(store_.verify("bob", "another-password").has_value());
}

TEST_F(UserStoreTest, VerifyRightAndWrong) {
  store_.add_user("op", Role::operator_, kGoodPassword, kNow_ms);
  EXPECT_EQ(store_.verify("op", kGoodPassword), Role::operator_);
  EXPECT_FALSE(store_.verify("op", "correct-horse-2").has_value());
  EXPECT_FALSE(store_.verify("op", "").has_value());
  EXPECT_FALSE(store_.verify("nobody", kGoodPassword).has_value());
  EXPECT_FALSE(store_.verify("op", std::string(kMaxPasswordLength + 1, 'x')).has_value());
}

TEST_F(UserStoreTest, StoredHashIsArgon2idAndNeverThePassword) {
  store_.add_user("op", Role::operator_, kGoodPassword, kNow_ms);
  store_.add_user("op2", Role::operator_, kGoodPassword, kNow_ms);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT password_hash FROM users ORDER BY name", -1, &stmt, nullptr),
      SQLITE_OK);
  std::vector<std::string> hashes;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    hashes.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);

  ASSERT_EQ(hashes.size(), 2u);
  for (const auto& hash : hashes) {
    EXPECT_NE(hash, kGoodPassword);
    EXPECT_EQ(hash.find(kGoodPassword), std::string::npos);
    EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  }
  // Random salt: the same password never yields the same hash.
  EXPECT_NE(hashes[0], hashes[1]);
}

TEST_F(UserStoreTest, PersistsAcrossReopen) {
  store_.add_user("keeper", Role::admin, kGoodPassword, kNow_ms);
  UserStore reopened(db_path_, PasswordHashCost::minimum());
  EXPECT_EQ(reopened.verify("keeper", kGoodPassword), Role::admin);
  const auto info = reopened.find("keeper");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->created_ms, kNow_ms);
}

TEST_F(UserStoreTest, SetPasswordReplacesOldOne) {
  store_.add_user("op", Role::operator_, kGoodPassword, kNow_ms);
  EXPECT_THROW(store_.set_password("op", "short"), std::invalid_argument);
  EXPECT_TRUE(store_.set_password("op", "brand-new-secret"));
  EXPECT_FALSE(store_.verify("op", kGoodPassword).has_value());
  EXPECT_EQ(store_.verify("op", "brand-new-secret"), Role::operator_);
  EXPECT_FALSE(store_.set_password("ghost", "brand-new-secret"));
}

TEST_F(UserStoreTest, SetRoleListAndRemove) {
  store_.add_user("root", Role::admin, kGoodPassword, kNow_ms);
  store_.add_user("carol", Role::viewer, kGoodPassword, kNow_ms + 1);
  EXPECT_TRUE(store_.set_role("carol", Role::operator_));
  EXPECT_EQ(store_.verify("carol", kGoodPassword), Role::operator_);
  EXPECT_FALSE(store_.set_role("ghost", Role::admin));

  const auto users = store_.list();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].name, "carol");
  EXPECT_EQ(users[0].role, Role::operator_);
  EXPECT_EQ(users[0].created_ms, kNow_ms + 1);
  EXPECT_FALSE(users[0].disabled);
  EXPECT_EQ(users[1].name, "root");

  EXPECT_TRUE(store_.remove_user("carol"));
  EXPECT_FALSE(store_.remove_user("carol"));
  EXPECT_FALSE(store_.verify("carol", kGoodPassword).has_value());
  EXPECT_EQ(store_.list().size(), 1u);
}

TEST_F(UserStoreTest, DisabledUserCannotLogIn) {
  store_.add_user("root", Role::admin, kGoodPassword, kNow_ms);
  store_.add_user("dave", Role::operator_, kGoodPassword, kNow_ms);
  EXPECT_TRUE(store_.set_disabled("dave", true));
  EXPECT_FALSE(store_.verify("dave", kGoodPassword).has_value());
  EXPECT_TRUE(store_.set_disabled("dave", false));
  EXPECT_EQ(store_.verify("dave", kGoodPassword), Role::operator_);
}

TEST_F(UserStoreTest, LastEnabledAdminIsProtected) {
  store_.add_user("root", Role::admin, kGoodPassword, kNow_ms);
  store_.add_user("viewer1", Role::viewer, kGoodPassword, kNow_ms);
  EXPECT_THROW(store_.remove_user("root"), std::invalid_argument);
  EXPECT_THROW(store_.set_role("root", Role::operator_), std::invalid_argument);
  EXPECT_THROW(store_.set_disabled("root", true), std::invalid_argument);
  // Rolled back: root is still an enabled admin.
  EXPECT_EQ(store_.verify("root", kGoodPassword), Role::admin);

  store_.add_user("root2", Role::admin, kGoodPassword, kNow_ms);
  EXPECT_TRUE(store_.set_role("root", Role::operator_));
  EXPECT_TRUE(store_.has_admin());
}

TEST_F(UserStoreTest, FirstAdminOnlyWhileEmpty) {
  EXPECT_THROW(store_.add_first_admin("Root", kGoodPassword, kNow_ms), std::invalid_argument);
  EXPECT_TRUE(store_.empty());
  EXPECT_TRUE(store_.add_first_admin("root", kGoodPassword, kNow_ms));
  EXPECT_EQ(store_.verify("root", kGoodPassword), Role::admin);
  EXPECT_FALSE(store_.add_first_admin("second", kGoodPassword, kNow_ms));
  EXPECT_FALSE(store_.find("second").has_value());
}

std::string stored_hash(const std::string& db_path, const std::string& name) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(
      sqlite3_prepare_v2(db, "SELECT password_hash FROM users WHERE name = ?1", -1, &stmt, nullptr),
      SQLITE_OK);
  sqlite3_bind_text(stmt, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  std::string hash;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    hash = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return hash;
}

TEST_F(UserStoreTest, HashUpgradedWhenCostChanges) {
  store_.add_user("op", Role::operator_, kGoodPassword, kNow_ms);
  const std::string before = stored_hash(db_path_, "op");
  PasswordHashCost stronger = PasswordHashCost::minimum();
  stronger.ops_limit += 1;
  UserStore upgraded(db_path_, stronger);
  // A wrong password never rewrites the hash.
  EXPECT_FALSE(upgraded.verify("op", "wrong-password").has_value());
  EXPECT_EQ(stored_hash(db_path_, "op"), before);
  EXPECT_EQ(upgraded.verify("op", kGoodPassword), Role::operator_);
  const std::string after = stored_hash(db_path_, "op");
  EXPECT_NE(after, before);
  EXPECT_NE(after.find("t=" + std::to_string(stronger.ops_limit)), std::string::npos) << after;
  EXPECT_EQ(upgraded.verify("op", kGoodPassword), Role::operator_);
}

TEST(UserStoreCost, InteractiveIsLibsodiumInteractive) {
  const auto cost = PasswordHashCost::interactive();
  EXPECT_GE(cost.ops_limit, 2u);
  EXPECT_GE(cost.mem_limit_bytes, 64u * 1024 * 1024);
}

TEST(UserStoreCost, InteractiveCostHashRoundTrips) {
  // One real production-cost hash (64 MiB, Argon2id) so the default path is exercised too.
  test::TempDir dir;
  const std::string path = dir.file("users.db");
  UserStore store(path);
  store.add_user("root", Role::admin, kGoodPassword, kNow_ms);
  EXPECT_EQ(store.verify("root", kGoodPassword), Role::admin);
  EXPECT_NE(stored_hash(path, "root").find("$argon2id$v=19$m=65536,"), std::string::npos)
      << stored_hash(path, "root");
}

}  // namespace
}  // namespace btms::security
