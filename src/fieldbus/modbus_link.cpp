#include "fieldbus/modbus_link.hpp"

#include <modbus/modbus.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace btms::fieldbus {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

constexpr std::size_t kMbapSize = 7;  // transaction, protocol, length, unit id
constexpr std::size_t kMaxTcpAdu = 260;

// The bus's answer timeout; 100 ms when the site file sets none.
int response_timeout_ms(const model::Bus& bus) {
  return bus.timeout_ms > 0 ? bus.timeout_ms : 100;
}

// The 12 bytes of a Modbus TCP read request (MBAP header, unit id, function, start, count).
constexpr std::size_t kReadRequestSize = 12;
std::array<std::uint8_t, kReadRequestSize> read_request_adu(std::uint16_t transaction, int address,
                                                            int function, std::uint16_t start,
                                                            std::size_t count) {
  return {static_cast<std::uint8_t>(transaction >> 8),
          static_cast<std::uint8_t>(transaction & 0xFF),
          0,
          0,
          0,
          6,
          static_cast<std::uint8_t>(address),
          static_cast<std::uint8_t>(function),
          static_cast<std::uint8_t>(start >> 8),
          static_cast<std::uint8_t>(start & 0xFF),
          static_cast<std::uint8_t>(count >> 8),
          static_cast<std::uint8_t>(count & 0xFF)};
}

LinkError to_link_error(AnswerCheck check) {
  switch (check) {
    case AnswerCheck::ok:
      return LinkError::none;
    case AnswerCheck::wrong_unit:
      return LinkError::wrong_unit;
    case AnswerCheck::exception:
      return LinkError::exception;
    case AnswerCheck::other_transaction:
    case AnswerCheck::malformed:
      break;
  }
  return LinkError::other;
}

}  // namespace

AnswerCheck check_read_answer(std::span<const std::uint8_t> adu, std::uint16_t transaction,
                              int unit, int function, std::span<std::uint16_t> out) {
  if (adu.size() < kMbapSize + 2) return AnswerCheck::malformed;
  if (be16(adu, 2) != 0 || be16(adu, 4) != adu.size() - 6) return AnswerCheck::malformed;
  if (be16(adu, 0) != transaction) return AnswerCheck::other_transaction;
  if (adu[6] != unit) return AnswerCheck::wrong_unit;
  const auto pdu = adu.subspan(kMbapSize);
  if (pdu[0] == (function | 0x80)) {
    return pdu.size() == 2 ? AnswerCheck::exception : AnswerCheck::malformed;
  }
  if (pdu[0] != function || pdu.size() < 2) return AnswerCheck::malformed;
  const std::size_t byte_count = pdu[1];
  if (byte_count != 2 * out.size() || pdu.size() != 2 + byte_count) return AnswerCheck::malformed;
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = be16(pdu, 2 + 2 * i);
  return AnswerCheck::ok;
}

ModbusLink::ModbusLink(const model::Bus& bus) : bus_(bus) {
  if (bus_.kind == model::BusKind::tcp) {
    ctx_ = modbus_new_tcp(bus_.host.c_str(), bus_.port);
  } else {
    ctx_ =
        modbus_new_rtu(bus_.device.c_str(), bus_.baud, bus_.parity, bus_.data_bits, bus_.stop_bits);
  }
  if (ctx_ == nullptr)
    throw std::runtime_error("bus '" + bus_.name + "': cannot create Modbus context");
  const int timeout_ms = response_timeout_ms(bus_);
  const auto sec = static_cast<std::uint32_t>(timeout_ms / 1000);
  const auto usec = static_cast<std::uint32_t>((timeout_ms % 1000) * 1000);
  modbus_set_response_timeout(ctx_, sec, usec);
  modbus_set_byte_timeout(ctx_, sec, usec);
  // Protocol recovery flushes the line after a bad frame so one corrupted response cannot
  // shift every later response by a frame.
  modbus_set_error_recovery(ctx_, MODBUS_ERROR_RECOVERY_PROTOCOL);
}

ModbusLink::~ModbusLink() {
  close();
  modbus_free(ctx_);
}

bool ModbusLink::ensure_connected() {
  if (connected_) return true;
  if (modbus_connect(ctx_) != 0) return false;
  if (is_tcp()) {
    // Requests are small and strictly request/response: Nagle would add a delay to each.
    const int fd = modbus_get_socket(ctx_);
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // Our own reads (tcp_read) block in recv for at most the bus timeout, so an answer costs a
    // send and a recv: waiting in poll() first doubled the system calls, which were most of
    // the bus threads' CPU at 3,840 batteries. libmodbus (writes) waits in select() before it
    // reads, so a blocking socket does not change its behaviour.
    const int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    const int timeout_ms = response_timeout_ms(bus_);
    timeval timeout{timeout_ms / 1000, static_cast<suseconds_t>(timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  rx_size_ = 0;
  connected_ = true;
  return true;
}

void ModbusLink::close() {
  if (connected_) modbus_close(ctx_);
  connected_ = false;
  rx_size_ = 0;
}

LinkError ModbusLink::classify(int rc) {
  if (rc >= 0) return LinkError::none;
  const int err = errno;
  if (err == ETIMEDOUT) return LinkError::timeout;
  if (err == EMBBADCRC) return LinkError::crc;
  if (err >= EMBXILFUN && err <= EMBXGTAR) return LinkError::exception;
  if (err == ECONNRESET || err == EPIPE || err == EBADF || err == ECONNREFUSED || err == ENOTCONN ||
      err == EIO) {
    // The TCP peer went away (or the serial port vanished): reopen on the next cycle.
    close();
    return LinkError::connection;
  }
  return LinkError::other;
}

LinkError ModbusLink::tcp_read(int address, int function, std::uint16_t start,
                               std::span<std::uint16_t> out) {
  if (out.empty() || out.size() > 125) return LinkError::other;
  const std::uint16_t transaction = ++transaction_;
  const auto request = read_request_adu(transaction, address, function, start, out.size());
  if (!send_all(request)) return LinkError::connection;
  const int timeout_ms = response_timeout_ms(bus_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool first_wait = true;
  for (;;) {
    std::size_t size = 0;
    switch (receive_frame(deadline, first_wait, size)) {
      case FrameResult::ok:
        break;
      case FrameResult::timeout:
      case FrameResult::timeout_partial:
        return LinkError::timeout;
      case FrameResult::garbage:
        return LinkError::other;
      case FrameResult::closed:
        return LinkError::connection;
    }
    const auto check =
        check_read_answer(std::span(rx_.data(), size), transaction, address, function, out);
    consume_rx(size);
    // Another transaction: the late answer to a request that timed out before.
    if (check != AnswerCheck::other_transaction) return to_link_error(check);
  }
}

bool ModbusLink::send_all(std::span<const std::uint8_t> bytes) {
  const int fd = modbus_get_socket(ctx_);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      close();
      return false;
    }
  }
  return true;
}

ModbusLink::FrameResult ModbusLink::receive_frame(std::chrono::steady_clock::time_point deadline,
                                                  bool& first_wait, std::size_t& size) {
  auto got = receive_at_least(kMbapSize, deadline, first_wait);
  if (got == RecvResult::ok) {
    size = 6 + be16(rx_, 4);
    if (be16(rx_, 2) != 0 || size < 8 || size > kMaxTcpAdu) {
      close();  // not Modbus TCP, or out of step: start over on a new connection
      return FrameResult::garbage;
    }
    got = receive_at_least(size, deadline, first_wait);
    if (got == RecvResult::timeout) got = RecvResult::timeout_partial;
  }
  switch (got) {
    case RecvResult::ok:
      return FrameResult::ok;
    case RecvResult::timeout:
      return FrameResult::timeout;
    case RecvResult::timeout_partial:
      close();  // half a frame: the next answer would be read out of step
      return FrameResult::timeout_partial;
    case RecvResult::closed:
      close();
      return FrameResult::closed;
  }
  return FrameResult::closed;
}

void ModbusLink::read_pipelined(std::span<ReadRequest> requests, int depth) {
  const auto window_size = static_cast<std::size_t>(std::clamp(depth, 1, 125));
  std::vector<std::uint8_t> batch;
  batch.reserve(window_size * kReadRequestSize);
  for (std::size_t first = 0; first < requests.size(); first += window_size) {
    const auto window = requests.subspan(first, std::min(window_size, requests.size() - first));
    if (!connected_ || !is_tcp()) {
      for (auto& r : window) r.result = connected_ ? LinkError::other : LinkError::connection;
      continue;
    }
    // Transaction ids first_transaction .. first_transaction + n - 1 (mod 2^16) are this window.
    const auto first_transaction = static_cast<std::uint16_t>(transaction_ + 1);
    batch.clear();
    for (auto& r : window) {
      // Every request keeps its transaction id (so the index stays id - first), but one that
      // cannot be asked (no or too many registers) is not sent and not waited for.
      const auto transaction = ++transaction_;
      if (r.out.empty() || r.out.size() > 125) {
        r.result = LinkError::other;
        continue;
      }
      r.result = LinkError::timeout;
      const auto adu = read_request_adu(transaction, r.address, r.function, r.start, r.out.size());
      batch.insert(batch.end(), adu.begin(), adu.end());
    }
    if (batch.empty()) continue;
    if (!send_all(batch)) {
      for (auto& r : window)
        if (r.result == LinkError::timeout) r.result = LinkError::connection;
      continue;
    }
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(response_timeout_ms(bus_));
    bool first_wait = true;
    std::size_t open = batch.size() / kReadRequestSize;  // the requests sent
    while (open > 0) {
      std::size_t size = 0;
      const auto frame = receive_frame(deadline, first_wait, size);
      if (frame != FrameResult::ok) {
        // Unanswered requests keep "timeout"; a broken stream is a lost connection.
        const auto lost = frame == FrameResult::closed    ? LinkError::connection
                          : frame == FrameResult::garbage ? LinkError::other
                                                          : LinkError::timeout;
        for (auto& r : window)
          if (r.result == LinkError::timeout) r.result = lost;
        break;
      }
      const auto adu = std::span<const std::uint8_t>(rx_.data(), size);
      const auto index = static_cast<std::uint16_t>(be16(adu, 0) - first_transaction);
      // An answer to an earlier window's request (it timed out there) is skipped.
      if (index < window.size() && window[index].result == LinkError::timeout) {
        auto& r = window[index];
        r.result =
            to_link_error(check_read_answer(adu, be16(adu, 0), r.address, r.function, r.out));
        --open;
      }
      consume_rx(size);
    }
  }
}

ModbusLink::RecvResult ModbusLink::receive_at_least(std::size_t size,
                                                    std::chrono::steady_clock::time_point deadline,
                                                    bool& first_wait) {
  const int fd = modbus_get_socket(ctx_);
  while (rx_size_ < size) {
    const auto timed_out = rx_size_ == 0 ? RecvResult::timeout : RecvResult::timeout_partial;
    // The first wait blocks in recv itself, bounded by SO_RCVTIMEO (the bus timeout, which is
    // also the whole deadline). The buffer takes whatever came: usually the whole answer, or
    // several answers of a pipelined window. After that, take what is there without waiting,
    // and wait (poll) only for what is left of the deadline when nothing is.
    const int flags = first_wait ? 0 : MSG_DONTWAIT;
    first_wait = false;
    const auto n = ::recv(fd, rx_.data() + rx_size_, rx_.size() - rx_size_, flags);
    if (n > 0) {
      rx_size_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) return RecvResult::closed;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return RecvResult::closed;
    if (flags == 0) return timed_out;  // SO_RCVTIMEO ran out: the whole deadline
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return timed_out;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) return RecvResult::closed;
    if (ready == 0) return timed_out;
  }
  return RecvResult::ok;
}

void ModbusLink::consume_rx(std::size_t size) {
  // Bytes after the frame (an answer that came late, then this one) stay for the next read.
  std::memmove(rx_.data(), rx_.data() + size, rx_size_ - size);
  rx_size_ -= size;
}

LinkError ModbusLink::read_input(int address, std::uint16_t start, std::span<std::uint16_t> out) {
  if (!connected_) return LinkError::connection;
  if (is_tcp()) return tcp_read(address, MODBUS_FC_READ_INPUT_REGISTERS, start, out);
  modbus_set_slave(ctx_, address);
  const int rc = modbus_read_input_registers(ctx_, start, static_cast<int>(out.size()), out.data());
  if (rc >= 0 && rc != static_cast<int>(out.size())) return LinkError::other;
  return classify(rc);
}

LinkError ModbusLink::read_holding(int address, std::uint16_t start, std::span<std::uint16_t> out) {
  if (!connected_) return LinkError::connection;
  if (is_tcp()) return tcp_read(address, MODBUS_FC_READ_HOLDING_REGISTERS, start, out);
  modbus_set_slave(ctx_, address);
  const int rc = modbus_read_registers(ctx_, start, static_cast<int>(out.size()), out.data());
  if (rc >= 0 && rc != static_cast<int>(out.size())) return LinkError::other;
  return classify(rc);
}

LinkError ModbusLink::write_register(int address, std::uint16_t reg, std::uint16_t value) {
  if (!connected_) return LinkError::connection;
  modbus_set_slave(ctx_, address);
  return classify(modbus_write_register(ctx_, reg, value));
}

LinkError ModbusLink::write_registers(int address, std::uint16_t start,
                                      std::span<const std::uint16_t> values) {
  if (!connected_) return LinkError::connection;
  modbus_set_slave(ctx_, address);
  return classify(
      modbus_write_registers(ctx_, start, static_cast<int>(values.size()), values.data()));
}

void ModbusLink::broadcast_write(std::uint16_t reg, std::uint16_t value) {
  if (!connected_) return;
  modbus_set_slave(ctx_, MODBUS_BROADCAST_ADDRESS);
  // Sent raw: libmodbus would otherwise wait a full response timeout for a reply that, by the
  // protocol, never comes.
  const std::array<std::uint8_t, 6> pdu{MODBUS_BROADCAST_ADDRESS,
                                        MODBUS_FC_WRITE_SINGLE_REGISTER,
                                        static_cast<std::uint8_t>(reg >> 8),
                                        static_cast<std::uint8_t>(reg & 0xFF),
                                        static_cast<std::uint8_t>(value >> 8),
                                        static_cast<std::uint8_t>(value & 0xFF)};
  if (modbus_send_raw_request(ctx_, pdu.data(), static_cast<int>(pdu.size())) < 0) {
    classify(-1);
    return;
  }
  if (is_tcp()) {
    // A TCP server may still answer unit 0; give it a moment and drop whatever came back so
    // the next transaction starts clean.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    modbus_flush(ctx_);
  } else {
    // Nobody answers a broadcast, so nothing marks its end: keep the line silent well beyond
    // t3.5 (1.75 ms above 19200 baud), or the next request merges into the same frame and
    // fails its CRC, and give the devices a moment to latch.
    const double t35_s = bus_.baud > 19200 ? 0.00175 : 3.5 * 11.0 / bus_.baud;
    std::this_thread::sleep_for(std::chrono::duration<double>(2.0 * t35_s + 0.001));
  }
}

}  // namespace btms::fieldbus
