#include "aggregator/site_scada_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "aggregator/modbus_upstream.hpp"
#include "scada/modbus_frame.hpp"
#include "scada/site_scada_map.hpp"
#include "scada/socket_io.hpp"

namespace btms::aggregator {

namespace {

using Clock = std::chrono::steady_clock;
// A client that does not read its answers is dropped instead of buffering without bound.
constexpr std::size_t kMaxPendingOutput = std::size_t{64} * 1024;
// How often the loop wakes without traffic to close idle clients.
constexpr auto kHousekeepingPeriod = std::chrono::milliseconds(250);
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

// One answer a client is owed, in request order: ready at once (local answers) or when its
// gateway answers or fails.
struct Slot {
  std::uint64_t token = 0;  // 0 = answered locally
  bool ready = false;
  std::vector<std::uint8_t> bytes;
  std::uint16_t transaction_id = 0;  // the client's, for the answer
  std::uint8_t unit_id = 0;
  std::uint8_t function = 0;
};

struct Client {
  int fd = -1;
  std::size_t port_index = 0;  // 0 = site port, k = gateway k's
  std::vector<std::uint8_t> in;
  std::vector<std::uint8_t> out;
  std::size_t out_sent = 0;
  std::deque<Slot> slots;
  Clock::time_point last_active{};
};

bool is_read(std::uint8_t function) {
  return function == scada::kReadHoldingRegisters || function == scada::kReadInputRegisters;
}

// Sends what the socket takes now; false when the connection is broken or the client does not
// read.
bool flush(Client& client) {
  if (!scada::send_pending(client.fd, client.out, client.out_sent)) return false;
  return client.out.size() - client.out_sent <= kMaxPendingOutput;
}

// Moves the answers that are ready, in order, to the output.
void release_ready(Client& client) {
  while (!client.slots.empty() && client.slots.front().ready) {
    auto& bytes = client.slots.front().bytes;
    client.out.insert(client.out.end(), bytes.begin(), bytes.end());
    client.slots.pop_front();
  }
}

int listen_on(const std::string& bind, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, bind.c_str(), &addr.sin_addr) != 1) {
    throw std::runtime_error("site SCADA: bad bind address " + bind);
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw std::runtime_error("site SCADA: socket() failed");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error(
        fmt::format("site SCADA: cannot listen on {}:{}: {}", bind, port, reason));
  }
  return fd;
}

int bound_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

}  // namespace

SiteScadaServer::SiteScadaServer(SiteScadaOptions options, SiteScadaSource source)
    : options_(std::move(options)), source_(std::move(source)) {}

SiteScadaServer::~SiteScadaServer() {
  stop();
}

void SiteScadaServer::start() {
  if (running_) return;
  try {
    listen_fds_.push_back(listen_on(options_.bind, options_.site_port));
    for (const auto& g : options_.gateways) {
      listen_fds_.push_back(listen_on(options_.bind, g.listen_port));
    }
  } catch (...) {
    for (const int fd : listen_fds_) ::close(fd);
    listen_fds_.clear();
    throw;
  }
  site_port_ = bound_port(listen_fds_[0]);
  gateway_ports_.clear();
  for (std::size_t k = 1; k < listen_fds_.size(); ++k) {
    gateway_ports_.push_back(bound_port(listen_fds_[k]));
  }
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    for (const int fd : listen_fds_) ::close(fd);
    listen_fds_.clear();
    throw std::runtime_error("site SCADA: pipe2() failed");
  }
  running_ = true;
  thread_ = std::thread([this] { serve_loop(); });
}

void SiteScadaServer::stop() {
  if (!running_.exchange(false)) return;
  const std::uint8_t byte = 1;
  [[maybe_unused]] auto ignored = ::write(wake_pipe_[1], &byte, 1);
  if (thread_.joinable()) thread_.join();
  for (const int fd : listen_fds_) ::close(fd);
  listen_fds_.clear();
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
  wake_pipe_[0] = wake_pipe_[1] = -1;
}

SiteScadaCounters SiteScadaServer::counters() const {
  return SiteScadaCounters{accepted_.load(),  refused_full_.load(),  closed_idle_.load(),
                           forwarded_.load(), target_failed_.load(), open_.load()};
}

void SiteScadaServer::serve_loop() {
  std::unordered_map<std::uint64_t, Client> clients;  // by id: answers find their client
  std::uint64_t next_client_id = 1;
  std::unordered_map<std::uint64_t, std::uint64_t> token_client;  // forwarded request -> client
  std::uint64_t next_token = 1;
  std::vector<std::unique_ptr<ModbusUpstream>> upstreams;
  for (const auto& g : options_.gateways) {
    upstreams.push_back(
        std::make_unique<ModbusUpstream>(g.modbus_host, g.modbus_port, options_.upstream_timeout));
  }
  std::vector<std::uint16_t> site_unit;
  Clock::time_point site_unit_at{};
  std::vector<ModbusUpstream::Answer> answers;

  const auto site_registers = [&](Clock::time_point now) -> const std::vector<std::uint16_t>& {
    if (site_unit.empty() || now - site_unit_at >= options_.site_unit_max_age) {
      site_unit = source_.site_unit();
      site_unit_at = now;
    }
    return site_unit;
  };
  const auto failed_answer = [](const Slot& slot) {
    std::vector<std::uint8_t> out;
    scada::append_exception(out, slot.transaction_id, slot.unit_id, slot.function,
                            scada::kGatewayTargetFailed);
    return out;
  };

  // Answers or forwards every complete request in the client's buffer, as far as its budget of
  // waiting answers allows; false = close it (malformed frame).
  const auto serve_requests = [&](std::uint64_t id, Client& client, Clock::time_point now) {
    std::size_t used = 0;
    bool ok = true;
    while (client.slots.size() < options_.max_waiting_per_client) {
      const std::span<const std::uint8_t> rest(client.in.data() + used, client.in.size() - used);
      const auto scan = scada::scan_frame(rest);
      if (scan.state == scada::FrameState::malformed) {
        ok = false;
        break;
      }
      if (scan.state == scada::FrameState::incomplete) break;
      const auto adu = rest.first(scan.size);
      used += scan.size;
      if (adu.size() < scada::kMbapHeaderSize + 1) {
        ok = false;  // no function code: as the gateway's server, close
        break;
      }
      Slot slot{0, true, {}, scada::transaction_id(adu), adu[6], adu[7]};
      if (client.port_index == 0) {
        if (slot.unit_id != scada::kSiteUnit) {
          scada::append_exception(slot.bytes, slot.transaction_id, slot.unit_id, slot.function,
                                  scada::kGatewayPathUnavailable);
        } else if (!is_read(slot.function)) {
          scada::append_exception(slot.bytes, slot.transaction_id, slot.unit_id, slot.function,
                                  scada::kIllegalFunction);
        } else {
          scada::answer_read(adu, site_registers(now), slot.bytes);
        }
      } else if (!is_read(slot.function)) {
        // Writes included: a gateway's allow-list would only ever see the aggregator.
        scada::append_exception(slot.bytes, slot.transaction_id, slot.unit_id, slot.function,
                                scada::kIllegalFunction);
      } else if (source_.gateway_offline && source_.gateway_offline(client.port_index)) {
        slot.bytes = failed_answer(slot);
        ++target_failed_;
      } else {
        slot.token = next_token++;
        slot.ready = false;
        token_client.emplace(slot.token, id);
        ++forwarded_;
        client.slots.push_back(slot);
        upstreams[client.port_index - 1]->submit(adu, slot.token, now, answers);
        continue;
      }
      client.slots.push_back(std::move(slot));
    }
    client.in.erase(client.in.begin(), client.in.begin() + static_cast<std::ptrdiff_t>(used));
    return ok;
  };

  // Hands each gateway answer (or failure) to the slot waiting for it.
  const auto route_answers = [&] {
    for (auto& answer : answers) {
      const auto owner = token_client.find(answer.token);
      if (owner == token_client.end()) continue;
      const auto client_id = owner->second;
      token_client.erase(owner);
      const auto c = clients.find(client_id);
      if (c == clients.end()) continue;  // closed meanwhile
      for (auto& slot : c->second.slots) {
        if (slot.token != answer.token) continue;
        if (answer.adu.empty()) {
          slot.bytes = failed_answer(slot);
          ++target_failed_;
        } else {
          slot.bytes = std::move(answer.adu);
          scada::set_transaction_id(slot.bytes, slot.transaction_id);
        }
        slot.ready = true;
        break;
      }
    }
    answers.clear();
  };

  std::vector<pollfd> fds;
  std::vector<std::uint64_t> polled_clients;
  Clock::time_point accept_paused_until{};
  while (running_) {
    auto now = Clock::now();
    fds.clear();
    polled_clients.clear();
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    // A negative fd is skipped by poll(): the listeners rest while accepting is paused.
    const bool accepting = now >= accept_paused_until;
    for (const int fd : listen_fds_) fds.push_back({accepting ? fd : -1, POLLIN, 0});
    for (const auto& up : upstreams) fds.push_back({up->fd(), up->events(), 0});
    const std::size_t first_client = fds.size();
    for (const auto& [id, c] : clients) {
      // A client at its budget of waiting answers is not read: back-pressure, not a buffer.
      const bool readable = c.slots.size() < options_.max_waiting_per_client;
      const bool pending = c.out.size() > c.out_sent;
      fds.push_back(
          {c.fd, static_cast<short>((readable ? POLLIN : 0) | (pending ? POLLOUT : 0)), 0});
      polled_clients.push_back(id);
    }
    auto wake_at = accepting ? now + kHousekeepingPeriod
                             : std::min(now + kHousekeepingPeriod, accept_paused_until);
    for (const auto& up : upstreams) {
      if (const auto next = up->next_wakeup()) wake_at = std::min(wake_at, *next);
    }
    const auto wait_ms =
        std::max<long long>(0, std::chrono::ceil<std::chrono::milliseconds>(wake_at - now).count());
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait_ms));
    if (ready < 0) {
      if (errno == EINTR) continue;
      spdlog::error("site SCADA: poll: {}", std::strerror(errno));
      break;
    }
    if (fds[0].revents != 0) break;  // stop()
    now = Clock::now();

    // Gateways first: their answers may complete what clients wait for.
    for (std::size_t k = 0; k < upstreams.size(); ++k) {
      upstreams[k]->handle_io(fds[1 + listen_fds_.size() + k].revents, now, answers);
      upstreams[k]->housekeeping(now, answers);
    }
    route_answers();

    std::vector<std::uint64_t> closing;
    for (std::size_t i = 0; i < polled_clients.size(); ++i) {
      const auto id = polled_clients[i];
      auto& client = clients.at(id);
      const auto revents = fds[first_client + i].revents;
      bool alive = !(revents & (POLLERR | POLLNVAL));
      if (alive && (revents & (POLLIN | POLLHUP))) {
        const auto received = scada::receive_available(client.fd, client.in);
        if (received.bytes > 0) client.last_active = now;
        if (received.closed) alive = false;
        // A flood of bytes without frame ends is not a Modbus master.
        if (client.in.size() > kMaxPendingOutput) alive = false;
      }
      if (alive) alive = serve_requests(id, client, now);
      if (alive && client.slots.empty() && client.out.empty() &&
          now - client.last_active >= options_.idle_timeout) {
        alive = false;
        ++closed_idle_;
      }
      if (!alive) closing.push_back(id);
    }
    // Requests just forwarded may have failed at once (an unreachable gateway).
    route_answers();
    for (auto& [id, client] : clients) {
      release_ready(client);
      if (!flush(client)) closing.push_back(id);
    }
    for (const auto id : closing) {
      const auto c = clients.find(id);
      if (c == clients.end()) continue;
      ::close(c->second.fd);
      clients.erase(c);
      --open_;
    }

    for (std::size_t p = 0; p < listen_fds_.size(); ++p) {
      if (!(fds[1 + p].revents & POLLIN)) continue;
      for (;;) {
        const int fd = ::accept4(listen_fds_[p], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          // Out of descriptors or memory: the connection stays in the backlog and the listener
          // readable, so rest the listeners a while instead of spinning.
          if (errno != EAGAIN && errno != EWOULDBLOCK) {
            accept_paused_until = now + kAcceptPause;
          }
          break;
        }
        if (static_cast<int>(clients.size()) >= options_.max_clients) {
          ++refused_full_;  // counted first: a test may look as soon as it sees the close
          ::close(fd);
          continue;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Client client;
        client.fd = fd;
        client.port_index = p;
        client.last_active = now;
        clients.emplace(next_client_id++, std::move(client));
        ++accepted_;
        ++open_;
      }
    }
  }
  for (auto& [id, c] : clients) ::close(c.fd);
  open_ = 0;
}

}  // namespace btms::aggregator
