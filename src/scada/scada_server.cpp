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

#include "scada/modbus_frame.hpp"

namespace btms::scada {

namespace {

// A client that does not read its answers is dropped instead of buffering without bound.
constexpr std::size_t kMaxPendingOutput = 64 * 1024;

struct Client {
  int fd = -1;
  ClientWriter writer;  // carries the peer address for the write checks
  std::vector<std::uint8_t> in;
  std::vector<std::uint8_t> out;
  std::size_t out_sent = 0;
};

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
}

// Sends what the socket takes now; false when the connection is broken.
bool flush(Client& client) {
  while (client.out_sent < client.out.size()) {
    const auto n = ::send(client.fd, client.out.data() + client.out_sent,
                          client.out.size() - client.out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      client.out_sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      return false;
    }
  }
  if (client.out_sent == client.out.size()) {
    client.out.clear();
    client.out_sent = 0;
  }
  return client.out.size() - client.out_sent <= kMaxPendingOutput;
}

// Reads what arrived and answers every complete request; false = close the connection.
bool serve_input(Client& client, const RegisterImage* image) {
  std::uint8_t buffer[4096];
  for (;;) {
    const auto n = ::recv(client.fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      client.in.insert(client.in.end(), buffer, buffer + n);
      if (static_cast<std::size_t>(n) < sizeof buffer) break;
    } else if (n == 0) {
      return false;  // peer closed
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else {
      return false;
    }
  }
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

void ScadaServer::serve_loop() {
  std::vector<Client> clients;
  std::vector<pollfd> fds;
  while (running_) {
    fds.clear();
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& c : clients) {
      const bool pending = c.out.size() > c.out_sent;
      fds.push_back({c.fd, static_cast<short>(POLLIN | (pending ? POLLOUT : 0)), 0});
    }
    const int ready = ::poll(fds.data(), fds.size(), -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) break;  // stop()

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
        if (alive && (revents & (POLLIN | POLLHUP))) alive = serve_input(client, image.get());
      }
      if (alive) {
        kept.push_back(std::move(client));
      } else {
        ::close(client.fd);
      }
    }
    clients.swap(kept);

    if (fds[1].revents & POLLIN) {
      for (;;) {
        sockaddr_in peer{};
        socklen_t peer_len = sizeof peer;
        const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        if (static_cast<int>(clients.size()) >= options_.max_clients) {
          ::close(fd);  // over the cap: refuse rather than slow everyone down
          continue;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        clients.push_back(
            Client{fd, ClientWriter(writes_, ntohl(peer.sin_addr.s_addr)), {}, {}, 0});
      }
    }
  }
  for (auto& c : clients) ::close(c.fd);
}

}  // namespace btms::scada
