#include "test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

namespace btms::web::test {

using namespace std::chrono;

int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

namespace {
bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const auto n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Reads what is available within timeout; false on close/error/timeout with nothing read.
bool recv_some(int fd, std::string& out, milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char buf[16384];
  const auto n = ::recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return false;
  out.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

std::string exchange_raw(int port, const std::string& bytes, milliseconds timeout) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {};
  send_all(fd, bytes.data(), bytes.size());
  std::string out;
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
    if (!recv_some(fd, out, left)) break;
  }
  ::close(fd);
  return out;
}

HttpReply parse_reply(const std::string& raw) {
  HttpReply reply;
  const auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || !raw.starts_with("HTTP/1.1 ")) return reply;
  reply.status = std::atoi(raw.c_str() + 9);
  std::size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    const auto eol = raw.find("\r\n", pos);
    const auto line = raw.substr(pos, eol - pos);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      reply.headers[lower(line.substr(0, colon))] = value;
    }
    pos = eol + 2;
  }
  reply.body = raw.substr(head_end + 4);
  if (auto it = reply.headers.find("content-length"); it != reply.headers.end()) {
    reply.body.resize(std::min<std::size_t>(reply.body.size(), std::stoul(it->second)));
  }
  return reply;
}

HttpReply http_request(int port, const std::string& method, const std::string& target,
                       const std::string& body) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  return parse_reply(exchange_raw(port, req));
}

WsClient::~WsClient() {
  close();
}

void WsClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int WsClient::connect(int port, const std::string& target, const std::string& extra_headers) {
  fd_ = connect_loopback(port);
  if (fd_ < 0) return 0;
  const std::string req = "GET " + target +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n" +
                          extra_headers + "\r\n";
  if (!send_all(fd_, req.data(), req.size())) return 0;
  const auto deadline = steady_clock::now() + 3s;
  while (buffer_.find("\r\n\r\n") == std::string::npos && steady_clock::now() < deadline) {
    if (!recv_some(fd_, buffer_, 500ms)) break;
  }
  const auto end = buffer_.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  const auto reply = parse_reply(buffer_.substr(0, end + 4));
  buffer_.erase(0, end + 4);
  return reply.status;
}

bool WsClient::send_frame(int opcode, const std::string& payload) {
  std::string frame;
  frame.push_back(static_cast<char>(0x80 | opcode));
  const auto n = payload.size();
  if (n < 126) {
    frame.push_back(static_cast<char>(0x80 | n));
  } else if (n < 65536) {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>((n >> 8) & 0xff));
    frame.push_back(static_cast<char>(n & 0xff));
  } else {
    frame.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) frame.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  frame.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < n; ++i) frame.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return fd_ >= 0 && send_all(fd_, frame.data(), frame.size());
}

bool WsClient::send_text(const std::string& text) {
  return send_frame(1, text);
}

std::optional<std::string> WsClient::read_text(milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  for (;;) {
    // Try to take one complete frame out of the buffer (server frames are unmasked).
    if (buffer_.size() >= 2) {
      const auto b0 = static_cast<unsigned char>(buffer_[0]);
      const auto b1 = static_cast<unsigned char>(buffer_[1]);
      std::size_t len = b1 & 0x7f;
      std::size_t header = 2;
      bool complete = true;
      if (len == 126) {
        if (buffer_.size() < 4)
          complete = false;
        else {
          len = (static_cast<unsigned char>(buffer_[2]) << 8) |
                static_cast<unsigned char>(buffer_[3]);
          header = 4;
        }
      } else if (len == 127) {
        if (buffer_.size() < 10)
          complete = false;
        else {
          len = 0;
          for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(buffer_[2 + i]);
          header = 10;
        }
      }
      if (complete && buffer_.size() >= header + len) {
        const int opcode = b0 & 0x0f;
        std::string payload = buffer_.substr(header, len);
        buffer_.erase(0, header + len);
        if (opcode == 9) {
          ++pings_;
          if (answer_pings_) send_frame(10, payload);
          continue;
        }
        if (opcode == 8) {
          closed_ = true;
          return std::nullopt;
        }
        const bool fin = (b0 & 0x80) != 0;
        if (opcode == 1 || opcode == 0) {
          // Reassemble fragmented messages (text frame followed by continuation frames).
          message_ += payload;
          if (!fin) continue;
          std::string whole = std::move(message_);
          message_.clear();
          return whole;
        }
        continue;  // pong
      }
    }
    const auto now = steady_clock::now();
    if (now >= deadline || fd_ < 0 || closed_) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    const auto left = duration_cast<milliseconds>(deadline - now);
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char buf[16384];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return std::nullopt;
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

bool WsClient::wait_closed(milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (fd_ < 0) return true;
    pollfd p{fd_, POLLIN, 0};
    const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;
    // Count pings in the discarded data without answering (that is the point of the test).
    for (ssize_t i = 0; i + 1 < n; ++i) {
      if (static_cast<unsigned char>(buf[i]) == 0x89) ++pings_;
    }
  }
  return false;
}

}  // namespace btms::web::test
