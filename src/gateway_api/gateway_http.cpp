#include "gateway_api/gateway_http.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace btms::gateway_api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using nlohmann::json;

std::optional<GatewayAddress> parse_gateway_url(std::string_view url, std::string* error) {
  const auto fail = [&](std::string reason) -> std::optional<GatewayAddress> {
    if (error) *error = std::move(reason);
    return std::nullopt;
  };
  if (url.starts_with("https://")) {
    return fail(
        "https:// gateways are not supported by this client yet: reach the gateway over "
        "http://127.0.0.1:PORT on its machine (or a tunnel)");
  }
  if (!url.starts_with("http://")) return fail("the gateway URL must start with http://");
  url.remove_prefix(7);
  while (url.ends_with('/')) url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos) {
    return fail("the gateway URL must be http://HOST[:PORT] (no path)");
  }
  GatewayAddress address;
  const auto colon = url.rfind(':');
  if (colon != std::string_view::npos && url.find(']') == std::string_view::npos) {
    address.host = std::string(url.substr(0, colon));
    address.port = std::string(url.substr(colon + 1));
  } else {
    address.host = std::string(url);
    address.port = "80";
  }
  if (address.host.empty() || address.port.empty() ||
      !std::all_of(address.port.begin(), address.port.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return fail("the gateway URL must be http://HOST[:PORT]");
  }
  address.display = address.host + ":" + address.port;
  return address;
}

std::string error_text(const HttpAnswer& answer) {
  const auto j = json::parse(answer.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return fmt::format("{} {}", answer.status, j["error"].get<std::string>());
  }
  return fmt::format("HTTP {}", answer.status);
}

net::awaitable<HttpAnswer> http_request(const GatewayAddress& address, const std::string& token,
                                        http::verb method, const std::string& target,
                                        const std::string& body, std::string_view user_agent,
                                        std::chrono::milliseconds timeout) {
  auto executor = co_await net::this_coro::executor;
  tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  const auto endpoints =
      co_await resolver.async_resolve(address.host, address.port, net::use_awaitable);
  co_await stream.async_connect(endpoints, net::use_awaitable);
  stream.socket().set_option(tcp::no_delay(true));
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, address.display);
  request.set(http::field::user_agent, user_agent);
  if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
  if (method != http::verb::get) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();
  co_await http::async_write(stream, request, net::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64U * 1024 * 1024);  // history answers can be large
  co_await http::async_read(stream, buffer, parser, net::use_awaitable);
  auto response = parser.release();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return HttpAnswer{static_cast<int>(response.result_int()),
                       std::string(response[http::field::content_type]),
                       std::move(response.body())};
}

net::awaitable<json> get_json(const GatewayAddress& address, const std::string& token,
                              const std::string& target, std::string_view user_agent) {
  const auto answer =
      co_await http_request(address, token, http::verb::get, target, {}, user_agent);
  if (answer.status != 200) {
    throw std::runtime_error(fmt::format("GET {}: {}", target, error_text(answer)));
  }
  auto j = json::parse(answer.body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(fmt::format("GET {}: not JSON", target));
  co_return j;
}

net::awaitable<void> open_stream(StreamSocket& ws, const GatewayAddress& address,
                                 const std::string& token, const json& prefixes,
                                 std::string_view user_agent, StreamTimeouts timeouts) {
  auto executor = co_await net::this_coro::executor;
  tcp::resolver resolver(executor);
  beast::get_lowest_layer(ws).expires_after(timeouts.handshake);
  const auto endpoints =
      co_await resolver.async_resolve(address.host, address.port, net::use_awaitable);
  co_await beast::get_lowest_layer(ws).async_connect(endpoints, net::use_awaitable);
  beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true));
  beast::get_lowest_layer(ws).expires_never();
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = timeouts.handshake;
  timeout.idle_timeout = timeouts.idle;
  timeout.keep_alive_pings = true;
  ws.set_option(timeout);
  ws.set_option(websocket::stream_base::decorator(
      [token, agent = std::string(user_agent)](websocket::request_type& req) {
        req.set(http::field::user_agent, agent);
        if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
      }));
  co_await ws.async_handshake(address.display, "/api/v1/stream", net::use_awaitable);
  const std::string subscribe = json{{"subscribe", prefixes}}.dump();
  co_await ws.async_write(net::buffer(subscribe), net::use_awaitable);
}

}  // namespace btms::gateway_api
