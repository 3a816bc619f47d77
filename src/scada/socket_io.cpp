#include "scada/socket_io.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace btms::scada {

ReceiveResult receive_available(int fd, std::vector<std::uint8_t>& in) {
  ReceiveResult result;
  std::uint8_t buffer[4096];
  for (;;) {
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      in.insert(in.end(), buffer, buffer + n);
      result.bytes += static_cast<std::size_t>(n);
      if (static_cast<std::size_t>(n) < sizeof buffer) return result;
    } else if (n == 0) {
      result.closed = true;
      result.peer_closed = true;
      return result;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return result;
    } else {
      result.closed = true;
      return result;
    }
  }
}

bool send_pending(int fd, std::vector<std::uint8_t>& out, std::size_t& out_sent) {
  while (out_sent < out.size()) {
    const auto n = ::send(fd, out.data() + out_sent, out.size() - out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      out_sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;
    } else {
      return false;
    }
  }
  out.clear();
  out_sent = 0;
  return true;
}

}  // namespace btms::scada
