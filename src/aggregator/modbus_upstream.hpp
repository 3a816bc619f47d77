// One gateway's Modbus TCP server as seen by the site SCADA endpoint: a single non-blocking
// connection that carries every forwarded read to that gateway, pipelined under transaction ids
// of its own. Driven by the endpoint's poll() loop (never blocks it): requests are queued while
// the address is resolved (names off the loop) and the connection opened; an answer, or the
// lack of one within the timeout, comes back under the caller's token. A request not answered
// in time, or a connection that fails or closes, fails every request in flight and drops the
// connection (a late answer could not be matched safely otherwise); the next request opens a
// new one.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace btms::aggregator {

class ModbusUpstream {
 public:
  using Clock = std::chrono::steady_clock;
  struct Answer {
    std::uint64_t token = 0;
    std::vector<std::uint8_t> adu;  // the gateway's answer with our transaction id; empty = none
  };

  ModbusUpstream(std::string host, int port, std::chrono::milliseconds timeout);
  ~ModbusUpstream();
  ModbusUpstream(const ModbusUpstream&) = delete;
  ModbusUpstream& operator=(const ModbusUpstream&) = delete;

  // Queues one complete request ADU; its outcome is appended to `done` by a later call (or by
  // this one when the gateway cannot be reached at all).
  void submit(std::span<const std::uint8_t> adu, std::uint64_t token, Clock::time_point now,
              std::vector<Answer>& done);
  // For poll(): the socket (-1 = none now) and the events wanted.
  int fd() const { return fd_; }
  short events() const;
  // After poll(): reads answers, writes queued requests, completes a connect.
  void handle_io(short revents, Clock::time_point now, std::vector<Answer>& done);
  // Timeouts, a finished name resolution, an idle connection closed; call every round.
  void housekeeping(Clock::time_point now, std::vector<Answer>& done);
  // When housekeeping next has something to do (a deadline, or a resolution to look at).
  std::optional<Clock::time_point> next_wakeup() const;
  std::size_t in_flight() const { return pending_.size(); }
  const std::string& endpoint() const { return display_; }

 private:
  struct Pending {
    std::uint64_t token;
    Clock::time_point deadline;
  };
  void start_connect(Clock::time_point now, std::vector<Answer>& done);
  void fail_all(std::vector<Answer>& done, const std::string& reason);
  void close_socket();
  bool flush();

  std::string host_;
  int port_;
  std::string display_;
  std::chrono::milliseconds timeout_;
  std::optional<sockaddr_storage> address_;
  socklen_t address_len_ = 0;
  std::future<std::optional<std::pair<sockaddr_storage, socklen_t>>> resolving_;
  bool numeric_host_ = false;

  int fd_ = -1;
  bool connecting_ = false;
  std::vector<std::uint8_t> out_;
  std::size_t out_sent_ = 0;
  std::vector<std::uint8_t> in_;
  std::unordered_map<std::uint16_t, Pending> pending_;  // by our transaction id
  std::uint16_t next_id_ = 1;
  Clock::time_point last_used_{};
  std::string last_error_;  // logged once per change, not per request
};

}  // namespace btms::aggregator
