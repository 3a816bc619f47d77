#include "system/gateway_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace btms::bench {

HttpResult http(int port, const std::string& method, const std::string& target,
                const std::string& body, const std::string& cookie) {
  HttpResult out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return out;
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return out;
  }
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!cookie.empty()) request += "Cookie: " + cookie + "\r\n";
  if (!body.empty())
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  request += "Connection: close\r\n\r\n" + body;
  for (std::size_t sent = 0; sent < request.size();) {
    const auto n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      return out;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  char buffer[65536];
  for (;;) {
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    reply.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto end = reply.find("\r\n\r\n");
  if (reply.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return out;
  out.status = std::atoi(reply.c_str() + 9);
  out.headers = reply.substr(0, end);
  out.body = reply.substr(end + 4);
  // Chunked bodies: join the chunks.
  if (out.headers.find("chunked") != std::string::npos) {
    std::string joined;
    std::size_t pos = 0;
    while (pos < out.body.size()) {
      const auto line_end = out.body.find("\r\n", pos);
      if (line_end == std::string::npos) break;
      const auto size = std::stoul(out.body.substr(pos, line_end - pos), nullptr, 16);
      if (size == 0) break;
      joined += out.body.substr(line_end + 2, size);
      pos = line_end + 2 + size + 2;
    }
    out.body = joined;
  }
  return out;
}

std::string login(int port, const std::string& user, const std::string& password) {
  const auto reply = http(port, "POST", "/api/v1/login",
                          "{\"user\":\"" + user + "\",\"password\":\"" + password + "\"}");
  if (reply.status != 200) return "";
  const auto at = reply.headers.find("Set-Cookie: ");
  if (at == std::string::npos) return "";
  const auto start = at + 12;
  const auto end = reply.headers.find_first_of(";\r", start);
  return reply.headers.substr(start, end - start);
}

}  // namespace btms::bench
