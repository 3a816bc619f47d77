// A small HTTP/1.1 client for end-to-end tests: any method, headers, body, and a logged-in
// session that keeps the cookie and echoes the CSRF token like the web UI does.
#pragma once

#include <map>
#include <string>

namespace btms::e2e {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One request on a fresh connection to 127.0.0.1:port (Connection: close).
HttpReply http_request(int port, const std::string& method, const std::string& target,
                       const std::string& body = "",
                       const std::map<std::string, std::string>& headers = {});

// GET with no session (anonymous reads of the loopback demo).
inline HttpReply http_get(int port, const std::string& target) {
  return http_request(port, "GET", target);
}

class WebSession {
 public:
  explicit WebSession(int port) : port_(port) {}
  // POST /api/v1/setup (first admin) or /api/v1/login; keeps cookie and CSRF token. Returns the
  // reply so a test can check a refusal.
  HttpReply setup(const std::string& user, const std::string& password);
  HttpReply login(const std::string& user, const std::string& password);
  HttpReply get(const std::string& target) const;
  HttpReply post(const std::string& target, const std::string& json_body) const;
  HttpReply put(const std::string& target, const std::string& json_body) const;

 private:
  HttpReply sign_in(const std::string& path, const std::string& user, const std::string& password);
  HttpReply send(const std::string& method, const std::string& target,
                 const std::string& body) const;
  int port_;
  std::string cookie_;  // "btms_session=..."
  std::string csrf_;
};

}  // namespace btms::e2e
