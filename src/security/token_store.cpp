#include "security/token_store.hpp"

#include <sodium.h>

#include <fmt/format.h>

#include <stdexcept>

#include "security/sodium_init.hpp"
#include "security/sqlite_handle.hpp"
#include "security/user_store.hpp"

namespace btms::security {

using detail::SqliteStatement;

namespace {

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();  // sodium_bin2hex writes a terminating NUL
  return hex;
}

std::string token_hash(std::string_view token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return to_hex(digest, sizeof digest);
}

bool well_formed(std::string_view token) {
  if (token.size() != kApiTokenLength || !token.starts_with(kApiTokenPrefix)) return false;
  for (const char c : token.substr(kApiTokenPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TokenInfo read_token(const SqliteStatement& stmt) {
  TokenInfo info;
  info.name = stmt.column_text(0);
  // A role we do not know (hand-edited file) grants the least privilege.
  info.role = parse_role(stmt.column_text(1)).value_or(Role::viewer);
  info.created_ms = stmt.column_int64(2);
  info.last_used_ms = stmt.column_int64(3);
  return info;
}

}  // namespace

std::string_view bearer_token(std::string_view header) {
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() <= kScheme.size()) return {};
  // The scheme is case-insensitive (RFC 7235).
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = header[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != static_cast<char>(kScheme[i] == ' ' ? ' ' : kScheme[i] | 0x20)) return {};
  }
  auto token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

TokenStore::TokenStore(const std::string& path) {
  ensure_sodium_initialised();
  db_ = std::make_unique<detail::SqliteHandle>(path);
  db_->exec(
      "CREATE TABLE IF NOT EXISTS api_tokens ("
      " name TEXT PRIMARY KEY NOT NULL,"
      " role TEXT NOT NULL,"
      " token_sha256 TEXT NOT NULL UNIQUE,"
      " created_ms INTEGER NOT NULL,"
      " last_used_ms INTEGER NOT NULL DEFAULT 0)");
}

TokenStore::~TokenStore() = default;

std::string TokenStore::add(const std::string& name, Role role, std::int64_t now_ms) {
  validate_user_name(name);
  unsigned char secret[32];
  randombytes_buf(secret, sizeof secret);
  std::string token = std::string(kApiTokenPrefix) + to_hex(secret, sizeof secret);
  sodium_memzero(secret, sizeof secret);
  std::lock_guard lock(mutex_);
  SqliteStatement stmt(*db_,
                       "INSERT OR IGNORE INTO api_tokens (name, role, token_sha256, created_ms, "
                       "last_used_ms) VALUES (?1, ?2, ?3, ?4, 0)");
  stmt.bind(1, name).bind(2, to_string(role)).bind(3, token_hash(token)).bind(4, now_ms);
  stmt.run();
  if (stmt.changes() == 0) {
    throw std::invalid_argument(fmt::format("token '{}' already exists", name));
  }
  return token;
}

bool TokenStore::revoke(const std::string& name) {
  std::lock_guard lock(mutex_);
  SqliteStatement stmt(*db_, "DELETE FROM api_tokens WHERE name = ?1");
  stmt.bind(1, name);
  stmt.run();
  return stmt.changes() > 0;
}

std::vector<TokenInfo> TokenStore::list() const {
  std::lock_guard lock(mutex_);
  SqliteStatement stmt(*db_,
                       "SELECT name, role, created_ms, last_used_ms FROM api_tokens ORDER BY name");
  std::vector<TokenInfo> tokens;
  while (stmt.step()) tokens.push_back(read_token(stmt));
  return tokens;
}

std::optional<TokenInfo> TokenStore::verify(std::string_view token, std::int64_t now_ms) {
  if (!well_formed(token)) return std::nullopt;
  const std::string hash = token_hash(token);
  std::lock_guard lock(mutex_);
  SqliteStatement find(*db_,
                       "SELECT name, role, created_ms, last_used_ms FROM api_tokens "
                       "WHERE token_sha256 = ?1");
  find.bind(1, hash);
  if (!find.step()) return std::nullopt;
  auto info = read_token(find);
  if (now_ms - info.last_used_ms >= kTokenLastUseResolution_ms) {
    // Best effort: a busy or full disk must not refuse a valid token.
    try {
      SqliteStatement touch(*db_, "UPDATE api_tokens SET last_used_ms = ?2 WHERE name = ?1");
      touch.bind(1, info.name).bind(2, now_ms);
      touch.run();
      info.last_used_ms = now_ms;
    } catch (const std::exception&) {
    }
  }
  return info;
}

}  // namespace btms::security
