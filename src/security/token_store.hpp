// API tokens for machine clients (the local display BM-HMI, an aggregator): a named, random
// bearer secret with a role, kept beside the user accounts in users.sqlite. Only a SHA-256 of
// each token is stored: the secret has 256 random bits, so a fast hash is as good as Argon2 and
// lets every request be checked without a password-hash's cost. The clear token exists only in
// the answer of add() (printed once by `btms token add`).
//
// Thread-safe: one mutex guards the connection.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "security/role.hpp"

namespace btms::security {

namespace detail {
class SqliteHandle;
}

// Every token starts with this, so a leaked one is recognisable in logs and secret scanners.
inline constexpr std::string_view kApiTokenPrefix = "btms_";
// "btms_" + 64 hex characters (32 random bytes).
inline constexpr std::size_t kApiTokenLength = kApiTokenPrefix.size() + 64;
// Writing the last use on every request would turn each read into a disk write: the stored
// value is refreshed at most once per this interval.
inline constexpr std::int64_t kTokenLastUseResolution_ms = 60'000;

struct TokenInfo {
  std::string name;
  Role role = Role::viewer;
  std::int64_t created_ms = 0;
  std::int64_t last_used_ms = 0;  // 0 = never used
};

class TokenStore {
 public:
  // Opens or creates the token table in `path` (the users file; ":memory:" for tests).
  explicit TokenStore(const std::string& path);
  ~TokenStore();
  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;

  // Makes a new token and returns it in clear (the only time it is known). Token names follow
  // the user-name rules. Throws std::invalid_argument for a bad or existing name.
  std::string add(const std::string& name, Role role, std::int64_t now_ms);
  // False when no such token.
  bool revoke(const std::string& name);
  std::vector<TokenInfo> list() const;  // sorted by name

  // The token's record when `token` is a stored token; records the use (see
  // kTokenLastUseResolution_ms). nullopt for anything else, including malformed input.
  std::optional<TokenInfo> verify(std::string_view token, std::int64_t now_ms);

 private:
  mutable std::mutex mutex_;
  std::unique_ptr<detail::SqliteHandle> db_;
};

// The token of an "Authorization: Bearer <token>" header value; empty when it is not one.
std::string_view bearer_token(std::string_view authorization_header);

}  // namespace btms::security
