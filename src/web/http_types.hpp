// Plain request/response values exchanged between the Beast server code and the router, so the
// router, the handlers and their tests never include Beast (which compiles slowly).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace btms::web {

inline constexpr std::size_t kMaxRequestBody_bytes = 64UL * 1024;

struct Request {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // path and query as sent, e.g. /api/v1/live?prefix=string/2/
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names; for the later auth step
  std::string remote_address;                  // peer IP as text (IPv4-mapped shown as IPv4)
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Allow, Cache-Control)
};

// {"error": reason} with the given 4xx/5xx status.
Response json_error(int status, std::string_view reason);

}  // namespace btms::web
