// Minimal blocking HTTP and WebSocket clients on plain sockets, so the tests exercise the
// server exactly as a foreign client would (and do not compile Beast a second time).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace btms::web::test {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Connects to 127.0.0.1:port; -1 on failure.
int connect_loopback(int port);
// Sends raw bytes, reads until the server closes (or timeout); returns everything read.
std::string exchange_raw(int port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
// Parses a single HTTP/1.1 response; status 0 when unparsable.
HttpReply parse_reply(const std::string& raw);
// GET (or another method) with Connection: close.
HttpReply http_request(int port, const std::string& method, const std::string& target,
                       const std::string& body = "");

class WsClient {
 public:
  WsClient() = default;
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Opens the connection and performs the upgrade; returns the HTTP status of the handshake.
  // extra_headers: whole header lines ("Cookie: a=b\r\n"), e.g. a session for a gateway.
  int connect(int port, const std::string& target, const std::string& extra_headers = "");
  bool send_text(const std::string& text);
  // Next text message; pings are answered with pongs unless answer_pings is false (then they
  // are only counted). nullopt on timeout or close.
  std::optional<std::string> read_text(std::chrono::milliseconds timeout);
  // True when the server closed the connection within timeout (reading and discarding).
  bool wait_closed(std::chrono::milliseconds timeout);
  void set_answer_pings(bool answer) { answer_pings_ = answer; }
  int pings_seen() const { return pings_; }
  void close();

 private:
  bool send_frame(int opcode, const std::string& payload);
  int fd_ = -1;
  std::string buffer_;
  std::string message_;  // fragments of a message not yet complete
  bool answer_pings_ = true;
  bool closed_ = false;
  int pings_ = 0;
};

}  // namespace btms::web::test
