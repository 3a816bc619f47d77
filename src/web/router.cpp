#include "web/router.hpp"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

namespace btms::web {

Response json_error(int status, std::string_view reason) {
  Response r;
  r.status = status;
  // The reason may quote a client's path: replace invalid UTF-8 instead of throwing.
  r.body = nlohmann::json{{"error", std::string(reason)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::int64_t> parse_int64(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<ParsedTarget> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  for (const char c : target) {
    // Control characters and spaces never belong in a target; Beast already refuses most.
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  ParsedTarget parsed;
  const auto qpos = target.find('?');
  auto path = percent_decode(target.substr(0, qpos), false);
  if (!path) return std::nullopt;
  // A NUL would cut the path short in any C API below us.
  if (path->find('\0') != std::string::npos) return std::nullopt;
  parsed.path = std::move(*path);
  auto params = parse_query(target);
  if (!params) return std::nullopt;
  for (auto& p : *params) parsed.query[std::move(p.key)] = std::move(p.value);
  return parsed;
}

std::optional<std::vector<QueryParam>> parse_query(std::string_view target) {
  std::vector<QueryParam> params;
  const auto qpos = target.find('?');
  if (qpos == std::string_view::npos) return params;
  std::string_view query = target.substr(qpos + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!key || !value || key->empty()) return std::nullopt;
    params.push_back({std::move(*key), std::move(*value)});
  }
  return params;
}

void Router::add(Route route) {
  routes_.push_back(std::move(route));
  // Exact routes first, then prefix routes longest first, so "/*" is the last resort.
  std::stable_sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    const bool a_prefix = a.path.ends_with('*');
    const bool b_prefix = b.path.ends_with('*');
    if (a_prefix != b_prefix) return !a_prefix;
    return a_prefix && a.path.size() > b.path.size();
  });
}

const Route* Router::match(std::string_view path) const {
  for (const auto& route : routes_) {
    if (route.path.ends_with('*')) {
      if (path.starts_with(std::string_view(route.path).substr(0, route.path.size() - 1))) {
        return &route;
      }
    } else if (path == route.path) {
      return &route;
    }
  }
  return nullptr;
}

Response Router::handle(const Request& request) const {
  const auto parsed = parse_target(request.target);
  if (!parsed) return json_error(400, "malformed request target");
  const Route* route = match(parsed->path);
  if (route == nullptr) return json_error(404, "no such resource: " + parsed->path);
  if (!route->methods.empty() && std::find(route->methods.begin(), route->methods.end(),
                                           request.method) == route->methods.end()) {
    auto r = json_error(405, "method " + request.method + " not allowed on " + parsed->path);
    std::string allow;
    for (const auto& m : route->methods) allow += (allow.empty() ? "" : ", ") + m;
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  if (authorizer_) {
    if (auto denied = authorizer_(request, route->required_role)) return std::move(*denied);
  }
  return route->handler(request, *parsed);
}

std::optional<Response> Router::authorize(const Request& request, Role role) const {
  if (!authorizer_) return std::nullopt;
  return authorizer_(request, role);
}

std::optional<Response> Router::authorize_route(const Request& request) const {
  if (!authorizer_) return std::nullopt;
  const auto parsed = parse_target(request.target);
  if (!parsed) return std::nullopt;
  const Route* route = match(parsed->path);
  if (route == nullptr) return std::nullopt;
  if (!route->methods.empty() && std::find(route->methods.begin(), route->methods.end(),
                                           request.method) == route->methods.end()) {
    return std::nullopt;
  }
  return authorizer_(request, route->required_role);
}

void Router::mark_blocking(std::string path, std::string method) {
  blocking_.emplace_back(std::move(path), std::move(method));
}

bool Router::is_blocking(const Request& request) const {
  if (blocking_.empty()) return false;
  const auto parsed = parse_target(request.target);
  if (!parsed) return false;
  for (const auto& [path, method] : blocking_) {
    if (method == request.method &&
        (path == parsed->path ||
         (path.ends_with('*') &&
          parsed->path.starts_with(std::string_view(path).substr(0, path.size() - 1))))) {
      return true;
    }
  }
  return false;
}

}  // namespace btms::web
