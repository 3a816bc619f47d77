// One request to a gateway's REST API and the opening of its live stream, as coroutines on the
// caller's io_context. Used by every client of a gateway (the local display, the aggregator), so
// the URL rules, timeouts and the Bearer token are handled in one place.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace btms::gateway_api {

struct GatewayAddress {
  std::string host;
  std::string port;
  std::string display;  // host:port, shown in status lines and sent as Host
};

// "http://host[:port][/]" -> address; nullopt (with the reason in *error) otherwise. https needs
// the gateway's certificate and is refused for now with a message saying so.
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

using StreamSocket = boost::beast::websocket::stream<boost::beast::tcp_stream>;

struct StreamTimeouts {
  std::chrono::milliseconds handshake{5000};
  // The stream is closed when nothing arrived for this long; a ping is sent at half of it, so a
  // gateway that is alive always answers in time even when it has nothing to send.
  std::chrono::milliseconds idle{20000};
};

// Connects the WebSocket /api/v1/stream with the token and sends the subscription
// ({"subscribe":[prefixes]}).
boost::asio::awaitable<void> open_stream(StreamSocket& ws, const GatewayAddress& address,
                                         const std::string& token, const nlohmann::json& prefixes,
                                         std::string_view user_agent, StreamTimeouts timeouts);

}  // namespace btms::gateway_api
