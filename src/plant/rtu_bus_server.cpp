#include "plant/rtu_bus_server.hpp"

#include <fcntl.h>
#include <sys/select.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace btms::plant {

namespace {
constexpr int kBitsPerChar = 11;  // start + 8 data + parity/stop + stop
constexpr int kIdlePoll_us = 50'000;
constexpr std::size_t kMaxFrame = 256;

// Modbus: t3.5 is 3.5 character times, fixed at 1.75 ms above 19200 baud.
int t35_us(int baud) {
  if (baud > 19200) return 1750;
  return static_cast<int>(3.5 * kBitsPerChar * 1.0e6 / baud);
}
}  // namespace

RtuBusServer::RtuBusServer(const std::string& bus_name, int baud, int turnaround_ms,
                           BusHandler handler)
    : handler_(std::move(handler)), baud_(baud > 0 ? baud : 19200), turnaround_ms_(turnaround_ms) {
  master_fd_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_fd_ < 0 || ::grantpt(master_fd_) != 0 || ::unlockpt(master_fd_) != 0) {
    if (master_fd_ >= 0) ::close(master_fd_);
    throw std::runtime_error("bus '" + bus_name + "': cannot create a pseudo-terminal");
  }
  char name[128];
  if (::ptsname_r(master_fd_, name, sizeof name) != 0) {
    ::close(master_fd_);
    throw std::runtime_error("bus '" + bus_name + "': ptsname failed");
  }
  device_path_ = name;
  slave_fd_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave_fd_ < 0) {
    ::close(master_fd_);
    throw std::runtime_error("bus '" + bus_name + "': cannot open " + device_path_);
  }
  // Raw line discipline from the start: with the default cooked mode the pty would echo our
  // replies back to us before the gateway has configured the port.
  termios tio{};
  ::tcgetattr(slave_fd_, &tio);
  ::cfmakeraw(&tio);
  ::tcsetattr(slave_fd_, TCSANOW, &tio);
}

RtuBusServer::~RtuBusServer() {
  stop();
  if (slave_fd_ >= 0) ::close(slave_fd_);
  if (master_fd_ >= 0) ::close(master_fd_);
}

void RtuBusServer::start() {
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void RtuBusServer::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void RtuBusServer::run() {
  using Clock = std::chrono::steady_clock;
  std::vector<std::uint8_t> frame;
  const int gap_us = t35_us(baud_);
  const auto gap = std::chrono::microseconds(gap_us);
  // When the line last stopped carrying characters (end of our last reply or of the last
  // request); a new frame cannot begin before t3.5 of silence after it.
  Clock::time_point line_idle_since{};
  Clock::time_point frame_start{};
  while (!stop_) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(master_fd_, &readable);
    // While a frame is arriving wait only t3.5: silence that long ends the frame.
    timeval tv{0, frame.empty() ? kIdlePoll_us : gap_us};
    const int ready = ::select(master_fd_ + 1, &readable, nullptr, nullptr, &tv);
    if (ready > 0) {
      std::uint8_t chunk[512];
      const ssize_t n = ::read(master_fd_, chunk, sizeof chunk);
      if (n > 0) {
        // The pty hands over the whole request at once; on a real line its first character
        // starts no earlier than t3.5 after the line went quiet.
        if (frame.empty()) frame_start = std::max(Clock::now(), line_idle_since + gap);
        frame.insert(frame.end(), chunk, chunk + n);
      }
      if (frame.size() > kMaxFrame) frame.clear();  // garbage: resynchronise on silence
      continue;
    }
    if (ready < 0 || frame.empty()) continue;
    // The request is complete only after its own transmission time, and the slave may answer
    // only after t3.5 of silence following it.
    const auto request_end = frame_start + line_time(frame.size());
    line_idle_since = request_end;
    std::this_thread::sleep_until(request_end + gap);
    // A complete frame: unit, PDU, CRC low, CRC high.
    if (frame.size() >= 4) {
      const std::size_t body = frame.size() - 2;
      const std::uint16_t crc = modbus_crc16(std::span(frame.data(), body));
      const std::uint16_t got = static_cast<std::uint16_t>(frame[body] | (frame[body + 1] << 8));
      if (crc == got) {  // a bad CRC is ignored, as the standard demands
        const std::uint8_t unit = frame[0];
        const auto answer = handler_(unit, std::span(frame.data() + 1, body - 1));
        if (answer && unit != 0 && !answer->pdu.empty()) {
          line_idle_since = reply(unit, *answer, request_end + gap);
        }
      }
    }
    frame.clear();
  }
}

std::chrono::microseconds RtuBusServer::line_time(std::size_t bytes) const {
  return std::chrono::microseconds(static_cast<long long>(bytes) * kBitsPerChar * 1'000'000LL /
                                   baud_);
}

std::chrono::steady_clock::time_point RtuBusServer::reply(
    std::uint8_t unit, const BusReply& answer, std::chrono::steady_clock::time_point may_answer) {
  std::vector<std::uint8_t> out{unit};
  out.insert(out.end(), answer.pdu.begin(), answer.pdu.end());
  const std::uint16_t crc = modbus_crc16(out);
  out.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  out.push_back(static_cast<std::uint8_t>(crc >> 8));
  if (answer.corrupt) out.back() ^= 0x5A;  // line noise: the master must reject the frame
  // A pty delivers instantly; a real line takes 11 bits per character at the baud rate, so the
  // whole reply is handed over when its last character would have arrived.
  const auto tx_start = std::max(std::chrono::steady_clock::now(),
                                 may_answer + std::chrono::milliseconds(turnaround_ms_));
  const auto reply_end = tx_start + line_time(out.size());
  std::this_thread::sleep_until(reply_end);
  std::size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = ::write(master_fd_, out.data() + sent, out.size() - sent);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  return reply_end;
}

}  // namespace btms::plant
