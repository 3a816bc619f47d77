// One request to a gateway's REST API and the opening of its live stream, as coroutines on the
// caller's io_context. Used by every client of a gateway (the local display, the aggregator), so
// the URL rules, timeouts and the Bearer token are handled in one place.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace btms::gateway_api {

struct GatewayAddress {
  std::string host;
  std::string port;
  std::string display;  // host:port, shown in status lines and sent as Host
  bool tls = false;     // https://
  // How an https gateway's certificate is trusted (set by the caller after parsing):
  // a pin = the SHA-256 of the gateway's certificate (64 lower-case hex digits; a self-signed
  // gateway certificate needs nothing else), else the CA certificates in ca_file, else the
  // system's CAs; with a CA the certificate must also name `host`.
  std::string cert_pin_sha256;
  std::string ca_file;
};

// "http://host[:port][/]" or "https://host[:port][/]" -> address; nullopt (with the reason in
// *error) otherwise.
std::optional<GatewayAddress> parse_gateway_url(std::string_view url, std::string* error);

struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
};

// "404 no such resource" from a {"error":...} answer, "HTTP 500" otherwise.
std::string error_text(const HttpAnswer& answer);

// One request on a fresh connection; throws boost::system::system_error when the gateway cannot
// be reached or does not answer within `timeout`. An empty token sends no Authorization.
boost::asio::awaitable<HttpAnswer> http_request(
    const GatewayAddress& address, const std::string& token, boost::beast::http::verb method,
    const std::string& target, const std::string& body = {}, std::string_view user_agent = "btms",
    std::chrono::milliseconds timeout = std::chrono::seconds(5));

// GET that must answer 200 with JSON; throws std::runtime_error with the gateway's reason
// otherwise.
boost::asio::awaitable<nlohmann::json> get_json(const GatewayAddress& address,
                                                const std::string& token, const std::string& target,
                                                std::string_view user_agent = "btms");

// The SHA-256 of a PEM certificate file's DER encoding, 64 lower-case hex digits (what a site
// file pins; `openssl x509 -in FILE -noout -fingerprint -sha256` shows the same with colons).
// Throws std::runtime_error when the file cannot be read as a certificate.
std::string certificate_file_sha256(const std::string& pem_path);

struct StreamTimeouts {
  std::chrono::milliseconds handshake{5000};
  // The stream is closed when nothing arrived for this long; a ping is sent at half of it, so a
  // gateway that is alive always answers in time even when it has nothing to send.
  std::chrono::milliseconds idle{20000};
};

// A gateway's live stream over plain TCP or TLS, opened by open_stream.
class StreamSocket {
 public:
  using Plain = boost::beast::websocket::stream<boost::beast::tcp_stream>;
  using Tls = boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;
  using ControlCallback =
      std::function<void(boost::beast::websocket::frame_type, boost::beast::string_view)>;

  explicit StreamSocket(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
  // One message into buffer (after open_stream); throws on a closed or failed stream.
  boost::asio::awaitable<std::size_t> read(boost::beast::flat_buffer& buffer);
  // Pings, pongs and close frames (after open_stream).
  void control_callback(ControlCallback callback);

 private:
  friend boost::asio::awaitable<void> open_stream(StreamSocket&, const GatewayAddress&,
                                                  const std::string&, const nlohmann::json&,
                                                  std::string_view, StreamTimeouts);
  boost::asio::any_io_executor executor_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  std::unique_ptr<Plain> plain_;
  std::unique_ptr<Tls> tls_;
};

// Connects the WebSocket /api/v1/stream with the token and sends the subscription message
// ({"subscribe":[prefixes]}, optionally "events_since_ms": docs/api.md "Live stream events").
boost::asio::awaitable<void> open_stream(StreamSocket& ws, const GatewayAddress& address,
                                         const std::string& token,
                                         const nlohmann::json& subscription,
                                         std::string_view user_agent, StreamTimeouts timeouts);

}  // namespace btms::gateway_api
