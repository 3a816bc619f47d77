// A read-only (listen-only) acquisition sends only reads: a proxy between it and the virtual
// plant counts the function code of every Modbus TCP request. The same site polled by a normal
// acquisition shows the writes (MC heartbeat, "sample now"), so the count can fail.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "devices/register_map.hpp"
#include "fieldbus/acquisition.hpp"
#include "model/plant_channels.hpp"
#include "plant/virtual_plant.hpp"
#include "test_site.hpp"

namespace btms::fieldbus {
namespace {

using namespace std::chrono_literals;

// Forwards one client at a time to the plant's bus and counts the requests' function codes
// (MBAP header: 7 bytes, the function code follows; the length field says where a frame ends).
class CountingProxy {
 public:
  explicit CountingProxy(int upstream_port) : upstream_port_(upstream_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listen_fd_, 4), 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~CountingProxy() {
    stopping_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }
  std::map<int, int> counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  void run() {
    int client = -1, upstream = -1;
    std::vector<std::uint8_t> pending;  // request bytes not yet split into frames
    while (!stopping_) {
      std::array<pollfd, 3> fds{pollfd{listen_fd_, POLLIN, 0}, pollfd{client, POLLIN, 0},
                                pollfd{upstream, POLLIN, 0}};
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        if (client >= 0) ::close(client);
        if (upstream >= 0) ::close(upstream);
        client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<std::uint16_t>(upstream_port_));
        ::connect(upstream, reinterpret_cast<sockaddr*>(&a), sizeof a);
        pending.clear();
        continue;
      }
      std::array<std::uint8_t, 1024> buffer{};
      if (fds[1].revents & (POLLIN | POLLHUP)) {
        const auto n = ::read(client, buffer.data(), buffer.size());
        if (n <= 0) {
          ::close(client);
          ::close(upstream);
          client = upstream = -1;
          continue;
        }
        pending.insert(pending.end(), buffer.begin(), buffer.begin() + n);
        while (pending.size() >= 8) {
          const std::size_t length = (pending[4] << 8) | pending[5];
          if (pending.size() < 6 + length) break;
          {
            std::lock_guard lock(mutex_);
            ++counts_[pending[7]];
          }
          pending.erase(pending.begin(), pending.begin() + static_cast<long>(6 + length));
        }
        [[maybe_unused]] const auto w = ::write(upstream, buffer.data(), static_cast<size_t>(n));
      }
      if (upstream >= 0 && (fds[2].revents & (POLLIN | POLLHUP))) {
        const auto n = ::read(upstream, buffer.data(), buffer.size());
        if (n > 0) {
          [[maybe_unused]] const auto w = ::write(client, buffer.data(), static_cast<size_t>(n));
        }
      }
    }
    if (client >= 0) ::close(client);
    if (upstream >= 0) ::close(upstream);
  }

  int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::map<int, int> counts_;  // function code -> requests
  std::thread thread_;
};

// Polls the small test site (MC on the bus) through the proxy for a few cycles.
std::map<int, int> function_codes_sent(bool read_only) {
  plant::PlantOptions po;
  po.tcp_pick_free_ports = true;
  plant::VirtualPlant plant(testing::small_site(), po);
  plant.start();
  auto site = plant.site_for_gateway();
  CountingProxy proxy(site.buses[0].port);
  site.buses[0].port = proxy.port();
  auto publisher = std::make_shared<model::SnapshotPublisher>();
  AcquisitionOptions options;
  options.read_only = read_only;
  Acquisition acquisition(site, model::build_plant_channels(site), publisher, options);
  acquisition.start();
  // A command as the engine would send it: the string's disconnect relay (MC output 1).
  acquisition.submit(model::Command{model::SetRelay{model::IoPoint{0, 1}, true}});
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (acquisition.cycles("bus1") < 6 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(10ms);
  }
  acquisition.stop();
  EXPECT_GE(acquisition.cycles("bus1"), 6u);
  if (read_only) {
    EXPECT_EQ(acquisition.rejected_commands(), 1u);
  }
  return proxy.counts();
}

TEST(ReadOnlyAcquisition, SendsOnlyReads) {
  const auto counts = function_codes_sent(true);
  EXPECT_GT(counts.count(0x04) ? counts.at(0x04) : 0, 0);  // it did poll
  for (const auto& [fc, n] : counts) {
    EXPECT_TRUE(fc == 0x03 || fc == 0x04) << "function " << fc << " sent " << n << " times";
  }
}

TEST(ReadOnlyAcquisition, NormalAcquisitionWritesOnTheSameBus) {
  const auto counts = function_codes_sent(false);
  // The MC heartbeat (FC 16) every cycle and "sample now" (FC 06 to address 0).
  EXPECT_GE(counts.count(0x10) ? counts.at(0x10) : 0, 6);
  EXPECT_GT(counts.count(0x06) ? counts.at(0x06) : 0, 0);
}

}  // namespace
}  // namespace btms::fieldbus
