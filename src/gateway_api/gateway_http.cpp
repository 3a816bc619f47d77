#include "gateway_api/gateway_http.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include <fmt/format.h>

namespace btms::gateway_api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using nlohmann::json;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

std::string sha256_hex(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1) {
    throw std::runtime_error("cannot compute the certificate's SHA-256");
  }
  std::string hex;
  for (unsigned int k = 0; k < length; ++k) hex += fmt::format("{:02x}", digest[k]);
  return hex;
}

// A client context per connection attempt: TLS 1.2 as the oldest protocol. A pinned gateway is
// checked after the handshake (check_pin): a self-signed certificate has no chain to verify. Else
// the chain must lead to ca_file's (or the system's) CAs and name the host.
std::shared_ptr<ssl::context> client_context(const GatewayAddress& address) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::no_compression);
  if (!address.cert_pin_sha256.empty()) {
    context->set_verify_mode(ssl::verify_none);
    return context;
  }
  if (!address.ca_file.empty()) {
    context->load_verify_file(address.ca_file);
  } else {
    context->set_default_verify_paths();
  }
  context->set_verify_mode(ssl::verify_peer);
  return context;
}

// SNI (for names, not addresses) and the host name check of a CA-verified certificate.
void prepare_tls(TlsStream& stream, const GatewayAddress& address) {
  boost::system::error_code ec;
  net::ip::make_address(address.host, ec);
  if (ec) SSL_set_tlsext_host_name(stream.native_handle(), address.host.c_str());
  if (address.cert_pin_sha256.empty()) {
    stream.set_verify_callback(ssl::host_name_verification(address.host));
  }
}

void check_pin(TlsStream& stream, const GatewayAddress& address) {
  if (address.cert_pin_sha256.empty()) return;
  X509* certificate = SSL_get1_peer_certificate(stream.native_handle());
  if (certificate == nullptr) throw std::runtime_error("the gateway sent no certificate");
  std::string actual;
  try {
    actual = sha256_hex(certificate);
  } catch (...) {
    X509_free(certificate);
    throw;
  }
  X509_free(certificate);
  if (actual != address.cert_pin_sha256) {
    throw std::runtime_error(fmt::format(
        "certificate pin mismatch: the gateway's certificate has SHA-256 {}, the site file pins {}",
        actual, address.cert_pin_sha256));
  }
}

// Request and answer on an open stream (plain or TLS).
template <class Stream>
net::awaitable<HttpAnswer> exchange(Stream& stream, const GatewayAddress& address,
                                    const std::string& token, http::verb method,
                                    const std::string& target, const std::string& body,
                                    std::string_view user_agent) {
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
  co_return HttpAnswer{static_cast<int>(response.result_int()),
                       std::string(response[http::field::content_type]),
                       std::move(response.body())};
}

}  // namespace

std::string certificate_file_sha256(const std::string& pem_path) {
  FILE* file = std::fopen(pem_path.c_str(), "r");
  if (file == nullptr) throw std::runtime_error("cannot read certificate file " + pem_path);
  X509* certificate = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (certificate == nullptr) throw std::runtime_error(pem_path + " holds no PEM certificate");
  std::string hex;
  try {
    hex = sha256_hex(certificate);
  } catch (...) {
    X509_free(certificate);
    throw;
  }
  X509_free(certificate);
  return hex;
}

std::optional<GatewayAddress> parse_gateway_url(std::string_view url, std::string* error) {
  const auto fail = [&](std::string reason) -> std::optional<GatewayAddress> {
    if (error) *error = std::move(reason);
    return std::nullopt;
  };
  GatewayAddress address;
  if (url.starts_with("https://")) {
    address.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return fail("the gateway URL must start with http:// or https://");
  }
  while (url.ends_with('/')) url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos) {
    return fail("the gateway URL must be http[s]://HOST[:PORT] (no path)");
  }
  const auto colon = url.rfind(':');
  if (colon != std::string_view::npos && url.find(']') == std::string_view::npos) {
    address.host = std::string(url.substr(0, colon));
    address.port = std::string(url.substr(colon + 1));
  } else {
    address.host = std::string(url);
    address.port = address.tls ? "443" : "80";
  }
  if (address.host.empty() || address.port.empty() ||
      !std::all_of(address.port.begin(), address.port.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return fail("the gateway URL must be http[s]://HOST[:PORT]");
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
  const auto endpoints =
      co_await resolver.async_resolve(address.host, address.port, net::use_awaitable);
  if (!address.tls) {
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);
    co_await stream.async_connect(endpoints, net::use_awaitable);
    stream.socket().set_option(tcp::no_delay(true));
    auto answer = co_await exchange(stream, address, token, method, target, body, user_agent);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return answer;
  }
  const auto context = client_context(address);
  TlsStream stream(executor, *context);
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, net::use_awaitable);
  beast::get_lowest_layer(stream).socket().set_option(tcp::no_delay(true));
  prepare_tls(stream, address);
  co_await stream.async_handshake(ssl::stream_base::client, net::use_awaitable);
  check_pin(stream, address);
  auto answer = co_await exchange(stream, address, token, method, target, body, user_agent);
  // One request per connection: closing the socket is enough (no TLS close_notify wait).
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return answer;
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

namespace {
template <class Ws>
net::awaitable<void> handshake_and_subscribe(Ws& ws, const GatewayAddress& address,
                                             const std::string& token, const json& subscription,
                                             std::string_view user_agent, StreamTimeouts timeouts) {
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
  const std::string subscribe = subscription.dump();
  co_await ws.async_write(net::buffer(subscribe), net::use_awaitable);
}
}  // namespace

net::awaitable<void> open_stream(StreamSocket& ws, const GatewayAddress& address,
                                 const std::string& token, const json& subscription,
                                 std::string_view user_agent, StreamTimeouts timeouts) {
  tcp::resolver resolver(ws.executor_);
  const auto endpoints =
      co_await resolver.async_resolve(address.host, address.port, net::use_awaitable);
  if (!address.tls) {
    ws.plain_ = std::make_unique<StreamSocket::Plain>(ws.executor_);
    auto& ws_plain = *ws.plain_;
    beast::get_lowest_layer(ws_plain).expires_after(timeouts.handshake);
    co_await beast::get_lowest_layer(ws_plain).async_connect(endpoints, net::use_awaitable);
    beast::get_lowest_layer(ws_plain).socket().set_option(tcp::no_delay(true));
    beast::get_lowest_layer(ws_plain).expires_never();
    co_await handshake_and_subscribe(ws_plain, address, token, subscription, user_agent, timeouts);
    co_return;
  }
  ws.tls_context_ = client_context(address);
  ws.tls_ = std::make_unique<StreamSocket::Tls>(ws.executor_, *ws.tls_context_);
  auto& ws_tls = *ws.tls_;
  auto& tcp_layer = beast::get_lowest_layer(ws_tls);
  tcp_layer.expires_after(timeouts.handshake);
  co_await tcp_layer.async_connect(endpoints, net::use_awaitable);
  tcp_layer.socket().set_option(tcp::no_delay(true));
  prepare_tls(ws_tls.next_layer(), address);
  co_await ws_tls.next_layer().async_handshake(ssl::stream_base::client, net::use_awaitable);
  check_pin(ws_tls.next_layer(), address);
  tcp_layer.expires_never();
  co_await handshake_and_subscribe(ws_tls, address, token, subscription, user_agent, timeouts);
}

net::awaitable<std::size_t> StreamSocket::read(beast::flat_buffer& buffer) {
  if (tls_) co_return co_await tls_->async_read(buffer, net::use_awaitable);
  if (plain_) co_return co_await plain_->async_read(buffer, net::use_awaitable);
  throw std::logic_error("StreamSocket::read before open_stream");
}

void StreamSocket::control_callback(ControlCallback callback) {
  if (tls_) tls_->control_callback(std::move(callback));
  if (plain_) plain_->control_callback(std::move(callback));
}

}  // namespace btms::gateway_api
