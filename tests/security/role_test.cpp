#include "security/role.hpp"

#include <gtest/gtest.h>

namespace btms::security {
namespace {

struct RoleCase {
  Role have;
  Role need;
  bool allowed;
};

TEST(Role, MatrixAdminContainsOperatorContainsViewer) {
  const RoleCase cases[] = {
      {Role::viewer, Role::viewer, true},       {Role::viewer, Role::operator_, false},
      {Role::viewer, Role::admin, false},       {Role::operator_, Role::viewer, true},
      {Role::operator_, Role::operator_, true}, {Role::operator_, Role::admin, false},
      {Role::admin, Role::viewer, true},        {Role::admin, Role::operator_, true},
      {Role::admin, Role::admin, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(allows(c.have, c.need), c.allowed)
        << to_string(c.have) << " needing " << to_string(c.need);
  }
}

TEST(Role, InvalidEnumValueGrantsNothing) {
  const auto bogus = static_cast<Role>(42);
  EXPECT_FALSE(allows(bogus, Role::viewer));
  EXPECT_FALSE(allows(Role::admin, bogus));
}

TEST(Role, ToStringParseRoundTrip) {
  for (const Role role : {Role::viewer, Role::operator_, Role::admin}) {
    EXPECT_EQ(parse_role(to_string(role)), role);
  }
  EXPECT_EQ(to_string(Role::operator_), "operator");
}

TEST(Role, ParseRejectsUnknownText) {
  for (const char* text : {"", "Admin", "ADMIN", "operator_", " viewer", "root", "admin "}) {
    EXPECT_FALSE(parse_role(text).has_value()) << '"' << text << '"';
  }
}

}  // namespace
}  // namespace btms::security
