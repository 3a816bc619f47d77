// Gateway access roles (IEC 62443-4-2 CR 2.1 authorisation enforcement): viewer reads,
// operator also acknowledges alarms and issues relay commands, admin also manages users and
// configuration. Each role includes every lower one.
#pragma once

#include <optional>
#include <string_view>

namespace btms::security {

enum class Role { viewer, operator_, admin };

// True when a principal holding `have` may perform an action requiring `need`.
bool allows(Role have, Role need);

// "viewer" / "operator" / "admin".
std::string_view to_string(Role role);
// Inverse of to_string; nullopt for anything else (case-sensitive, no trimming).
std::optional<Role> parse_role(std::string_view text);

}  // namespace btms::security
