// A minimal HTTP/1.1 client for the full-scale benchmark: logs in to a gateway on loopback and
// GETs JSON with the session cookie. One request per connection (Connection: close).
#pragma once

#include <string>

namespace btms::bench {

struct HttpResult {
  int status = 0;  // 0 when the connection failed
  std::string headers;
  std::string body;
};

HttpResult http(int port, const std::string& method, const std::string& target,
                const std::string& body = "", const std::string& cookie = "");

// POST /api/v1/login; returns the "name=value" of the session cookie, "" on failure.
std::string login(int port, const std::string& user, const std::string& password);

}  // namespace btms::bench
