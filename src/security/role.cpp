#include "security/role.hpp"

namespace btms::security {

namespace {
// Explicit ranks rather than the enum's underlying value so reordering the enum cannot
// silently change who may do what.
int rank(Role role) {
  switch (role) {
    case Role::viewer:
      return 0;
    case Role::operator_:
      return 1;
    case Role::admin:
      return 2;
  }
  return -1;  // unreachable for valid enumerators; an invalid value is granted nothing
}
}  // namespace

bool allows(Role have, Role need) {
  const int have_rank = rank(have);
  const int need_rank = rank(need);
  return have_rank >= 0 && need_rank >= 0 && have_rank >= need_rank;
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::viewer:
      return "viewer";
    case Role::operator_:
      return "operator";
    case Role::admin:
      return "admin";
  }
  return "invalid";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "viewer") return Role::viewer;
  if (text == "operator") return Role::operator_;
  if (text == "admin") return Role::admin;
  return std::nullopt;
}

}  // namespace btms::security
