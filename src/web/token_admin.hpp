// `btms token add|list|revoke`: API tokens of machine clients (the local display, an
// aggregator) managed from the gateway's shell, in the gateway's user store and audited like
// account changes. The clear token is printed once by add and is never stored.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace btms::web {

// Exit codes: 0 = done, 1 = refused (bad name or role, existing or unknown token),
// 2 = the store cannot be opened. `now_ms` is the wall-clock time of the change.
int add_token(const std::string& data_dir, const std::string& name, std::string_view role,
              std::int64_t now_ms, std::ostream& out, std::ostream& err);
int list_tokens(const std::string& data_dir, std::int64_t now_ms, std::ostream& out,
                std::ostream& err);
int revoke_token(const std::string& data_dir, const std::string& name, std::int64_t now_ms,
                 std::ostream& out, std::ostream& err);

}  // namespace btms::web
