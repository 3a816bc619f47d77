#include "plant/tcp_bus_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>
#include <vector>

namespace btms::plant {

namespace {
constexpr std::size_t kMbapHeader = 7;  // transaction, protocol, length, unit
constexpr std::size_t kMaxAdu = 260;    // Modbus TCP limit
constexpr int kPollPeriod_ms = 50;      // how quickly stop() is noticed
}  // namespace

TcpBusServer::TcpBusServer(const std::string& bus_name, const std::string& host, int port,
                           BusHandler handler)
    : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("bus '" + bus_name + "': socket() failed");
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(listen_fd_);
    throw std::runtime_error("bus '" + bus_name + "': bad bind host '" + host + "'");
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    const int err = errno;
    ::close(listen_fd_);
    if (err == EADDRINUSE) {
      throw std::runtime_error("bus '" + bus_name + "': port " + std::to_string(port) +
                               " is taken");
    }
    throw std::runtime_error("bus '" + bus_name + "': cannot listen on " + host + ":" +
                             std::to_string(port) + ": " + std::strerror(err));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

TcpBusServer::~TcpBusServer() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void TcpBusServer::start() {
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void TcpBusServer::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void TcpBusServer::run() {
  std::map<int, std::vector<std::uint8_t>> clients;  // fd -> bytes received, not yet handled
  while (!stop_) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(listen_fd_, &readable);
    int max_fd = listen_fd_;
    for (const auto& [fd, buf] : clients) {
      FD_SET(fd, &readable);
      if (fd > max_fd) max_fd = fd;
    }
    timeval tv{0, static_cast<suseconds_t>(kPollPeriod_ms) * 1000};
    if (::select(max_fd + 1, &readable, nullptr, nullptr, &tv) <= 0) continue;

    if (FD_ISSET(listen_fd_, &readable)) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0 && fd < FD_SETSIZE) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // replies are tiny
        clients[fd];
      } else if (fd >= 0) {
        ::close(fd);  // beyond what select() can watch
      }
    }
    for (auto it = clients.begin(); it != clients.end();) {
      const int fd = it->first;
      auto& buf = it->second;
      bool drop = false;
      if (FD_ISSET(fd, &readable)) {
        std::uint8_t chunk[512];
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) {
          drop = true;
        } else {
          buf.insert(buf.end(), chunk, chunk + n);
        }
      }
      // Handle every complete ADU in the buffer (clients may pipeline) and send their answers
      // together: one segment for a pipelined window, as a device's TCP stack would.
      std::vector<std::uint8_t> out;
      while (!drop && buf.size() >= kMbapHeader) {
        const std::size_t length = (buf[4] << 8) | buf[5];  // unit id + PDU
        const bool protocol_ok = buf[2] == 0 && buf[3] == 0;
        if (!protocol_ok || length < 2 || length + 6 > kMaxAdu) {
          drop = true;  // not Modbus: close like a real device would
          break;
        }
        if (buf.size() < 6 + length) break;
        const std::uint8_t unit = buf[6];
        const std::span<const std::uint8_t> pdu(buf.data() + kMbapHeader, length - 1);
        const auto reply = handler_(unit, pdu);
        // Noise on TCP cannot corrupt bytes (TCP checksums them), so a noisy reply is dropped:
        // the master sees a timeout, as it would behind a serial gateway.
        if (reply && !reply->corrupt && !reply->pdu.empty()) {
          const std::size_t out_len = reply->pdu.size() + 1;
          out.insert(out.end(), {buf[0], buf[1], 0, 0, static_cast<std::uint8_t>(out_len >> 8),
                                 static_cast<std::uint8_t>(out_len & 0xFF), unit});
          out.insert(out.end(), reply->pdu.begin(), reply->pdu.end());
        }
        buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(6 + length));
      }
      if (!out.empty() &&
          ::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
        drop = true;
      }
      if (drop) {
        ::close(fd);
        it = clients.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [fd, buf] : clients) ::close(fd);
}

}  // namespace btms::plant
