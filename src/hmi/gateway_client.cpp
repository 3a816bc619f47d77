#include "hmi/gateway_client.hpp"

#include "hmi/gateway_tls.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace btms::hmi {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr auto kRequestTimeout = 5s;
// The gateway pings an idle stream every 15 s; a link silent for longer than this is dead.
constexpr auto kStreamIdleTimeout = 20s;
constexpr std::chrono::milliseconds kFirstRetry{1000};
constexpr std::chrono::milliseconds kMaxRetry{5000};

struct HttpAnswer {
  int status = 0;
  std::string body;
};

std::string error_text(const HttpAnswer& answer) {
  const auto j = json::parse(answer.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return fmt::format("{} {}", answer.status, j["error"].get<std::string>());
  }
  return fmt::format("HTTP {}", answer.status);
}

template <class Stream>
net::awaitable<HttpAnswer> exchange(Stream& stream, const GatewayEndpoint& endpoint,
                                    http::verb method, const std::string& target,
                                    const std::string& body) {
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, endpoint.address.display);
  request.set(http::field::user_agent, "btms-hmi");
  if (!endpoint.token.empty()) request.set(http::field::authorization, "Bearer " + endpoint.token);
  if (method != http::verb::get) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();
  co_await http::async_write(stream, request, net::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, net::use_awaitable);
  co_return HttpAnswer{static_cast<int>(response.result_int()), std::move(response.body())};
}

// Sends the host name (SNI) unless it is an address, then shakes hands; a refused certificate
// throws with the display's own reason (which pin, which CA) rather than OpenSSL's words.
net::awaitable<void> tls_handshake(TlsStream& stream, GatewayTlsContext& tls) {
  boost::system::error_code not_an_address;
  net::ip::make_address(tls.host(), not_an_address);
  if (not_an_address) SSL_set_tlsext_host_name(stream.native_handle(), tls.host().c_str());
  tls.take_refusal();
  try {
    co_await stream.async_handshake(net::ssl::stream_base::client, net::use_awaitable);
  } catch (const boost::system::system_error& e) {
    auto why = tls.take_refusal();
    throw std::runtime_error(why.empty() ? std::string("TLS: ") + e.code().message() : why);
  }
}

net::awaitable<HttpAnswer> http_request(const GatewayEndpoint& endpoint, http::verb method,
                                        const std::string& target, const std::string& body = {}) {
  auto executor = co_await net::this_coro::executor;
  tcp::resolver resolver(executor);
  const auto endpoints = co_await resolver.async_resolve(endpoint.address.host,
                                                         endpoint.address.port, net::use_awaitable);
  if (!endpoint.tls) {
    beast::tcp_stream stream(executor);
    stream.expires_after(kRequestTimeout);
    co_await stream.async_connect(endpoints, net::use_awaitable);
    auto answer = co_await exchange(stream, endpoint, method, target, body);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return answer;
  }
  TlsStream stream(executor, endpoint.tls->context());
  beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, net::use_awaitable);
  co_await tls_handshake(stream, *endpoint.tls);
  auto answer = co_await exchange(stream, endpoint, method, target, body);
  // No close_notify round trip: the answer is complete, and a gateway that is slow to reply to
  // the shutdown must not hold the display.
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return answer;
}

// GET that must answer 200 with JSON; throws with the gateway's reason otherwise.
net::awaitable<json> get_json(const GatewayEndpoint& endpoint, const std::string& target) {
  const auto answer = co_await http_request(endpoint, http::verb::get, target);
  if (answer.status != 200) {
    throw std::runtime_error(fmt::format("GET {}: {}", target, error_text(answer)));
  }
  auto j = json::parse(answer.body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(fmt::format("GET {}: not JSON", target));
  co_return j;
}

}  // namespace

namespace {

// The WebSocket upgrade on a connected stream (TCP, or TLS after its handshake), the
// subscription, then on_open() and on_message(json) for every message until the link fails
// (throws). The gateway pings an idle stream; our own pings find a silent link.
template <class Ws, class OnOpen, class OnMessage>
net::awaitable<void> follow_stream(Ws& ws, const GatewayEndpoint& endpoint, OnOpen& on_open,
                                   OnMessage& on_message) {
  beast::get_lowest_layer(ws).expires_never();
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = kRequestTimeout;
  timeout.idle_timeout = kStreamIdleTimeout;
  timeout.keep_alive_pings = true;
  ws.set_option(timeout);
  const std::string token = endpoint.token;
  ws.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
    req.set(http::field::user_agent, "btms-hmi");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  }));
  co_await ws.async_handshake(endpoint.address.display, "/api/v1/stream", net::use_awaitable);
  const std::string subscribe = R"({"subscribe":["ups/","string/","battery/"]})";
  co_await ws.async_write(net::buffer(subscribe), net::use_awaitable);
  on_open();
  beast::flat_buffer buffer;
  while (true) {
    buffer.clear();
    co_await ws.async_read(buffer, net::use_awaitable);
    const auto message = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
    if (message.is_object()) co_await on_message(message);
  }
}

}  // namespace

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
    return fail("the gateway URL must start with https:// or http://");
  }
  while (url.ends_with('/')) url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos) {
    return fail("the gateway URL must be https://HOST[:PORT] (no path)");
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
    return fail("the gateway URL must be https://HOST[:PORT] or http://HOST[:PORT]");
  }
  address.display = address.host + ":" + address.port;
  return address;
}

struct GatewayClient::Loop {
  net::io_context io;
};

GatewayClient::GatewayClient(GatewayAddress address, std::string token, const GatewayTrust& trust,
                             std::shared_ptr<const model::Clock> clock, std::function<void()> wake)
    : clock_(std::move(clock)), wake_(std::move(wake)) {
  endpoint_.address = std::move(address);
  endpoint_.token = std::move(token);
  if (endpoint_.address.tls) {
    endpoint_.tls = std::make_shared<GatewayTlsContext>(trust, endpoint_.address.host);
  }
  view_.gateway_name = endpoint_.address.display;
  view_.link.detail = endpoint_.address.display;
}

GatewayClient::~GatewayClient() {
  stop();
}

void GatewayClient::start() {
  thread_ = std::thread([this] { run(); });
}

void GatewayClient::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (loop_) loop_->io.stop();
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SiteView GatewayClient::view() const {
  std::lock_guard lock(mutex_);
  return view_;
}

template <class F>
void GatewayClient::update(F&& change) {
  {
    std::lock_guard lock(mutex_);
    change(view_);
  }
  wake_();
}

void GatewayClient::show_notice(std::string text) {
  update([&](SiteView& v) { v.notice = std::move(text); });
}

void GatewayClient::acknowledge(const std::string& key, const std::string& source,
                                const std::string& comment) {
  std::shared_ptr<Loop> loop;
  {
    std::lock_guard lock(mutex_);
    loop = loop_;
    if (!loop || view_.link.state != LinkState::connected) {
      view_.notice = "not acknowledged: no link to the gateway";
      loop.reset();
    }
  }
  if (!loop) {
    wake_();
    return;
  }
  const json body = key.empty() ? json{{"source", source}, {"comment", comment}}
                                : json{{"key", key}, {"comment", comment}};
  net::co_spawn(
      loop->io,
      [this, body]() -> net::awaitable<void> {
        std::string notice;
        try {
          const auto answer = co_await http_request(endpoint_, http::verb::post,
                                                    "/api/v1/alarms/acknowledge", body.dump());
          if (answer.status == 200) {
            const auto j = json::parse(answer.body, nullptr, false);
            notice = j.is_object() ? j.value("message", "acknowledged") : "acknowledged";
            const auto alarms = co_await get_json(endpoint_, "/api/v1/alarms");
            update([&](SiteView& v) { v.apply_alarms(alarms); });
          } else {
            notice = "not acknowledged: " + error_text(answer);
          }
        } catch (const std::exception& e) {
          notice = std::string("not acknowledged: ") + e.what();
        }
        update([&](SiteView& v) { v.notice = notice; });
      },
      net::detached);
}

std::shared_ptr<GatewayClient::Loop> GatewayClient::connected_loop(std::string_view action) {
  std::shared_ptr<Loop> loop;
  {
    std::lock_guard lock(mutex_);
    if (loop_ && view_.link.state == LinkState::connected) return loop_;
    view_.notice = fmt::format("not {}: no link to the gateway", action);
  }
  wake_();
  return nullptr;
}

void GatewayClient::rename(const std::string& target, const std::string& name) {
  const auto loop = connected_loop("renamed");
  if (!loop) return;
  const json body{{target, name}};
  net::co_spawn(
      loop->io,
      [this, body, target]() -> net::awaitable<void> {
        std::string notice;
        try {
          const auto answer =
              co_await http_request(endpoint_, http::verb::put, "/api/v1/names", body.dump());
          if (answer.status == 200) {
            notice = target + " renamed";
            const auto topology = co_await get_json(endpoint_, "/api/v1/topology");
            update([&](SiteView& v) { v.apply_topology(topology); });
          } else {
            notice = "not renamed: " + error_text(answer);
          }
        } catch (const std::exception& e) {
          notice = std::string("not renamed: ") + e.what();
        }
        update([&](SiteView& v) { v.notice = notice; });
      },
      net::detached);
}

void GatewayClient::run() {
  auto retry = kFirstRetry;
  while (true) {
    auto loop = std::make_shared<Loop>();
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      loop_ = loop;
    }
    std::string failure;
    bool was_connected = false;
    net::co_spawn(
        loop->io,
        [&]() -> net::awaitable<void> {
          const auto session = co_await get_json(endpoint_, "/api/v1/session");
          const auto topology = co_await get_json(endpoint_, "/api/v1/topology");
          const auto live = co_await get_json(endpoint_, "/api/v1/live");
          const auto alarms = co_await get_json(endpoint_, "/api/v1/alarms");

          const auto on_open = [&] {
            const auto now = clock_->now_ms();
            update([&](SiteView& v) {
              v.apply_topology(topology);
              v.apply_channels(live.value("channels", json::object()));
              v.set_gateway_time_ms(live.value("time_ms", std::int64_t{0}), now);
              v.apply_alarms(alarms);
              v.operator_role =
                  session.value("role", "") == "operator" || session.value("role", "") == "admin";
              v.link.state = LinkState::connected;
              v.link.detail.clear();
              v.link.lost_since_ms = 0;
            });
            was_connected = true;
            retry = kFirstRetry;
          };
          const auto on_message = [&](const json& message) -> net::awaitable<void> {
            const auto type = message.value("type", "");
            if (type == "values") {
              const auto received = clock_->now_ms();
              update([&](SiteView& v) {
                v.apply_channels(message.value("channels", json::object()));
                v.set_gateway_time_ms(message.value("time_ms", std::int64_t{0}), received);
              });
            } else if (type == "alarms" || type == "event" || type == "events_missed") {
              // The alarm list itself is not in the stream: read it again.
              const auto fresh = co_await get_json(endpoint_, "/api/v1/alarms");
              update([&](SiteView& v) { v.apply_alarms(fresh); });
            }
          };

          auto executor = co_await net::this_coro::executor;
          tcp::resolver resolver(executor);
          const auto endpoints = co_await resolver.async_resolve(
              endpoint_.address.host, endpoint_.address.port, net::use_awaitable);
          if (endpoint_.tls) {
            websocket::stream<TlsStream> ws(executor, endpoint_.tls->context());
            beast::get_lowest_layer(ws).expires_after(kRequestTimeout);
            co_await beast::get_lowest_layer(ws).async_connect(endpoints, net::use_awaitable);
            co_await tls_handshake(ws.next_layer(), *endpoint_.tls);
            co_await follow_stream(ws, endpoint_, on_open, on_message);
          } else {
            websocket::stream<beast::tcp_stream> ws(executor);
            beast::get_lowest_layer(ws).expires_after(kRequestTimeout);
            co_await beast::get_lowest_layer(ws).async_connect(endpoints, net::use_awaitable);
            co_await follow_stream(ws, endpoint_, on_open, on_message);
          }
        },
        [&](std::exception_ptr error) {
          try {
            if (error) std::rethrow_exception(error);
          } catch (const boost::system::system_error& e) {
            failure = e.code().message();
          } catch (const std::exception& e) {
            failure = e.what();
          }
        });
    loop->io.run();

    const auto now = clock_->now_ms();
    update([&](SiteView& v) {
      if (v.link.state != LinkState::lost || v.link.lost_since_ms == 0) v.link.lost_since_ms = now;
      // Before the first contact the screen says "connecting"; after one, that the link is lost.
      v.link.state =
          (was_connected || v.gateway_time_ms() != 0) ? LinkState::lost : LinkState::connecting;
      v.link.detail = failure.empty() ? "connection closed" : failure;
    });
    std::unique_lock lock(mutex_);
    loop_.reset();
    if (stop_cv_.wait_for(lock, retry, [this] { return stopping_; })) return;
    retry = std::min(retry * 2, kMaxRetry);
  }
}

}  // namespace btms::hmi
