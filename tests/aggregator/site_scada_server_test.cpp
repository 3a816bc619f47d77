// The site SCADA endpoint against real Modbus TCP peers on loopback: a gateway's own ScadaServer
// on a hand-built snapshot (reads through the aggregator equal reads made directly), a gateway
// that accepts but never answers, and one that refuses connections; the site summary unit; the
// exceptions 0A, 0B and 01; answers in request order; malformed frames, full slots and idle
// clients.
#include "aggregator/site_scada_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "scada/scada_server.hpp"
#include "scada_fixture.hpp"

namespace btms::aggregator {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

Bytes read_request(std::uint16_t tid, std::uint8_t unit, std::uint8_t function,
                   std::uint16_t address, std::uint16_t quantity) {
  return {static_cast<std::uint8_t>(tid >> 8),
          static_cast<std::uint8_t>(tid),
          0,
          0,
          0,
          6,
          unit,
          function,
          static_cast<std::uint8_t>(address >> 8),
          static_cast<std::uint8_t>(address),
          static_cast<std::uint8_t>(quantity >> 8),
          static_cast<std::uint8_t>(quantity)};
}

// The exception answer a request should get.
Bytes exception_of(const Bytes& request, std::uint8_t code) {
  return {request[0], request[1], 0,          0,
          0,          3,          request[6], static_cast<std::uint8_t>(request[7] | 0x80),
          code};
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// A blocking Modbus TCP master on raw bytes (the transaction id is the test's to choose).
class Master {
 public:
  explicit Master(int port) : fd_(connect_to(port)) {}
  ~Master() { ::close(fd_); }
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  void send(const Bytes& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // One answer ADU; empty when the connection closed or nothing came within 3 s.
  Bytes receive() {
    Bytes adu(7);
    if (!read_exactly(adu.data(), 7)) return {};
    const std::size_t length = (adu[4] << 8) | adu[5];
    adu.resize(6 + length);
    if (!read_exactly(adu.data() + 7, length - 1)) return {};
    return adu;
  }
  Bytes ask(const Bytes& request) {
    send(request);
    return receive();
  }
  // True when the server closed the connection (EOF) within 3 s.
  bool closed_by_server() {
    std::uint8_t byte = 0;
    return ::recv(fd_, &byte, 1, 0) == 0;
  }

 private:
  bool read_exactly(std::uint8_t* out, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
      const auto n = ::recv(fd_, out + got, size - got, 0);
      if (n <= 0) return false;
      got += static_cast<std::size_t>(n);
    }
    return true;
  }
  int fd_;
};

// A gateway whose Modbus server accepts connections (the kernel does) and never answers.
class SilentGateway {
 public:
  SilentGateway() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentGateway() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A loopback port nobody listens on (bound, then closed): connections are refused.
int refused_port() {
  SilentGateway once;
  return once.port();  // closed when `once` goes
}

class SiteScadaServerTest : public ::testing::Test {
 protected:
  static constexpr int kRealGateway = 1;
  static constexpr int kSilentGateway = 2;
  static constexpr int kRefusingGateway = 3;

  scada::testing::Fixture f;
  std::shared_ptr<model::SnapshotPublisher> plant = std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<model::SnapshotPublisher> derived = std::make_shared<model::SnapshotPublisher>();
  std::unique_ptr<scada::ScadaServer> gateway;
  SilentGateway silent;
  std::array<std::atomic<bool>, 4> offline{};
  std::vector<std::uint16_t> site_unit = std::vector<std::uint16_t>(112, 0);
  std::unique_ptr<SiteScadaServer> server;

  void SetUp() override {
    f.set_plant("battery/2/1/voltage", 13.61);
    f.set_plant("battery/2/1/resistance", 3.9);
    f.set_derived("battery/2/1/soc", 91);
    f.set_plant("string/2/voltage", 27.2);
    plant->publish(f.plant);
    derived->publish(f.derived);
    scada::ScadaOptions gw;
    gw.port = 0;
    gateway = std::make_unique<scada::ScadaServer>(gw, plant, derived, f.site);
    gateway->start();
    for (std::size_t i = 0; i < site_unit.size(); ++i) {
      site_unit[i] = static_cast<std::uint16_t>(1000 + i);
    }
  }
  // real_host: how gateway 1's Modbus server is named (a name is resolved off the loop).
  void start(SiteScadaOptions options = {}, const std::string& real_host = "127.0.0.1") {
    options.site_port = 0;
    options.gateways = {{"gw1", 0, real_host, gateway->port()},
                        {"gw2", 0, "127.0.0.1", silent.port()},
                        {"gw3", 0, "127.0.0.1", refused_port()}};
    SiteScadaSource source;
    source.site_unit = [this] { return site_unit; };
    source.gateway_offline = [this](std::size_t k) { return offline.at(k).load(); };
    server = std::make_unique<SiteScadaServer>(options, source);
    server->start();
  }
  void TearDown() override {
    if (server) server->stop();
    gateway->stop();
  }
};

TEST_F(SiteScadaServerTest, ReadsOnAGatewaysPortEqualTheGatewaysOwn) {
  start();
  Master direct(gateway->port());
  Master through(server->gateway_port(kRealGateway));
  for (const auto& request : {
           read_request(0x4242, 102, 3, 100, 12),    // string 2, battery 1's block
           read_request(0x0001, 102, 4, 0, 25),      // string 2's own registers, function 04
           read_request(0xBEEF, 1, 3, 0, 12),        // UPS 1
           read_request(0x0203, 101, 3, 12000, 20),  // beyond the unit: the gateway's 02
           read_request(0x0304, 50, 3, 0, 1),        // no such unit: the gateway's 0B
           read_request(0x0405, 101, 3, 0, 200),     // quantity too large: the gateway's 03
       }) {
    const auto expected = direct.ask(request);
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(through.ask(request), expected) << "unit " << int(request[6]);
  }
  const auto battery = through.ask(read_request(7, 102, 3, 100, 2));
  ASSERT_EQ(battery.size(), 9U + 4U);
  EXPECT_EQ((battery[11] << 8) | battery[12], 13610);  // battery 1 of string 2: 13.61 V
  EXPECT_EQ(server->counters().forwarded, 7U);
}

TEST_F(SiteScadaServerTest, AGatewayNamedByItsHostNameIsReached) {
  start({}, "localhost");
  Master direct(gateway->port());
  Master through(server->gateway_port(kRealGateway));
  const auto request = read_request(0x0102, 102, 3, 100, 12);
  const auto expected = direct.ask(request);
  ASSERT_EQ(expected.size(), 9U + 24U);
  EXPECT_EQ(through.ask(request), expected);
}

TEST_F(SiteScadaServerTest, WritesAndOtherFunctionsAnswerIllegalFunctionAndStayHere) {
  start();
  Master through(server->gateway_port(kRealGateway));
  const Bytes write_single{0, 9, 0, 0, 0, 6, 102, 0x06, 0, 24, 0xA5, 0xA5};
  const Bytes write_multiple{0, 10, 0, 0, 0, 9, 102, 0x10, 0, 24, 0, 1, 2, 0xA5, 0xA5};
  const Bytes write_coil{0, 11, 0, 0, 0, 6, 102, 0x05, 0, 0, 0xFF, 0};
  const Bytes write_coils{0, 12, 0, 0, 0, 8, 102, 0x0F, 0, 0, 0, 1, 1, 1};
  const Bytes identify{0, 13, 0, 0, 0, 5, 102, 0x2B, 0x0E, 1, 0};
  for (const auto& request : {write_single, write_multiple, write_coil, write_coils, identify}) {
    EXPECT_EQ(through.ask(request), exception_of(request, 0x01)) << int(request[7]);
  }
  EXPECT_EQ(server->counters().forwarded, 0U);
}

TEST_F(SiteScadaServerTest, TheSiteUnitAndUnknownUnitsOnTheSitePort) {
  start();
  Master site(server->site_port());
  const auto answer = site.ask(read_request(5, 1, 3, 100, 12));
  ASSERT_EQ(answer.size(), 9U + 24U);
  EXPECT_EQ(answer[0], 0);
  EXPECT_EQ(answer[1], 5);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ((answer[9 + 2 * i] << 8) | answer[10 + 2 * i], 1100 + i);
  }
  const auto other_unit = read_request(6, 2, 3, 0, 1);
  EXPECT_EQ(site.ask(other_unit), exception_of(other_unit, 0x0A));
  const auto gateway_unit = read_request(7, 102, 3, 0, 1);  // a gateway's unit: not here
  EXPECT_EQ(site.ask(gateway_unit), exception_of(gateway_unit, 0x0A));
  const auto beyond = read_request(8, 1, 4, 100, 13);
  EXPECT_EQ(site.ask(beyond), exception_of(beyond, 0x02));
  const Bytes write{0, 9, 0, 0, 0, 6, 1, 0x06, 0, 0, 0, 1};
  EXPECT_EQ(site.ask(write), exception_of(write, 0x01));
}

TEST_F(SiteScadaServerTest, AnOfflineGatewayIsAnswered0BAtOnceAndReadAgainWhenBack) {
  start();
  Master through(server->gateway_port(kRealGateway));
  const auto request = read_request(0x0101, 102, 3, 100, 12);
  offline[kRealGateway] = true;
  const auto asked = Clock::now();
  EXPECT_EQ(through.ask(request), exception_of(request, 0x0B));
  EXPECT_LT(Clock::now() - asked, std::chrono::milliseconds(200));
  EXPECT_EQ(server->counters().forwarded, 0U);  // the gateway was not asked
  offline[kRealGateway] = false;
  const auto answer = through.ask(request);
  ASSERT_EQ(answer.size(), 9U + 24U);
  EXPECT_EQ(answer[7], 3);
}

TEST_F(SiteScadaServerTest, ASilentGatewayIs0BWithinTheBoundAndDelaysNoOtherGateway) {
  start();  // upstream timeout 1 s
  Master to_silent(server->gateway_port(kSilentGateway));
  Master to_real(server->gateway_port(kRealGateway));
  const auto request = read_request(0x0A0A, 101, 3, 0, 10);
  const auto asked = Clock::now();
  to_silent.send(request);
  // While gateway 2 keeps its client waiting, gateway 1's clients are served at once.
  const auto other = to_real.ask(read_request(1, 101, 3, 0, 10));
  const auto other_took = Clock::now() - asked;
  ASSERT_EQ(other.size(), 9U + 20U);
  EXPECT_LT(other_took, std::chrono::milliseconds(300));
  EXPECT_EQ(to_silent.receive(), exception_of(request, 0x0B));
  const auto took = Clock::now() - asked;
  std::cout << "silent gateway answered 0B after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
            << " ms (timeout 1000 ms)\n";
  EXPECT_GE(took, std::chrono::milliseconds(950));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_EQ(server->counters().target_failed, 1U);
}

TEST_F(SiteScadaServerTest, AnUnreachableGatewayIs0BAtOnce) {
  start();
  Master through(server->gateway_port(kRefusingGateway));
  const auto request = read_request(3, 101, 3, 0, 1);
  const auto asked = Clock::now();
  EXPECT_EQ(through.ask(request), exception_of(request, 0x0B));
  EXPECT_LT(Clock::now() - asked, std::chrono::milliseconds(500));
  // And again: each request tries anew (the gateway may be back).
  EXPECT_EQ(through.ask(request), exception_of(request, 0x0B));
}

TEST_F(SiteScadaServerTest, PipelinedRequestsAreAnsweredInTheirOrder) {
  start();
  Master through(server->gateway_port(kRealGateway));
  const auto first = read_request(21, 102, 3, 100, 1);
  const Bytes second{0, 22, 0, 0, 0, 6, 102, 0x06, 0, 24, 0xA5, 0xA5};  // answered here, 01
  const auto third = read_request(23, 101, 4, 0, 2);
  Bytes all = first;
  all.insert(all.end(), second.begin(), second.end());
  all.insert(all.end(), third.begin(), third.end());
  through.send(all);
  // The write's answer is ready first, but leaves after the forwarded read before it.
  for (int tid : {21, 22, 23}) {
    const auto answer = through.receive();
    ASSERT_GE(answer.size(), 9U);
    EXPECT_EQ((answer[0] << 8) | answer[1], tid);
  }
}

TEST_F(SiteScadaServerTest, AMalformedFrameClosesTheConnection) {
  start();
  Master through(server->gateway_port(kRealGateway));
  auto bad = read_request(1, 101, 3, 0, 1);
  bad[2] = 1;  // protocol id
  through.send(bad);
  EXPECT_TRUE(through.closed_by_server());
}

TEST_F(SiteScadaServerTest, ClientsAreBoundedAndIdleOnesClosed) {
  SiteScadaOptions options;
  options.max_clients = 2;
  options.idle_timeout = std::chrono::milliseconds(400);
  start(options);
  Master a(server->site_port());
  Master b(server->gateway_port(kRealGateway));
  ASSERT_FALSE(a.ask(read_request(1, 1, 3, 0, 1)).empty());
  ASSERT_FALSE(b.ask(read_request(1, 101, 3, 0, 1)).empty());
  Master c(server->site_port());
  EXPECT_TRUE(c.closed_by_server());  // every slot taken
  EXPECT_EQ(server->counters().refused_full, 1U);
  // Silent past the idle timeout: closed.
  EXPECT_TRUE(a.closed_by_server());
  EXPECT_GE(server->counters().closed_idle, 1U);
}

}  // namespace
}  // namespace btms::aggregator
