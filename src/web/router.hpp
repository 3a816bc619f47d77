// Route table: path -> allowed methods, required role and handler. The server hands every
// request to Router::handle; unknown paths give 404, a known path with a wrong method 405 with
// Allow. Each route declares the role it needs so the login step can enforce it in one place
// (authorizer); until then no authorizer is installed and every route is served.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "web/http_types.hpp"

namespace btms::web {

enum class Role { anonymous, viewer, operator_, admin };

// A parsed target: decoded path and query parameters (last one wins on repeats).
struct ParsedTarget {
  std::string path;
  std::map<std::string, std::string> query;
};
// nullopt when the path or query is malformed (bad percent escape, control characters, ...).
std::optional<ParsedTarget> parse_target(std::string_view target);
// A whole decimal integer as a query or path holds it (optional '-', nothing else around it);
// nullopt for anything else, an empty text, or a value beyond 64 bits.
std::optional<std::int64_t> parse_int64(std::string_view text);
// Decodes %XX escapes (and '+' as space when plus_is_space); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

struct QueryParam {
  std::string key;
  std::string value;
};
// Every key=value pair of the target's query string in order, repeats kept (empty when there
// is no query); nullopt when a pair is malformed.
std::optional<std::vector<QueryParam>> parse_query(std::string_view target);

using Handler = std::function<Response(const Request&, const ParsedTarget&)>;

struct Route {
  std::string path;  // exact match, or a prefix when it ends with '*' (e.g. "/*" for static files)
  std::vector<std::string> methods;  // empty = any method
  Role required_role = Role::viewer;
  Handler handler;
};

class Router {
 public:
  // Decides whether a request may use a route that needs `role`; returns the error response
  // (401/403) when not. Not installed = no authentication configured yet.
  using Authorizer = std::function<std::optional<Response>(const Request&, Role role)>;

  void add(Route route);
  void set_authorizer(Authorizer authorizer) { authorizer_ = std::move(authorizer); }
  Response handle(const Request& request) const;
  // The authorizer's verdict alone (for the WebSocket upgrade); nullopt = allowed.
  std::optional<Response> authorize(const Request& request, Role role) const;
  // The authorizer's verdict for the route the request goes to (nullopt = allowed, or no such
  // route or method: handle() answers those). Lets the server refuse before queueing work.
  std::optional<Response> authorize_route(const Request& request) const;

  // Marks path + method as slow (Argon2 password hashing): the server runs such requests on a
  // worker thread instead of an io thread.
  void mark_blocking(std::string path, std::string method);
  bool is_blocking(const Request& request) const;

 private:
  const Route* match(std::string_view path) const;
  std::vector<Route> routes_;  // exact routes are tried before prefix routes
  Authorizer authorizer_;
  std::vector<std::pair<std::string, std::string>> blocking_;  // (path, method)
};

}  // namespace btms::web
