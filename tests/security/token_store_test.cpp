#include "security/token_store.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "temp_dir.hpp"

namespace btms::security {
namespace {

constexpr std::int64_t kNow_ms = 1'700'000'000'000;

class TokenStoreTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::string db_path_ = dir_.file("users.sqlite");
  TokenStore store_{db_path_};
};

TEST_F(TokenStoreTest, AddedTokenVerifiesWithItsRoleAndIsStoredOnlyHashed) {
  const auto token = store_.add("hmi-cabinet-1", Role::operator_, kNow_ms);
  EXPECT_EQ(token.size(), kApiTokenLength);
  EXPECT_TRUE(token.starts_with(kApiTokenPrefix));
  const auto info = store_.verify(token, kNow_ms + 1000);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->name, "hmi-cabinet-1");
  EXPECT_EQ(info->role, Role::operator_);
  EXPECT_EQ(info->created_ms, kNow_ms);

  // The clear token is nowhere in the file.
  std::FILE* f = std::fopen(db_path_.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string bytes;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) bytes.append(buffer, n);
  std::fclose(f);
  EXPECT_EQ(bytes.find(token.substr(kApiTokenPrefix.size())), std::string::npos);
}

TEST_F(TokenStoreTest, TwoTokensAreDifferentAndIndependent) {
  const auto a = store_.add("a", Role::viewer, kNow_ms);
  const auto b = store_.add("b", Role::operator_, kNow_ms);
  EXPECT_NE(a, b);
  EXPECT_EQ(store_.verify(a, kNow_ms)->name, "a");
  EXPECT_EQ(store_.verify(b, kNow_ms)->name, "b");
  EXPECT_TRUE(store_.revoke("a"));
  EXPECT_FALSE(store_.verify(a, kNow_ms).has_value());
  EXPECT_TRUE(store_.verify(b, kNow_ms).has_value());
  EXPECT_FALSE(store_.revoke("a"));
}

TEST_F(TokenStoreTest, RefusesBadAndExistingNames) {
  store_.add("hmi", Role::viewer, kNow_ms);
  EXPECT_THROW(store_.add("hmi", Role::operator_, kNow_ms), std::invalid_argument);
  EXPECT_THROW(store_.add("", Role::viewer, kNow_ms), std::invalid_argument);
  EXPECT_THROW(store_.add("HMI", Role::viewer, kNow_ms), std::invalid_argument);
  EXPECT_THROW(store_.add(std::string(33, 'x'), Role::viewer, kNow_ms), std::invalid_argument);
  ASSERT_EQ(store_.list().size(), 1u);
  EXPECT_EQ(store_.list()[0].role, Role::viewer);  // the refused re-add changed nothing
}

TEST_F(TokenStoreTest, MalformedAndUnknownTokensAreRefused) {
  const auto token = store_.add("hmi", Role::viewer, kNow_ms);
  std::string wrong_digit = token;
  wrong_digit.back() = wrong_digit.back() == '0' ? '1' : '0';
  std::string upper = token;
  upper[kApiTokenPrefix.size()] = 'A';
  const std::string cases[] = {
      "",
      "btms_",
      token.substr(0, token.size() - 1),
      token + "0",
      "xxxx_" + token.substr(kApiTokenPrefix.size()),
      wrong_digit,
      upper,
      std::string(kApiTokenLength, 'a'),
  };
  for (const auto& c : cases) EXPECT_FALSE(store_.verify(c, kNow_ms).has_value()) << c;
}

TEST_F(TokenStoreTest, LastUseIsRecordedAtMostOncePerResolution) {
  const auto token = store_.add("hmi", Role::viewer, kNow_ms);
  EXPECT_EQ(store_.list()[0].last_used_ms, 0);  // never used
  store_.verify(token, kNow_ms + 5'000);
  EXPECT_EQ(store_.list()[0].last_used_ms, kNow_ms + 5'000);
  store_.verify(token, kNow_ms + 5'000 + kTokenLastUseResolution_ms - 1);
  EXPECT_EQ(store_.list()[0].last_used_ms, kNow_ms + 5'000);
  store_.verify(token, kNow_ms + 5'000 + kTokenLastUseResolution_ms);
  EXPECT_EQ(store_.list()[0].last_used_ms, kNow_ms + 5'000 + kTokenLastUseResolution_ms);
}

TEST_F(TokenStoreTest, SurvivesReopening) {
  const auto token = store_.add("hmi", Role::operator_, kNow_ms);
  TokenStore reopened(db_path_);
  EXPECT_EQ(reopened.verify(token, kNow_ms)->role, Role::operator_);
  // A revoke through another connection (the CLI while the gateway runs) is seen at once.
  EXPECT_TRUE(reopened.revoke("hmi"));
  EXPECT_FALSE(store_.verify(token, kNow_ms).has_value());
}

TEST(BearerHeader, Table) {
  const std::pair<std::string, std::string> cases[] = {
      {"Bearer abc", "abc"},
      {"bearer abc", "abc"},
      {"BEARER  abc ", "abc"},
      {"Bearer ", ""},
      {"Bearer", ""},
      {"Basic abc", ""},
      {"", ""},
      {"Bearerabc", ""},
      {"Token abc", ""},
  };
  for (const auto& [header, token] : cases) EXPECT_EQ(bearer_token(header), token) << header;
}

}  // namespace
}  // namespace btms::security
