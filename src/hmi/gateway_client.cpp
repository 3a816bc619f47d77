#include "hmi/gateway_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

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

net::awaitable<HttpAnswer> http_request(const GatewayAddress& address, const std::string& token,
                                        http::verb method, const std::string& target,
                                        const std::string& body = {}) {
  auto executor = co_await net::this_coro::executor;
  tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  stream.expires_after(kRequestTimeout);
  const auto endpoints =
      co_await resolver.async_resolve(address.host, address.port, net::use_awaitable);
  co_await stream.async_connect(endpoints, net::use_awaitable);
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, address.display);
  request.set(http::field::user_agent, "btms-hmi");
  if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
  if (method != http::verb::get) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();
  co_await http::async_write(stream, request, net::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, net::use_awaitable);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return HttpAnswer{static_cast<int>(response.result_int()), std::move(response.body())};
}

// GET that must answer 200 with JSON; throws with the gateway's reason otherwise.
net::awaitable<json> get_json(const GatewayAddress& address, const std::string& token,
                              const std::string& target) {
  const auto answer = co_await http_request(address, token, http::verb::get, target);
  if (answer.status != 200) {
    throw std::runtime_error(fmt::format("GET {}: {}", target, error_text(answer)));
  }
  auto j = json::parse(answer.body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(fmt::format("GET {}: not JSON", target));
  co_return j;
}

}  // namespace

std::optional<GatewayAddress> parse_gateway_url(std::string_view url, std::string* error) {
  const auto fail = [&](std::string reason) -> std::optional<GatewayAddress> {
    if (error) *error = std::move(reason);
    return std::nullopt;
  };
  if (url.starts_with("https://")) {
    return fail(
        "https:// gateways are not supported by this display yet: run it on the gateway's "
        "machine against http://127.0.0.1:PORT");
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

struct GatewayClient::Loop {
  net::io_context io;
};

GatewayClient::GatewayClient(GatewayAddress address, std::string token,
                             std::shared_ptr<const model::Clock> clock, std::function<void()> wake)
    : address_(std::move(address)),
      token_(std::move(token)),
      clock_(std::move(clock)),
      wake_(std::move(wake)) {
  view_.gateway_name = address_.display;
  view_.link.detail = address_.display;
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

void GatewayClient::acknowledge(const std::string& key, const std::string& source) {
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
  const json body = key.empty() ? json{{"source", source}, {"comment", "acknowledged on the HMI"}}
                                : json{{"key", key}, {"comment", "acknowledged on the HMI"}};
  net::co_spawn(
      loop->io,
      [this, body]() -> net::awaitable<void> {
        std::string notice;
        try {
          const auto answer = co_await http_request(address_, token_, http::verb::post,
                                                    "/api/v1/alarms/acknowledge", body.dump());
          if (answer.status == 200) {
            const auto j = json::parse(answer.body, nullptr, false);
            notice = j.is_object() ? j.value("message", "acknowledged") : "acknowledged";
            const auto alarms = co_await get_json(address_, token_, "/api/v1/alarms");
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
          const auto answer = co_await http_request(address_, token_, http::verb::put,
                                                    "/api/v1/names", body.dump());
          if (answer.status == 200) {
            notice = target + " renamed";
            const auto topology = co_await get_json(address_, token_, "/api/v1/topology");
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
          const auto session = co_await get_json(address_, token_, "/api/v1/session");
          const auto topology = co_await get_json(address_, token_, "/api/v1/topology");
          const auto live = co_await get_json(address_, token_, "/api/v1/live");
          const auto alarms = co_await get_json(address_, token_, "/api/v1/alarms");

          auto executor = co_await net::this_coro::executor;
          tcp::resolver resolver(executor);
          websocket::stream<beast::tcp_stream> ws(executor);
          beast::get_lowest_layer(ws).expires_after(kRequestTimeout);
          const auto endpoints =
              co_await resolver.async_resolve(address_.host, address_.port, net::use_awaitable);
          co_await beast::get_lowest_layer(ws).async_connect(endpoints, net::use_awaitable);
          beast::get_lowest_layer(ws).expires_never();
          websocket::stream_base::timeout timeout{};
          timeout.handshake_timeout = kRequestTimeout;
          timeout.idle_timeout = kStreamIdleTimeout;
          timeout.keep_alive_pings = true;
          ws.set_option(timeout);
          const std::string token = token_;
          ws.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
            req.set(http::field::user_agent, "btms-hmi");
            if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
          }));
          co_await ws.async_handshake(address_.display, "/api/v1/stream", net::use_awaitable);
          const std::string subscribe = R"({"subscribe":["ups/","string/","battery/"]})";
          co_await ws.async_write(net::buffer(subscribe), net::use_awaitable);

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

          beast::flat_buffer buffer;
          while (true) {
            buffer.clear();
            co_await ws.async_read(buffer, net::use_awaitable);
            const auto message =
                json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
            if (!message.is_object()) continue;
            const auto type = message.value("type", "");
            if (type == "values") {
              const auto received = clock_->now_ms();
              update([&](SiteView& v) {
                v.apply_channels(message.value("channels", json::object()));
                v.set_gateway_time_ms(message.value("time_ms", std::int64_t{0}), received);
              });
            } else if (type == "alarms" || type == "event" || type == "events_missed") {
              // The alarm list itself is not in the stream: read it again.
              const auto fresh = co_await get_json(address_, token_, "/api/v1/alarms");
              update([&](SiteView& v) { v.apply_alarms(fresh); });
            }
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
