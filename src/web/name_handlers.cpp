#include "web/name_handlers.hpp"

#include <charconv>
#include <map>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "web/display_names.hpp"
#include "web/json_body.hpp"

namespace btms::web {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxNamesBody_bytes = 8192;

// The configured name of "ups/N" or "string/N"; nullopt when the site has no such UPS/string.
std::optional<std::string> configured_name(const model::Site& site, const std::string& target) {
  const auto slash = target.find('/');
  if (slash == std::string::npos) return std::nullopt;
  const auto kind = target.substr(0, slash);
  const auto digits = target.substr(slash + 1);
  int id = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty()) {
    return std::nullopt;
  }
  if (kind == "ups") {
    for (const auto& u : site.upses) {
      if (u.id == id) return u.name;
    }
  } else if (kind == "string") {
    for (const auto& s : site.strings) {
      if (s.id == id) return s.name;
    }
  }
  return std::nullopt;
}

Response get_names(const ApiContext& api) {
  return no_store_json(200, json{{"names", api.names->all()}});
}

Response put_names(const ApiContext& api, AuthContext& auth, const Request& request) {
  if (request.body.size() > kMaxNamesBody_bytes) {
    return no_store_error(413, "body too large");
  }
  const auto body = json::parse(request.body, nullptr, false);
  if (!body.is_object() || body.empty()) {
    return no_store_error(400, R"(body must be {"ups/1": "name", "string/3": "name", ...})");
  }
  std::map<std::string, std::string> changes;
  std::vector<std::string> lines;
  for (const auto& [target, value] : body.items()) {
    if (!value.is_string()) return no_store_error(400, "names must be strings: " + target);
    const auto configured = configured_name(*api.site, target);
    if (!configured) return no_store_error(404, "no such UPS or string: " + target);
    const auto name = value.get<std::string>();
    if (const auto problem = display_name_problem(name); !problem.empty()) {
      return no_store_error(400, target + ": " + problem);
    }
    const auto before = api.names->name_of(target).value_or(*configured);
    // Setting the configured name again is the same as going back to it.
    changes[target] = name == *configured ? std::string{} : name;
    lines.push_back(
        fmt::format("{}: '{}' -> '{}'", target, before, name.empty() ? *configured : name));
  }
  try {
    api.names->set(changes);
  } catch (const std::exception& e) {
    return no_store_error(500, e.what());
  }
  if (auth.audit()) {
    const auto session = auth.session_of(request);
    auth.audit()->append(unix_now_ms(), session ? session->user : std::string{},
                         request.remote_address, security::AuditAction::config_change, "names",
                         fmt::format("display names: {}", fmt::join(lines, "; ")));
  }
  return get_names(api);
}

}  // namespace

void add_name_routes(Router& router, const ApiContext& api, AuthContext& auth) {
  // One route per path: reading needs a viewer, renaming an operator (checked in the handler).
  router.add(Route{"/api/v1/names",
                   {"GET", "PUT"},
                   Role::viewer,
                   [&api, &auth](const Request& r, const ParsedTarget&) {
                     if (r.method == "GET") return get_names(api);
                     if (auto denied = auth.authorize(r, Role::operator_)) return *denied;
                     return put_names(api, auth, r);
                   }});
}

}  // namespace btms::web
