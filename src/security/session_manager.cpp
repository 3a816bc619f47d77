#include "security/session_manager.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "security/sodium_init.hpp"

namespace btms::security {

namespace {
constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kTokenHexChars = kTokenBytes * 2;

std::string random_hex_token() {
  std::array<unsigned char, kTokenBytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, kTokenHexChars + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  sodium_memzero(bytes.data(), bytes.size());
  return std::string(hex.data(), kTokenHexChars);
}

bool well_formed_token(std::string_view token) {
  if (token.size() != kTokenHexChars) return false;
  for (const char c : token) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}
}  // namespace

SessionManager::SessionManager(SessionConfig config) : config_(config) {
  ensure_sodium_initialised();
}

bool SessionManager::expired(const Session& session, std::int64_t now_ms) const {
  return now_ms - session.last_seen_ms >= config_.idle_timeout_ms ||
         now_ms - session.created_ms >= config_.absolute_timeout_ms;
}

void SessionManager::evict_oldest_locked() {
  auto oldest = sessions_.end();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (oldest == sessions_.end() || it->second.last_seen_ms < oldest->second.last_seen_ms) {
      oldest = it;
    }
  }
  if (oldest != sessions_.end()) sessions_.erase(oldest);
}

Session SessionManager::create(const std::string& user, Role role, std::int64_t now_ms) {
  Session session;
  session.id = random_hex_token();
  session.csrf_token = random_hex_token();
  session.user = user;
  session.role = role;
  session.created_ms = now_ms;
  session.last_seen_ms = now_ms;

  std::lock_guard lock(mutex_);
  if (sessions_.size() >= config_.max_sessions) {
    std::erase_if(sessions_, [&](const auto& entry) { return expired(entry.second, now_ms); });
  }
  while (!sessions_.empty() && sessions_.size() >= config_.max_sessions) evict_oldest_locked();
  sessions_.emplace(session.id, session);
  return session;
}

std::optional<Session> SessionManager::lookup(std::string_view id, std::int64_t now_ms) {
  // Reject garbage before hashing it into the map; ids are lower-case hex only.
  if (!well_formed_token(id)) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return std::nullopt;
  if (expired(it->second, now_ms)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen_ms = std::max(it->second.last_seen_ms, now_ms);
  return it->second;
}

bool SessionManager::logout(std::string_view id) {
  std::lock_guard lock(mutex_);
  return sessions_.erase(std::string(id)) > 0;
}

std::size_t SessionManager::logout_user(std::string_view user) {
  std::lock_guard lock(mutex_);
  return std::erase_if(sessions_, [&](const auto& entry) { return entry.second.user == user; });
}

std::size_t SessionManager::update_role(std::string_view user, Role role) {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (auto& [id, session] : sessions_) {
    if (session.user == user) {
      session.role = role;
      ++count;
    }
  }
  return count;
}

std::size_t SessionManager::prune(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  return std::erase_if(sessions_, [&](const auto& entry) { return expired(entry.second, now_ms); });
}

std::size_t SessionManager::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

bool SessionManager::check_csrf(const Session& session, std::string_view token) {
  // Length is public (always 64), so checking it first leaks nothing about the token.
  if (session.csrf_token.empty() || token.size() != session.csrf_token.size()) return false;
  return sodium_memcmp(session.csrf_token.data(), token.data(), token.size()) == 0;
}

std::string SessionManager::cookie_header(std::string_view session_id) const {
  std::string header;
  header.append(kSessionCookieName).append("=").append(session_id).append("; HttpOnly");
  if (config_.secure_cookie) header.append("; Secure");
  header.append("; SameSite=Strict; Path=/");
  return header;
}

std::string SessionManager::clear_cookie_header() const {
  std::string header;
  header.append(kSessionCookieName).append("=; HttpOnly");
  if (config_.secure_cookie) header.append("; Secure");
  header.append("; SameSite=Strict; Path=/; Max-Age=0");
  return header;
}

std::string SessionManager::session_id_from_cookie(std::string_view cookie_header) {
  // Cookie: a=1; btms_session=abc; b=2
  std::size_t pos = 0;
  while (pos < cookie_header.size()) {
    std::size_t end = cookie_header.find(';', pos);
    if (end == std::string_view::npos) end = cookie_header.size();
    std::string_view pair = cookie_header.substr(pos, end - pos);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == kSessionCookieName) {
      std::string_view value = pair.substr(eq + 1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
      return std::string(value);
    }
    pos = end + 1;
  }
  return {};
}

}  // namespace btms::security
