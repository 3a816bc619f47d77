// Issue 17 item 2: an answer from another unit id than asked must never be taken as the asked
// device's values. Over Modbus TCP (a gateway or converter in between) libmodbus accepted an
// answer from unit k+1 for unit k; the link now checks transaction, unit, function and byte
// count of every read answer, and the bus keeps each address's serial number.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "fieldbus/device_identity.hpp"
#include "fieldbus/modbus_link.hpp"

namespace btms::fieldbus {
namespace {

std::vector<std::uint8_t> answer(std::uint16_t transaction, std::uint8_t unit,
                                 std::uint8_t function, std::vector<std::uint16_t> regs) {
  std::vector<std::uint8_t> adu{static_cast<std::uint8_t>(transaction >> 8),
                                static_cast<std::uint8_t>(transaction),
                                0,
                                0,
                                0,
                                0,
                                unit,
                                function,
                                static_cast<std::uint8_t>(2 * regs.size())};
  for (const auto r : regs) {
    adu.push_back(static_cast<std::uint8_t>(r >> 8));
    adu.push_back(static_cast<std::uint8_t>(r));
  }
  adu[5] = static_cast<std::uint8_t>(adu.size() - 6);
  return adu;
}

TEST(CheckReadAnswer, TableOfAnswers) {
  const auto good = answer(7, 5, 4, {0x1234, 0xABCD});
  auto exception = std::vector<std::uint8_t>{0, 7, 0, 0, 0, 3, 5, 0x84, 0x02};
  auto bad_protocol = good;
  bad_protocol[3] = 1;
  auto bad_length = good;
  bad_length[5] += 1;
  auto short_count = answer(7, 5, 4, {0x1234});
  auto bad_byte_count = good;
  bad_byte_count[8] = 2;
  auto long_exception = exception;
  long_exception.push_back(0);
  long_exception[5] = 4;
  struct Row {
    const char* what;
    std::vector<std::uint8_t> adu;
    AnswerCheck expected;
  };
  const std::vector<Row> rows{
      {"good", good, AnswerCheck::ok},
      {"other unit", answer(7, 6, 4, {0x1234, 0xABCD}), AnswerCheck::wrong_unit},
      {"unit 0", answer(7, 0, 4, {0x1234, 0xABCD}), AnswerCheck::wrong_unit},
      {"late answer", answer(6, 5, 4, {0x1234, 0xABCD}), AnswerCheck::other_transaction},
      {"exception", exception, AnswerCheck::exception},
      {"exception too long", long_exception, AnswerCheck::malformed},
      {"other function", answer(7, 5, 3, {0x1234, 0xABCD}), AnswerCheck::malformed},
      {"protocol id", bad_protocol, AnswerCheck::malformed},
      {"length field", bad_length, AnswerCheck::malformed},
      {"fewer registers", short_count, AnswerCheck::malformed},
      {"byte count", bad_byte_count, AnswerCheck::malformed},
      {"header only", std::vector<std::uint8_t>(good.begin(), good.begin() + 7),
       AnswerCheck::malformed},
  };
  for (const auto& row : rows) {
    std::array<std::uint16_t, 2> out{};
    EXPECT_EQ(check_read_answer(row.adu, 7, 5, 4, out), row.expected) << row.what;
    if (row.expected == AnswerCheck::ok) {
      EXPECT_EQ(out[0], 0x1234);
      EXPECT_EQ(out[1], 0xABCD);
    }
  }
}

// A TCP server on a free loopback port for one client, served by a function on its own thread;
// stopping it shuts both sockets down so a blocked receive returns.
class LoopbackServer {
 public:
  LoopbackServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 1), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~LoopbackServer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      if (client_fd_ >= 0) ::shutdown(client_fd_, SHUT_RDWR);
    }
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
    if (client_fd_ >= 0) ::close(client_fd_);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  void start(std::function<void(int)> serve) {
    thread_ = std::thread([this, serve = std::move(serve)] {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      {
        std::lock_guard lock(mutex_);
        client_fd_ = fd;
        if (stopping_) return;  // stopped between accept and here: the fd is closed by stop
      }
      serve(fd);
    });
  }
  int port() const { return port_; }

 private:
  int listen_fd_ = -1;
  std::mutex mutex_;
  bool stopping_ = false;
  int client_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// A Modbus TCP "gateway" on loopback that answers every read with unit id + shift (and, when
// late_first, first sends an answer to an older transaction).
class MixedUpGateway {
 public:
  explicit MixedUpGateway(int shift, bool late_first = false)
      : shift_(shift), late_first_(late_first) {
    server_.start([this](int client_fd) { serve(client_fd); });
  }
  int port() const { return server_.port(); }

 private:
  void serve(int client_fd) {
    std::array<std::uint8_t, 12> request{};
    while (::recv(client_fd, request.data(), request.size(), MSG_WAITALL) == 12) {
      const std::uint16_t transaction = static_cast<std::uint16_t>((request[0] << 8) | request[1]);
      const int count = (request[10] << 8) | request[11];
      std::vector<std::uint16_t> regs(static_cast<std::size_t>(count), 0x0D0D);
      if (late_first_) {
        const auto late = answer(static_cast<std::uint16_t>(transaction - 1), request[6],
                                 request[7], std::vector<std::uint16_t>(regs.size(), 0xBAD));
        ::send(client_fd, late.data(), late.size(), MSG_NOSIGNAL);
      }
      const auto reply =
          answer(transaction, static_cast<std::uint8_t>(request[6] + shift_), request[7], regs);
      ::send(client_fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    }
  }
  int shift_;
  bool late_first_;
  LoopbackServer server_;  // last: its thread ends before the members it uses go
};

model::Bus tcp_bus(int port) {
  model::Bus bus;
  bus.name = "test";
  bus.kind = model::BusKind::tcp;
  bus.port = port;
  bus.timeout_ms = 1000;
  return bus;
}

TEST(ModbusLinkTcp, AnswerFromAnotherUnitIsRefused) {
  MixedUpGateway gateway(1);
  ModbusLink link(tcp_bus(gateway.port()));
  ASSERT_TRUE(link.ensure_connected());
  std::array<std::uint16_t, 8> regs{};
  EXPECT_EQ(link.read_input(5, 0, regs), LinkError::wrong_unit);
  EXPECT_EQ(link.read_holding(17, 0, regs), LinkError::wrong_unit);
  EXPECT_EQ(regs[0], 0);  // nothing of the wrong unit's data was copied
}

TEST(ModbusLinkTcp, RightUnitIsReadAndLateAnswersAreSkipped) {
  MixedUpGateway gateway(0, true);
  ModbusLink link(tcp_bus(gateway.port()));
  ASSERT_TRUE(link.ensure_connected());
  std::array<std::uint16_t, 8> regs{};
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(link.read_input(5, 0, regs), LinkError::none);
    EXPECT_EQ(regs[7], 0x0D0D);
  }
}

// A Modbus TCP server on loopback that takes a whole window of `window` read requests, then
// answers them in reverse order in one segment: registers = unit * 100 + start. Unit `silent`
// gets no answer, unit `mixed_up` is answered as unit + 1, and before each window's answers
// comes a late answer to the previous window's last transaction.
class PipelineServer {
 public:
  PipelineServer(int window, int silent, int mixed_up)
      : window_(window), silent_(silent), mixed_up_(mixed_up) {
    server_.start([this](int client_fd) { serve(client_fd); });
  }
  int port() const { return server_.port(); }
  int windows() const { return windows_.load(); }

 private:
  void serve(int client_fd) {
    const auto size = static_cast<std::size_t>(12 * window_);
    std::vector<std::uint8_t> requests(size);
    std::uint16_t previous_last = 0;
    while (::recv(client_fd, requests.data(), size, MSG_WAITALL) == static_cast<ssize_t>(size)) {
      ++windows_;
      std::vector<std::uint8_t> segment;
      if (previous_last != 0) {
        const auto late = answer(previous_last, 1, 4, {0xBAD});
        segment.insert(segment.end(), late.begin(), late.end());
      }
      for (int k = window_ - 1; k >= 0; --k) {
        const auto* r = requests.data() + 12 * k;
        const auto transaction = static_cast<std::uint16_t>((r[0] << 8) | r[1]);
        const int unit = r[6];
        const int start = (r[8] << 8) | r[9];
        const int count = (r[10] << 8) | r[11];
        if (k == window_ - 1) previous_last = transaction;
        if (unit == silent_) continue;
        const auto reply = answer(
            transaction, static_cast<std::uint8_t>(unit == mixed_up_ ? unit + 1 : unit), r[7],
            std::vector<std::uint16_t>(static_cast<std::size_t>(count),
                                       static_cast<std::uint16_t>(unit * 100 + start)));
        segment.insert(segment.end(), reply.begin(), reply.end());
      }
      ::send(client_fd, segment.data(), segment.size(), MSG_NOSIGNAL);
    }
  }
  int window_, silent_, mixed_up_;
  std::atomic<int> windows_{0};
  LoopbackServer server_;  // last: its thread ends before the members it uses go
};

TEST(ModbusLinkTcp, PipelinedReadsPairEachAnswerWithItsRequest) {
  constexpr int kWindow = 4;
  PipelineServer server(kWindow, /*silent=*/6, /*mixed_up=*/3);
  auto bus = tcp_bus(server.port());
  bus.timeout_ms = 200;
  ModbusLink link(bus);
  ASSERT_TRUE(link.ensure_connected());
  // Units 1..12, two windows of four and one of four: unit 6 never answers (a timeout in the
  // middle of a window), unit 3 is answered by unit 4 (refused).
  std::vector<std::array<std::uint16_t, 3>> out(12);
  std::vector<ReadRequest> requests;
  for (int unit = 1; unit <= 12; ++unit) {
    requests.push_back(ReadRequest{unit, 4, static_cast<std::uint16_t>(unit % 2),
                                   out[static_cast<std::size_t>(unit - 1)]});
  }
  link.read_pipelined(requests, kWindow);
  for (int unit = 1; unit <= 12; ++unit) {
    const auto& r = requests[static_cast<std::size_t>(unit - 1)];
    const auto expected = unit == 6   ? LinkError::timeout
                          : unit == 3 ? LinkError::wrong_unit
                                      : LinkError::none;
    EXPECT_EQ(r.result, expected) << "unit " << unit;
    if (expected == LinkError::none) {
      EXPECT_EQ(r.out[2], unit * 100 + unit % 2) << "unit " << unit;
    } else {
      EXPECT_EQ(r.out[0], 0) << "unit " << unit;  // nothing of another answer was copied
    }
  }
  EXPECT_EQ(server.windows(), 3);
  EXPECT_TRUE(link.connected());  // a missing answer is a timeout, not a broken stream
}

TEST(ModbusLinkTcp, PipelinedReadsOnALostConnectionSayConnection) {
  auto server = std::make_unique<PipelineServer>(2, 0, 0);
  ModbusLink link(tcp_bus(server->port()));
  ASSERT_TRUE(link.ensure_connected());
  server.reset();
  std::array<std::uint16_t, 1> a{}, b{};
  std::vector<ReadRequest> requests{{1, 4, 0, a}, {2, 4, 0, b}};
  link.read_pipelined(requests, 2);
  for (const auto& r : requests) EXPECT_EQ(r.result, LinkError::connection);
  EXPECT_FALSE(link.connected());
}

TEST(BusIdentities, Table) {
  // Three addresses; each row is one identity round (serial per address; 0 = not read).
  struct Round {
    std::array<std::uint32_t, 3> serials;
    std::array<bool, 3> trusted;
  };
  const std::vector<Round> rounds{
      {{100, 200, 300}, {true, true, true}},    // first contact
      {{100, 200, 300}, {true, true, true}},    // unchanged
      {{100, 999, 300}, {true, false, true}},   // address 2 answers with another serial
      {{100, 200, 300}, {true, true, true}},    // back: it was a glitch
      {{100, 300, 300}, {true, false, false}},  // unit 3 answers for unit 2: both untrusted
      {{100, 300, 300}, {true, false, false}},
      {{100, 200, 300}, {true, true, true}},   // converter fixed
      {{100, 555, 300}, {true, false, true}},  // device 2 replaced: 1st read of the new serial
      {{100, 555, 300}, {true, false, true}},  // 2nd
      {{100, 555, 300}, {true, true, true}},   // 3rd: adopted
      {{100, 555, 300}, {true, true, true}},
  };
  BusIdentities identities(3, 3);
  for (std::size_t r = 0; r < rounds.size(); ++r) {
    for (std::size_t d = 0; d < 3; ++d) identities.observe(d, rounds[r].serials[d]);
    for (std::size_t d = 0; d < 3; ++d) {
      EXPECT_EQ(identities.trusted(d), rounds[r].trusted[d]) << "round " << r << " device " << d;
    }
  }
}

TEST(BusIdentities, Verdicts) {
  BusIdentities identities(2, 2);
  EXPECT_TRUE(identities.trusted(0));  // never checked: nothing known against it
  EXPECT_EQ(identities.observe(0, 1), IdentityVerdict::first_contact);
  EXPECT_EQ(identities.observe(0, 1), IdentityVerdict::trusted);
  EXPECT_EQ(identities.observe(0, 2), IdentityVerdict::serial_changed);
  EXPECT_EQ(identities.observe(0, 3), IdentityVerdict::serial_changed);  // not the same twice
  EXPECT_EQ(identities.observe(0, 3), IdentityVerdict::replaced);
  EXPECT_EQ(identities.observe(1, 3), IdentityVerdict::duplicate);
  EXPECT_FALSE(identities.trusted(0));
  EXPECT_FALSE(identities.trusted(1));
}

}  // namespace
}  // namespace btms::fieldbus
