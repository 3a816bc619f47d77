#include "aggregator/modbus_upstream.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "scada/modbus_frame.hpp"
#include "scada/socket_io.hpp"

namespace btms::aggregator {

namespace {

// A connection with nothing in flight for this long is closed by us, before the gateway's own
// idle timeout (60 s) closes it under a request on its way.
constexpr auto kIdleClose = std::chrono::seconds(30);
// Answers larger than this are not Modbus; a peer sending without end is dropped.
constexpr std::size_t kMaxInput = std::size_t{64} * 1024;

using Resolved = std::optional<std::pair<sockaddr_storage, socklen_t>>;

Resolved resolve(const std::string& host, int port, bool numeric_only) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = numeric_only ? AI_NUMERICHOST : 0;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return std::nullopt;
  }
  // A gateway's Modbus server listens on IPv4 only (scada_server.hpp): a name with both kinds
  // of address ("localhost") is reached on its IPv4 one.
  const addrinfo* pick = found;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  std::pair<sockaddr_storage, socklen_t> out{};
  std::memcpy(&out.first, pick->ai_addr, pick->ai_addrlen);
  out.second = pick->ai_addrlen;
  ::freeaddrinfo(found);
  return out;
}

}  // namespace

ModbusUpstream::ModbusUpstream(std::string host, int port, std::chrono::milliseconds timeout)
    : host_(std::move(host)),
      port_(port),
      display_(host_.find(':') != std::string::npos ? fmt::format("[{}]:{}", host_, port)
                                                    : fmt::format("{}:{}", host_, port)),
      timeout_(timeout) {
  // A numeric address is ready now; a name is resolved off the poll loop when first needed.
  if (const auto numeric = resolve(host_, port_, true)) {
    address_ = numeric->first;
    address_len_ = numeric->second;
    numeric_host_ = true;
  }
}

ModbusUpstream::~ModbusUpstream() {
  close_socket();
}

short ModbusUpstream::events() const {
  if (fd_ < 0) return 0;
  if (connecting_ || out_sent_ < out_.size()) return POLLIN | POLLOUT;
  return POLLIN;
}

void ModbusUpstream::submit(std::span<const std::uint8_t> adu, std::uint64_t token,
                            Clock::time_point now, std::vector<Answer>& done) {
  last_used_ = now;
  while (pending_.contains(next_id_)) ++next_id_;
  const auto id = next_id_++;
  const auto at = out_.size();
  out_.insert(out_.end(), adu.begin(), adu.end());
  scada::set_transaction_id(std::span(out_).subspan(at), id);
  pending_.emplace(id, Pending{token, now + timeout_});
  if (fd_ < 0) {
    start_connect(now, done);
  } else if (!connecting_ && !flush()) {
    fail_all(done, "sending to the gateway failed");
  }
}

void ModbusUpstream::start_connect(Clock::time_point now, std::vector<Answer>& done) {
  if (!address_) {
    if (!resolving_.valid()) {
      resolving_ = std::async(std::launch::async, resolve, host_, port_, false);
    }
    return;  // housekeeping connects once the name is resolved
  }
  fd_ = ::socket(address_->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    fail_all(done, fmt::format("socket(): {}", std::strerror(errno)));
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  last_used_ = now;
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&*address_), address_len_) == 0) {
    connecting_ = false;
    if (!flush()) fail_all(done, "sending to the gateway failed");
  } else if (errno == EINPROGRESS) {
    connecting_ = true;
  } else {
    fail_all(done, fmt::format("connect: {}", std::strerror(errno)));
  }
}

bool ModbusUpstream::flush() {
  return scada::send_pending(fd_, out_, out_sent_);
}

void ModbusUpstream::handle_io(short revents, Clock::time_point now, std::vector<Answer>& done) {
  if (fd_ < 0 || revents == 0) return;
  if (connecting_) {
    if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return;
    int error = 0;
    socklen_t len = sizeof error;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
      fail_all(done, fmt::format("connect: {}", std::strerror(error)));
      return;
    }
    connecting_ = false;
  }
  if ((revents & POLLOUT) && !flush()) {
    fail_all(done, "sending to the gateway failed");
    return;
  }
  if (revents & (POLLIN | POLLHUP | POLLERR)) {
    const auto received = scada::receive_available(fd_, in_);
    if (received.closed) {
      // Closed (the gateway's idle timeout, a restart) or broken: what was asked is lost.
      if (pending_.empty()) {
        close_socket();
      } else {
        fail_all(done, received.peer_closed ? "the gateway closed the connection"
                                            : fmt::format("receive: {}", std::strerror(errno)));
      }
      return;
    }
    std::size_t used = 0;
    for (;;) {
      const std::span<const std::uint8_t> rest(in_.data() + used, in_.size() - used);
      const auto scan = scada::scan_frame(rest);
      if (scan.state == scada::FrameState::malformed) {
        fail_all(done, "the gateway sent a malformed answer");
        return;
      }
      if (scan.state == scada::FrameState::incomplete) break;
      const auto frame = rest.first(scan.size);
      if (const auto it = pending_.find(scada::transaction_id(frame)); it != pending_.end()) {
        done.push_back(Answer{it->second.token, {frame.begin(), frame.end()}});
        pending_.erase(it);
        last_used_ = now;
        if (!last_error_.empty()) {
          spdlog::info("site SCADA: gateway Modbus {} answers again", display_);
          last_error_.clear();
        }
      }
      used += scan.size;
    }
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(used));
    if (in_.size() > kMaxInput) fail_all(done, "the gateway sent too much");
  }
}

void ModbusUpstream::housekeeping(Clock::time_point now, std::vector<Answer>& done) {
  if (resolving_.valid() &&
      resolving_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    if (const auto found = resolving_.get()) {
      address_ = found->first;
      address_len_ = found->second;
      if (!pending_.empty()) start_connect(now, done);
    } else {
      fail_all(done, fmt::format("cannot resolve {}", host_));
    }
  }
  const bool overdue = std::any_of(pending_.begin(), pending_.end(),
                                   [now](const auto& p) { return p.second.deadline <= now; });
  if (overdue) {
    fail_all(done, fmt::format("no answer within {} ms", timeout_.count()));
  } else if (fd_ >= 0 && pending_.empty() && now - last_used_ >= kIdleClose) {
    close_socket();
  }
}

std::optional<ModbusUpstream::Clock::time_point> ModbusUpstream::next_wakeup() const {
  std::optional<Clock::time_point> next;
  // A name being resolved is looked at often: requests wait for it.
  if (resolving_.valid()) next = Clock::now() + std::chrono::milliseconds(20);
  for (const auto& [id, p] : pending_) {
    if (!next || p.deadline < *next) next = p.deadline;
  }
  return next;
}

void ModbusUpstream::fail_all(std::vector<Answer>& done, const std::string& reason) {
  for (const auto& [id, p] : pending_) done.push_back(Answer{p.token, {}});
  pending_.clear();
  out_.clear();
  out_sent_ = 0;
  in_.clear();
  close_socket();
  // A name is resolved again next time: the gateway may have moved.
  if (!numeric_host_) address_.reset();
  if (reason != last_error_) {
    spdlog::warn("site SCADA: gateway Modbus {}: {}", display_, reason);
    last_error_ = reason;
  }
}

void ModbusUpstream::close_socket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  connecting_ = false;
  out_.clear();
  out_sent_ = 0;
  in_.clear();
}

}  // namespace btms::aggregator
