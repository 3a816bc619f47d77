#include "scada/scada_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "scada/modbus_frame.hpp"
#include "scada/socket_io.hpp"

namespace btms::scada {

namespace {

// A client that does not read its answers is dropped instead of buffering without bound.
constexpr std::size_t kMaxPendingOutput = 64 * 1024;
// Connection timeouts are real time, whatever speed a virtual plant runs at: a steady clock.
using SteadyClock = std::chrono::steady_clock;
// How often the loop wakes without traffic to close idle clients.
constexpr auto kHousekeepingPeriod = std::chrono::milliseconds(250);
// accept() failing for want of descriptors or memory leaves the connection in the backlog and
// the listener readable: the listener is left out of poll() for a while instead of spinning.
constexpr auto kAcceptBackoffMin = std::chrono::milliseconds(50);
constexpr auto kAcceptBackoffMax = std::chrono::milliseconds(1000);
constexpr auto kAcceptErrorLogPeriod = std::chrono::seconds(10);

struct Client {
  int fd = -1;
  ClientWriter writer;  // carries the peer address for the write checks
  std::vector<std::uint8_t> in;
  std::vector<std::uint8_t> out;
  std::size_t out_sent = 0;
  SteadyClock::time_point last_active{};  // connected, or last bytes received
  bool sent_request = false;              // a client that never asked is evicted first
};

void enable_keepalive(int fd, const ScadaOptions& options) {
  if (options.keepalive_idle_s <= 0) return;
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &options.keepalive_idle_s,
               sizeof options.keepalive_idle_s);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &options.keepalive_interval_s,
               sizeof options.keepalive_interval_s);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &options.keepalive_probes,
               sizeof options.keepalive_probes);
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
}

// Sends what the socket takes now; false when the connection is broken or the client does not
// read.
bool flush(Client& client) {
  if (!send_pending(client.fd, client.out, client.out_sent)) return false;
  return client.out.size() - client.out_sent <= kMaxPendingOutput;
}

// Reads what arrived and answers every complete request; false = close the connection.
bool serve_input(Client& client, const RegisterImage* image, SteadyClock::time_point now) {
  const auto received = receive_available(client.fd, client.in);
  if (received.bytes > 0) {
    client.last_active = now;
    client.sent_request = true;
  }
  if (received.closed) return false;
  std::size_t used = 0;
  for (;;) {
    const std::span<const std::uint8_t> rest(client.in.data() + used, client.in.size() - used);
    const auto scan = scan_frame(rest);
    if (scan.state == FrameState::malformed) return false;
    if (scan.state == FrameState::incomplete) break;
    if (!handle_request(rest.first(scan.size), image, client.out, &client.writer)) return false;
    used += scan.size;
  }
  client.in.erase(client.in.begin(), client.in.begin() + static_cast<std::ptrdiff_t>(used));
  return flush(client);
}

}  // namespace

ScadaServer::ScadaServer(ScadaOptions options,
                         std::shared_ptr<const model::SnapshotPublisher> plant,
                         std::shared_ptr<const model::SnapshotPublisher> derived,
                         std::shared_ptr<const model::Site> site)
    : options_(std::move(options)),
      plant_(std::move(plant)),
      derived_(std::move(derived)),
      builder_(site),
      writes_(options_.allow_writes, AddressAllowList(options_.write_allow_list), site) {
  if (options_.allow_writes && options_.write_allow_list.empty()) {
    throw std::invalid_argument(
        "SCADA writes enabled but no client address may write: set the write allow-list");
  }
}

void ScadaServer::set_engine(std::shared_ptr<engine::EngineService> engine) {
  writes_.set_engine(std::move(engine));
}

ScadaServer::~ScadaServer() {
  stop();
}

std::shared_ptr<const RegisterImage> ScadaServer::image() const {
  std::lock_guard lock(image_mutex_);
  return image_;
}

void ScadaServer::set_publication(std::shared_ptr<const engine::StepPublication> publication) {
  publication_ = std::move(publication);
}

void ScadaServer::rebuild_image() {
  std::shared_ptr<const model::Snapshot> plant, derived;
  if (auto bundle = publication_ ? publication_->latest() : nullptr) {
    plant = bundle->plant;  // one step's pair
    derived = bundle->derived;
  } else {
    plant = plant_ ? plant_->latest() : nullptr;
    derived = derived_ ? derived_->latest() : nullptr;
  }
  // Nothing new published: the image in service is still exact.
  if (image() && plant == last_plant_ && derived == last_derived_) return;
  auto fresh = builder_.build(plant.get(), derived.get());
  last_plant_ = std::move(plant);
  last_derived_ = std::move(derived);
  std::lock_guard lock(image_mutex_);
  image_.swap(fresh);
}

void ScadaServer::start() {
  if (running_) return;
  rebuild_image();

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(options_.port));
  if (::inet_pton(AF_INET, options_.bind_address.c_str(), &addr.sin_addr) != 1) {
    throw std::runtime_error("SCADA: bad bind address " + options_.bind_address);
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("SCADA: socket() failed");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("SCADA: cannot listen on " + options_.bind_address + ":" +
                             std::to_string(options_.port) + ": " + reason);
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  set_nonblocking(listen_fd_);
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("SCADA: pipe2() failed");
  }
  running_ = true;
  // Woken by each publish; the wake-up only sets a flag (the engine never waits for SCADA).
  const auto wake = [this] {
    {
      std::lock_guard lock(stop_mutex_);
      published_ = true;
    }
    stop_cv_.notify_all();
  };
  if (publication_) {
    wake_subscriptions_.push_back(publication_->on_publish(wake));
  } else {
    if (plant_) wake_subscriptions_.push_back(plant_->on_publish(wake));
    if (derived_) wake_subscriptions_.push_back(derived_->on_publish(wake));
  }
  serve_thread_ = std::thread([this] { serve_loop(); });
  image_thread_ = std::thread([this] { image_loop(); });
}

void ScadaServer::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    if (!running_) return;
    running_ = false;
  }
  wake_subscriptions_.clear();
  stop_cv_.notify_all();
  const std::uint8_t byte = 1;
  [[maybe_unused]] auto ignored = ::write(wake_pipe_[1], &byte, 1);
  if (serve_thread_.joinable()) serve_thread_.join();
  if (image_thread_.joinable()) image_thread_.join();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
  listen_fd_ = wake_pipe_[0] = wake_pipe_[1] = -1;
}

void ScadaServer::image_loop() {
  std::unique_lock lock(stop_mutex_);
  while (running_) {
    stop_cv_.wait(lock, [this] { return published_ || !running_; });
    if (!running_) break;
    published_ = false;
    lock.unlock();
    rebuild_image();
    lock.lock();
  }
}

ConnectionCounters ScadaServer::connection_counters() const {
  return ConnectionCounters{accepted_.load(),    refused_full_.load(),  evicted_idle_.load(),
                            closed_idle_.load(), accept_errors_.load(), open_.load()};
}

void ScadaServer::serve_loop() {
  std::vector<Client> clients;
  std::vector<pollfd> fds;
  const auto idle_timeout = std::chrono::milliseconds(options_.idle_timeout_ms);
  const auto evict_after = std::chrono::milliseconds(options_.evict_idle_after_ms);
  SteadyClock::time_point accept_paused_until{};
  auto accept_backoff = kAcceptBackoffMin;
  SteadyClock::time_point last_accept_error_log{};

  const auto close_client = [this](Client& client) {
    ::close(client.fd);
    client.fd = -1;
    --open_;
  };

  while (running_) {
    auto now = SteadyClock::now();
    const bool accepting = now >= accept_paused_until;
    fds.clear();
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    // A negative fd is skipped by poll(): the listener rests while accepting is paused.
    fds.push_back({accepting ? listen_fd_ : -1, POLLIN, 0});
    for (const auto& c : clients) {
      const bool pending = c.out.size() > c.out_sent;
      fds.push_back({c.fd, static_cast<short>(POLLIN | (pending ? POLLOUT : 0)), 0});
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kHousekeepingPeriod);
    if (!accepting) {
      wait = std::min(
          wait, std::chrono::duration_cast<std::chrono::milliseconds>(accept_paused_until - now) +
                    std::chrono::milliseconds(1));
    }
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) break;  // stop()
    now = SteadyClock::now();

    const auto image = this->image();  // one image per round: cheap, and never half-built
    std::vector<Client> kept;
    kept.reserve(clients.size());
    for (std::size_t i = 0; i < clients.size(); ++i) {
      auto& client = clients[i];
      const auto revents = fds[i + 2].revents;
      bool alive = true;
      if (revents & (POLLERR | POLLNVAL)) {
        alive = false;
      } else {
        if (revents & POLLOUT) alive = flush(client);
        if (alive && (revents & (POLLIN | POLLHUP))) alive = serve_input(client, image.get(), now);
      }
      if (alive && now - client.last_active >= idle_timeout) {
        alive = false;
        ++closed_idle_;
      }
      if (alive) {
        kept.push_back(std::move(client));
      } else {
        close_client(client);
      }
    }
    clients.swap(kept);

    if (accepting && (fds[1].revents & POLLIN)) {
      for (;;) {
        sockaddr_in peer{};
        socklen_t peer_len = sizeof peer;
        const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          // EMFILE, ENFILE, ENOBUFS, ENOMEM: rest the listener, keep serving the clients.
          ++accept_errors_;
          accept_paused_until = now + accept_backoff;
          if (now - last_accept_error_log >= kAcceptErrorLogPeriod) {
            spdlog::warn(
                "SCADA: cannot accept connections: {} ({} open); pausing new connections for "
                "{} ms",
                std::strerror(errno), clients.size(),
                std::chrono::duration_cast<std::chrono::milliseconds>(accept_backoff).count());
            last_accept_error_log = now;
          }
          accept_backoff = std::min(accept_backoff * 2, kAcceptBackoffMax);
          break;
        }
        accept_backoff = kAcceptBackoffMin;
        if (static_cast<int>(clients.size()) >= options_.max_clients) {
          // Full: reclaim the slot of the client silent longest (never asked anything first),
          // but only from one silent for a while, so a polling master keeps its slot.
          auto victim = clients.end();
          for (auto it = clients.begin(); it != clients.end(); ++it) {
            if (now - it->last_active < evict_after) continue;
            if (victim == clients.end() || (!it->sent_request && victim->sent_request) ||
                (it->sent_request == victim->sent_request &&
                 it->last_active < victim->last_active)) {
              victim = it;
            }
          }
          if (victim == clients.end()) {
            ::close(fd);  // every slot busy with an active client: refuse the newcomer
            ++refused_full_;
            continue;
          }
          close_client(*victim);
          clients.erase(victim);
          ++evicted_idle_;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        enable_keepalive(fd, options_);
        Client client{fd,   ClientWriter(writes_, ntohl(peer.sin_addr.s_addr)), {}, {}, 0, now,
                      false};
        clients.push_back(std::move(client));
        ++accepted_;
        ++open_;
      }
    }
  }
  for (auto& c : clients) close_client(c);
}

}  // namespace btms::scada
