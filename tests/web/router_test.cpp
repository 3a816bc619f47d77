#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "web/api_handlers.hpp"
#include "web/router.hpp"
#include "web/static_files.hpp"

namespace btms::web {
namespace {

struct PrefixCase {
  const char* prefix;
  bool valid;
};

class PrefixValidation : public ::testing::TestWithParam<PrefixCase> {};

TEST_P(PrefixValidation, OnlyLowercaseDigitsUnderscoreSlash) {
  EXPECT_EQ(is_valid_channel_prefix(GetParam().prefix), GetParam().valid) << GetParam().prefix;
}

INSTANTIATE_TEST_SUITE_P(Table, PrefixValidation,
                         ::testing::Values(PrefixCase{"", true}, PrefixCase{"string/2/", true},
                                           PrefixCase{"battery/1/17/voltage", true},
                                           PrefixCase{"bus/rs485_a/", true},
                                           PrefixCase{"String/2", false},
                                           PrefixCase{"string/2/*", false},
                                           PrefixCase{"string 2", false},
                                           PrefixCase{"../etc", false}, PrefixCase{"a\"b", false}));

TEST(ParseTarget, DecodesPathAndQuery) {
  const auto t = parse_target("/api/v1/live?prefix=string%2F2%2F&x=a+b");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/v1/live");
  EXPECT_EQ(t->query.at("prefix"), "string/2/");
  EXPECT_EQ(t->query.at("x"), "a b");
}

TEST(ParseTarget, RefusesMalformedTargets) {
  EXPECT_FALSE(parse_target(""));
  EXPECT_FALSE(parse_target("api/v1/live"));
  EXPECT_FALSE(parse_target("/a%zz"));
  EXPECT_FALSE(parse_target("/a%2"));
  EXPECT_FALSE(parse_target("/a?prefix=%4"));
  EXPECT_FALSE(parse_target("/a%00b"));
  EXPECT_FALSE(parse_target("/a?=novalue"));
}

Response ok_handler(const Request&, const ParsedTarget&) {
  Response r;
  r.body = "{}";
  return r;
}

TEST(Router, UnknownPath404WrongMethod405WithAllow) {
  Router router;
  router.add(Route{"/api/v1/x", {"GET", "HEAD"}, Role::viewer, ok_handler});
  EXPECT_EQ(router.handle(Request{"GET", "/api/v1/x", "", {}, ""}).status, 200);
  EXPECT_EQ(router.handle(Request{"GET", "/api/v1/y", "", {}, ""}).status, 404);
  const auto r = router.handle(Request{"DELETE", "/api/v1/x", "", {}, ""});
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(r.headers[0].second, "GET, HEAD");
  EXPECT_EQ(nlohmann::json::parse(r.body).at("error").get<std::string>().substr(0, 6), "method");
  EXPECT_EQ(router.handle(Request{"GET", "/api/%zz", "", {}, ""}).status, 400);
}

TEST(Router, ExactRoutesBeatPrefixRoutes) {
  Router router;
  router.add(Route{"/*", {"GET"}, Role::anonymous, [](const Request&, const ParsedTarget&) {
                     return json_error(418, "static");
                   }});
  router.add(Route{"/api/v1/x", {"GET"}, Role::viewer, ok_handler});
  EXPECT_EQ(router.handle(Request{"GET", "/api/v1/x", "", {}, ""}).status, 200);
  EXPECT_EQ(router.handle(Request{"GET", "/other", "", {}, ""}).status, 418);
}

TEST(Router, AuthorizerSeesTheRouteRole) {
  Router router;
  router.add(Route{"/open", {"GET"}, Role::anonymous, ok_handler});
  router.add(Route{"/admin", {"GET"}, Role::admin, ok_handler});
  router.set_authorizer([](const Request&, Role role) -> std::optional<Response> {
    if (role == Role::admin) return json_error(403, "admin only");
    return std::nullopt;
  });
  EXPECT_EQ(router.handle(Request{"GET", "/open", "", {}, ""}).status, 200);
  EXPECT_EQ(router.handle(Request{"GET", "/admin", "", {}, ""}).status, 403);
}

struct TypeCase {
  const char* file;
  const char* type;
};
class ContentTypes : public ::testing::TestWithParam<TypeCase> {};
TEST_P(ContentTypes, ByExtension) {
  EXPECT_EQ(content_type_for(GetParam().file), GetParam().type);
}
INSTANTIATE_TEST_SUITE_P(Table, ContentTypes,
                         ::testing::Values(TypeCase{"index.html", "text/html; charset=utf-8"},
                                           TypeCase{"a.js", "text/javascript; charset=utf-8"},
                                           TypeCase{"a.css", "text/css; charset=utf-8"},
                                           TypeCase{"a.svg", "image/svg+xml"},
                                           TypeCase{"a.woff2", "font/woff2"},
                                           TypeCase{"a.bin", "application/octet-stream"}));

}  // namespace
}  // namespace btms::web
