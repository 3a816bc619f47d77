#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace btms::e2e {

namespace {

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

HttpReply parse_reply(const std::string& raw) {
  HttpReply r;
  const auto head_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || head_end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(9, 3));
  std::size_t line_start = raw.find("\r\n") + 2;
  while (line_start < head_end) {
    const auto line_end = raw.find("\r\n", line_start);
    const auto line = raw.substr(line_start, line_end - line_start);
    if (const auto colon = line.find(':'); colon != std::string::npos) {
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[lower(line.substr(0, colon))] = value;
    }
    line_start = line_end + 2;
  }
  r.body = raw.substr(head_end + 4);  // the gateway sets Content-Length, never chunks JSON
  return r;
}

}  // namespace

HttpReply http_request(int port, const std::string& method, const std::string& target,
                       const std::string& body, const std::map<std::string, std::string>& headers) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("connect to port " + std::to_string(port) + " failed");
  }
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                        "Connection: close\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n";
  if (!body.empty()) request += "Content-Type: application/json\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    const auto n = write(fd, request.data() + sent, request.size() - sent);
    if (n <= 0) {
      close(fd);
      throw std::runtime_error("write failed");
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char chunk[65536];
  ssize_t n = 0;
  while ((n = read(fd, chunk, sizeof chunk)) > 0) raw.append(chunk, static_cast<std::size_t>(n));
  close(fd);
  return parse_reply(raw);
}

HttpReply WebSession::setup(const std::string& user, const std::string& password) {
  return sign_in("/api/v1/setup", user, password);
}

HttpReply WebSession::login(const std::string& user, const std::string& password) {
  return sign_in("/api/v1/login", user, password);
}

HttpReply WebSession::sign_in(const std::string& path, const std::string& user,
                              const std::string& password) {
  const nlohmann::json body{{"user", user}, {"password", password}};
  auto reply = http_request(port_, "POST", path, body.dump());
  if (reply.status == 200 || reply.status == 201) {
    const auto& set_cookie = reply.headers["set-cookie"];
    cookie_ = set_cookie.substr(0, set_cookie.find(';'));
    csrf_ = nlohmann::json::parse(reply.body).value("csrf_token", "");
  }
  return reply;
}

HttpReply WebSession::get(const std::string& target) const {
  return send("GET", target, "");
}
HttpReply WebSession::post(const std::string& target, const std::string& json_body) const {
  return send("POST", target, json_body);
}
HttpReply WebSession::put(const std::string& target, const std::string& json_body) const {
  return send("PUT", target, json_body);
}

HttpReply WebSession::send(const std::string& method, const std::string& target,
                           const std::string& body) const {
  std::map<std::string, std::string> headers;
  if (!cookie_.empty()) headers["Cookie"] = cookie_;
  if (method != "GET" && !csrf_.empty()) headers["X-CSRF-Token"] = csrf_;
  return http_request(port_, method, target, body, headers);
}

}  // namespace btms::e2e
