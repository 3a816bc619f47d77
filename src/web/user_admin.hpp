// `btms user add NAME --role ROLE --data-dir DIR`: creates an account in the gateway's user
// store from the command line (e.g. the first admin of a headless gateway, or a reset when
// every admin password is lost). The password is read from a stream, never from argv, so it
// does not appear in the process list or shell history.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "security/user_store.hpp"

namespace btms::web {

// Reads the password (twice, and without echo, when password_in is std::cin on a terminal;
// once otherwise, one line) and adds the user to users_db_path(data_dir), auditing the change
// in audit_db_path(data_dir). Messages go to `out`/`err`. Returns the process exit code:
// 0 = added, 1 = refused (bad name/role/password, existing user, mismatch), 2 = I/O error.
int add_user_interactive(
    const std::string& data_dir, const std::string& name, std::string_view role,
    std::istream& password_in, std::ostream& out, std::ostream& err,
    security::PasswordHashCost cost = security::PasswordHashCost::interactive());

}  // namespace btms::web
