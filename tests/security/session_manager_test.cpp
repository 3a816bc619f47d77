#include "security/session_manager.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace btms::security {
namespace {

constexpr std::int64_t kMinute_ms = 60 * 1000;
constexpr std::int64_t kT0_ms = 1'700'000'000'000;

bool is_lower_hex(const std::string& text) {
  return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(SessionManager, CreateGivesRandomIdsAndTokens) {
  SessionManager sessions;
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const Session s = sessions.create("alice", Role::operator_, kT0_ms);
    EXPECT_EQ(s.id.size(), 64u);
    EXPECT_EQ(s.csrf_token.size(), 64u);
    EXPECT_TRUE(is_lower_hex(s.id));
    EXPECT_TRUE(is_lower_hex(s.csrf_token));
    EXPECT_NE(s.id, s.csrf_token);
    EXPECT_TRUE(seen.insert(s.id).second);
    EXPECT_TRUE(seen.insert(s.csrf_token).second);
  }
  EXPECT_EQ(sessions.size(), 50u);
}

TEST(SessionManager, LookupReturnsUserAndRole) {
  SessionManager sessions;
  const Session s = sessions.create("alice", Role::admin, kT0_ms);
  const auto found = sessions.lookup(s.id, kT0_ms + 1);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user, "alice");
  EXPECT_EQ(found->role, Role::admin);
  EXPECT_EQ(found->csrf_token, s.csrf_token);
}

TEST(SessionManager, UnknownOrMalformedIdsRejected) {
  SessionManager sessions;
  const Session s = sessions.create("alice", Role::admin, kT0_ms);
  std::string upper = s.id;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& id : {std::string(), std::string(64, '0'), s.id.substr(1), s.id + "0",
                                std::string("x") + s.id.substr(1)}) {
    EXPECT_FALSE(sessions.lookup(id, kT0_ms).has_value()) << id;
  }
  if (upper != s.id) {
    EXPECT_FALSE(sessions.lookup(upper, kT0_ms).has_value());
  }
}

struct ExpiryCase {
  const char* what;
  std::vector<std::int64_t> touches_ms;  // lookups after creation, relative to creation
  std::int64_t final_ms;                 // final lookup, relative to creation
  bool alive;
};

TEST(SessionManager, IdleAndAbsoluteExpiry) {
  const ExpiryCase cases[] = {
      {"just before idle", {}, 30 * kMinute_ms - 1, true},
      {"at idle limit", {}, 30 * kMinute_ms, false},
      {"activity keeps alive", {20 * kMinute_ms, 40 * kMinute_ms}, 69 * kMinute_ms, true},
      {"idle after activity", {20 * kMinute_ms}, 50 * kMinute_ms, false},
      {"absolute limit despite activity",
       [] {
         std::vector<std::int64_t> t;
         for (std::int64_t m = 20; m < 12 * 60; m += 20) t.push_back(m * kMinute_ms);
         return t;
       }(),
       12 * 60 * kMinute_ms, false},
      {"just before absolute",
       [] {
         std::vector<std::int64_t> t;
         for (std::int64_t m = 20; m < 12 * 60; m += 20) t.push_back(m * kMinute_ms);
         return t;
       }(),
       12 * 60 * kMinute_ms - 1, true},
  };
  for (const auto& c : cases) {
    SessionManager sessions;
    const Session s = sessions.create("u", Role::viewer, kT0_ms);
    for (const auto t : c.touches_ms) {
      ASSERT_TRUE(sessions.lookup(s.id, kT0_ms + t).has_value()) << c.what << " touch " << t;
    }
    EXPECT_EQ(sessions.lookup(s.id, kT0_ms + c.final_ms).has_value(), c.alive) << c.what;
    if (!c.alive) {
      // Expired sessions are gone for good, even if time were to go backwards.
      EXPECT_FALSE(sessions.lookup(s.id, kT0_ms).has_value()) << c.what;
      EXPECT_EQ(sessions.size(), 0u) << c.what;
    }
  }
}

TEST(SessionManager, ConfigurableTimeouts) {
  SessionManager sessions({.idle_timeout_ms = 1000, .absolute_timeout_ms = 5000});
  const Session s = sessions.create("u", Role::viewer, kT0_ms);
  EXPECT_TRUE(sessions.lookup(s.id, kT0_ms + 999).has_value());
  EXPECT_FALSE(sessions.lookup(s.id, kT0_ms + 1999).has_value());
}

TEST(SessionManager, LogoutEndsSession) {
  SessionManager sessions;
  const Session a = sessions.create("alice", Role::admin, kT0_ms);
  const Session b = sessions.create("bob", Role::viewer, kT0_ms);
  EXPECT_TRUE(sessions.logout(a.id));
  EXPECT_FALSE(sessions.logout(a.id));
  EXPECT_FALSE(sessions.lookup(a.id, kT0_ms).has_value());
  EXPECT_TRUE(sessions.lookup(b.id, kT0_ms).has_value());
}

TEST(SessionManager, LogoutUserAndUpdateRole) {
  SessionManager sessions;
  const Session a1 = sessions.create("alice", Role::admin, kT0_ms);
  const Session a2 = sessions.create("alice", Role::admin, kT0_ms);
  const Session b = sessions.create("bob", Role::operator_, kT0_ms);
  EXPECT_EQ(sessions.update_role("bob", Role::viewer), 1u);
  EXPECT_EQ(sessions.lookup(b.id, kT0_ms)->role, Role::viewer);
  EXPECT_EQ(sessions.logout_user("alice"), 2u);
  EXPECT_FALSE(sessions.lookup(a1.id, kT0_ms).has_value());
  EXPECT_FALSE(sessions.lookup(a2.id, kT0_ms).has_value());
  EXPECT_TRUE(sessions.lookup(b.id, kT0_ms).has_value());
}

TEST(SessionManager, BoundedSessionCountEvictsLeastRecentlyUsed) {
  SessionManager sessions({.max_sessions = 3});
  const Session s1 = sessions.create("u1", Role::viewer, kT0_ms);
  const Session s2 = sessions.create("u2", Role::viewer, kT0_ms + 1);
  const Session s3 = sessions.create("u3", Role::viewer, kT0_ms + 2);
  ASSERT_TRUE(sessions.lookup(s1.id, kT0_ms + 3).has_value());  // s2 is now the stalest
  const Session s4 = sessions.create("u4", Role::viewer, kT0_ms + 4);
  EXPECT_EQ(sessions.size(), 3u);
  EXPECT_FALSE(sessions.lookup(s2.id, kT0_ms + 5).has_value());
  EXPECT_TRUE(sessions.lookup(s1.id, kT0_ms + 5).has_value());
  EXPECT_TRUE(sessions.lookup(s3.id, kT0_ms + 5).has_value());
  EXPECT_TRUE(sessions.lookup(s4.id, kT0_ms + 5).has_value());
}

TEST(SessionManager, PruneDropsExpired) {
  SessionManager sessions;
  sessions.create("old", Role::viewer, kT0_ms);
  const Session fresh = sessions.create("new", Role::viewer, kT0_ms + 20 * kMinute_ms);
  EXPECT_EQ(sessions.prune(kT0_ms + 31 * kMinute_ms), 1u);
  EXPECT_EQ(sessions.size(), 1u);
  EXPECT_TRUE(sessions.lookup(fresh.id, kT0_ms + 31 * kMinute_ms).has_value());
}

TEST(SessionManager, CsrfMatchAndMismatch) {
  SessionManager sessions;
  const Session s = sessions.create("alice", Role::admin, kT0_ms);
  const Session other = sessions.create("alice", Role::admin, kT0_ms);
  std::string flipped = s.csrf_token;
  flipped.back() = flipped.back() == 'a' ? 'b' : 'a';
  struct CsrfCase {
    std::string token;
    bool ok;
  };
  const CsrfCase cases[] = {
      {s.csrf_token, true},
      {flipped, false},
      {other.csrf_token, false},
      {"", false},
      {s.csrf_token.substr(0, 63), false},
      {s.csrf_token + "0", false},
      {s.id, false},
  };
  for (const auto& c : cases) EXPECT_EQ(SessionManager::check_csrf(s, c.token), c.ok) << c.token;

  Session blank;  // a default session must never validate an empty token
  EXPECT_FALSE(SessionManager::check_csrf(blank, ""));
}

TEST(SessionManager, CookieHeaderFlags) {
  const std::string id(64, 'a');
  EXPECT_EQ(SessionManager().cookie_header(id),
            "btms_session=" + id + "; HttpOnly; Secure; SameSite=Strict; Path=/");
  EXPECT_EQ(SessionManager({.secure_cookie = false}).cookie_header(id),
            "btms_session=" + id + "; HttpOnly; SameSite=Strict; Path=/");
  EXPECT_EQ(SessionManager().clear_cookie_header(),
            "btms_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0");
}

TEST(SessionManager, SessionIdFromCookieHeader) {
  struct CookieCase {
    const char* header;
    const char* id;
  };
  const CookieCase cases[] = {
      {"btms_session=abc", "abc"},
      {"theme=dark; btms_session=abc; lang=en", "abc"},
      {"theme=dark;btms_session=abc", "abc"},
      {"xbtms_session=abc", ""},
      {"btms_sessionx=abc", ""},
      {"", ""},
      {"btms_session=", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(SessionManager::session_id_from_cookie(c.header), c.id) << c.header;
  }
}

TEST(SessionManager, ConcurrentUseFromServerThreads) {
  // The web server calls from several I/O threads; under ASan this catches unguarded access.
  SessionManager sessions({.max_sessions = 64});
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const Session s = sessions.create("u" + std::to_string(t), Role::viewer, kT0_ms + i);
        if (sessions.lookup(s.id, kT0_ms + i)) ++found;
        if (i % 3 == 0) sessions.logout(s.id);
        if (i % 50 == 0) sessions.prune(kT0_ms + i);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(sessions.size(), 64u);
  EXPECT_GT(found.load(), 0);
}

}  // namespace
}  // namespace btms::security
