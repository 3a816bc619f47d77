#include "aggregator/aggregator_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "aggregator/aggregator.hpp"
#include "aggregator/channel_changes.hpp"
#include "aggregator/request_forwarding.hpp"
#include "aggregator/site_attention.hpp"
#include "aggregator/site_view.hpp"
#include "security/token_store.hpp"
#include "web/auth_handlers.hpp"
#include "web/router.hpp"
#include "web/static_files.hpp"
#include "web/tls_setup.hpp"

namespace btms::aggregator {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kUserAgent = "btms-aggregator";
// A stream client gets at most one values message per this interval (newest state, coalesced).
constexpr auto kStreamPace = 50ms;
// Gateway states (and data ages) are re-sent at least this often, so a gateway that falls
// silent is shown offline by time even when no message arrives.
constexpr auto kStreamStateTick = 1s;
constexpr std::size_t kMaxBody_bytes = 64UL * 1024;

struct Caller {
  web::Role role = web::Role::anonymous;
  std::string user;  // "token:NAME", "anonymous" (loopback demo) or ""
};

web::Role web_role(security::Role role) {
  switch (role) {
    case security::Role::viewer:
      return web::Role::viewer;
    case security::Role::operator_:
      return web::Role::operator_;
    case security::Role::admin:
      return web::Role::admin;
  }
  return web::Role::anonymous;
}

web::Response json_response(const json& j, int status = 200) {
  web::Response r;
  r.status = status;
  r.body = j.dump();
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

struct StreamClient {
  explicit StreamClient(const net::any_io_executor& executor) : wake(executor) {
    wake.expires_at(net::steady_timer::time_point::max());
  }
  net::steady_timer wake;
  bool dirty = true;
  void signal() {
    dirty = true;
    wake.cancel();
  }
};

struct AggregatorServer::Impl {
  explicit Impl(Aggregator& a) : agg(a), acceptor(io) {}

  Aggregator& agg;
  net::io_context io{1};
  tcp::acceptor acceptor;
  std::thread thread;
  web::Router router;
  std::unique_ptr<security::TokenStore> tokens;
  std::unique_ptr<net::ssl::context> tls;  // set by start() when options.tls: HTTPS and WSS
  // Wake-ups of the stream clients, at most one per kStreamPace: 16 full gateways send about
  // 530 messages a second, and waking the io thread for each cost more than the clients' work.
  std::atomic<bool> wake_pending{false};  // a wake-up is posted or its pace timer runs
  std::atomic<bool> changed{false};       // news since the clients were last woken
  net::steady_timer wake_pace{io};
  std::vector<std::weak_ptr<StreamClient>> clients;  // io thread only
  int bound_port = -1;

  Caller caller_of(const web::Request& request) {
    Caller c;
    if (const auto it = request.headers.find("authorization"); it != request.headers.end()) {
      const auto token = security::bearer_token(it->second);
      if (tokens && !token.empty()) {
        if (const auto info = tokens->verify(token, agg.clock().now_ms())) {
          c.role = web_role(info->role);
          c.user = "token:" + info->name;
        }
      }
      return c;
    }
    if (agg.options().allow_anonymous_read && web::is_loopback_address(request.remote_address) &&
        (request.method == "GET" || request.method == "HEAD")) {
      c.role = web::Role::viewer;
      c.user = "anonymous";
    }
    return c;
  }

  std::optional<web::Response> refuse(const web::Request& request, web::Role need) {
    if (need == web::Role::anonymous) return std::nullopt;
    const auto caller = caller_of(request);
    if (caller.role == web::Role::anonymous) {
      return request.headers.contains("authorization")
                 ? web::json_error(401, "invalid or revoked API token")
                 : web::json_error(401, "login required");
    }
    if (static_cast<int>(caller.role) < static_cast<int>(need)) {
      return web::json_error(403, "insufficient role");
    }
    return std::nullopt;
  }

  void add_routes() {
    router.set_authorizer(
        [this](const web::Request& r, web::Role need) { return refuse(r, need); });
    router.add(web::Route{"/api/v1/health",
                          {"GET"},
                          web::Role::anonymous,
                          [this](const web::Request&, const web::ParsedTarget&) {
                            return json_response(json{{"ok", true},
                                                      {"role", "aggregator"},
                                                      {"site", agg.site().site_name},
                                                      {"gateways", agg.links().size()}});
                          }});
    router.add(web::Route{"/api/v1/session",
                          {"GET"},
                          web::Role::anonymous,
                          [this](const web::Request& r, const web::ParsedTarget&) {
                            const auto c = caller_of(r);
                            const char* role = c.role == web::Role::admin       ? "admin"
                                               : c.role == web::Role::operator_ ? "operator"
                                               : c.role == web::Role::viewer    ? "viewer"
                                                                                : "";
                            return json_response(json{{"authenticated", !c.user.empty()},
                                                      {"user", c.user},
                                                      {"role", role},
                                                      {"aggregator", true}});
                          }});
    router.add(web::Route{"/api/v1/topology",
                          {"GET"},
                          web::Role::viewer,
                          [this](const web::Request&, const web::ParsedTarget&) {
                            return json_response(site_topology_json(
                                agg.site().site_name, agg.gateways(), agg.clock().now_ms()));
                          }});
    router.add(web::Route{"/api/v1/site",
                          {"GET"},
                          web::Role::viewer,
                          [this](const web::Request&, const web::ParsedTarget&) {
                            return json_response(site_summary_json(
                                agg.site().site_name, agg.gateways(), agg.clock().now_ms()));
                          }});
    router.add(web::Route{"/api/v1/alarms",
                          {"GET"},
                          web::Role::viewer,
                          [this](const web::Request&, const web::ParsedTarget&) {
                            return json_response(
                                site_alarms_json(agg.gateways(), agg.clock().now_ms()));
                          }});
    router.add(web::Route{"/api/v1/live",
                          {"GET"},
                          web::Role::viewer,
                          [this](const web::Request&, const web::ParsedTarget& target) {
                            std::string prefix;
                            for (const auto& [key, value] : target.query) {
                              if (key != "prefix") {
                                return web::json_error(400, "unknown query parameter: " + key);
                              }
                              prefix = value;
                            }
                            return json_response(
                                site_live_json(agg.gateways(), prefix, agg.clock().now_ms()));
                          }});
    router.add(web::Route{"/api/*",
                          {},
                          web::Role::anonymous,
                          [](const web::Request&, const web::ParsedTarget& target) {
                            return web::json_error(404, "no such resource: " + target.path);
                          }});
    web::add_static_route(router, agg.options().static_dir);
  }

  // Called from the links' threads on every change: wakes every stream client at once when
  // they were idle, else once at the end of the running pace interval.
  void on_change() {
    changed = true;
    if (wake_pending.exchange(true)) return;
    net::post(io, [this] { wake_clients(); });
  }

  // io thread; wake_pending is true.
  void wake_clients() {
    changed = false;
    std::erase_if(clients, [](const std::weak_ptr<StreamClient>& w) {
      const auto c = w.lock();
      if (c) c->signal();
      return !c;
    });
    wake_pace.expires_after(kStreamPace);
    wake_pace.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // stopping
      wake_pending = false;
      // News that came during the interval (its on_change saw wake_pending still true).
      if (changed && !wake_pending.exchange(true)) wake_clients();
    });
  }

  // A gateway's judgement of every battery reads weeks of history: given more time than a
  // plain forward (the link's request time, 3 s).
  static constexpr std::chrono::milliseconds kAttentionRequest{20'000};

  net::awaitable<web::Response> send_to_gateway(const Forward& f) {
    const auto* link = agg.link(f.gateway);
    if (link == nullptr) co_return web::json_error(404, "no such gateway: " + f.gateway);
    const bool online =
        link->read([](const GatewayData& d) { return d.state == LinkState::online; });
    if (!online) {
      co_return web::json_error(503, fmt::format("gateway {} is offline", f.gateway));
    }
    gateway_api::HttpAnswer answer;
    try {
      answer = co_await gateway_api::http_request(
          link->address(), link->entry().token,
          f.method == "POST" ? http::verb::post : http::verb::get, f.target, f.body, kUserAgent,
          f.target.starts_with("/api/v1/attention") ? kAttentionRequest
                                                    : agg.options().link_timings.request);
    } catch (const std::exception& e) {
      co_return web::json_error(502, fmt::format("gateway {}: {}", f.gateway, e.what()));
    }
    web::Response r;
    r.status = answer.status;
    r.content_type = answer.content_type.empty() ? "application/json" : answer.content_type;
    r.body = std::move(answer.body);
    r.headers.emplace_back("Cache-Control", "no-store");
    co_return r;
  }

  // send_to_gateway for a spawned request: the forward lives in this coroutine's frame.
  net::awaitable<web::Response> send_owned(Forward f) { co_return co_await send_to_gateway(f); }

  // Sends every forward at once and waits for all answers (each bounded by the link's request
  // time), so the slowest gateway, not the sum of them, sets the time. The server runs on one
  // thread: the counter and the timer are touched by it alone.
  net::awaitable<std::vector<web::Response>> send_to_all(std::vector<Forward> forwards) {
    const auto executor = co_await net::this_coro::executor;
    auto answers = std::make_shared<std::vector<web::Response>>(forwards.size());
    auto remaining = std::make_shared<std::size_t>(forwards.size());
    auto all_in =
        std::make_shared<net::steady_timer>(executor, net::steady_timer::time_point::max());
    for (std::size_t i = 0; i < forwards.size(); ++i) {
      net::co_spawn(
          executor, send_owned(forwards[i]),
          [answers, remaining, all_in, i](const std::exception_ptr& failed, web::Response r) {
            (*answers)[i] = failed ? web::json_error(502, "forwarding failed") : std::move(r);
            if (--*remaining == 0) all_in->cancel();
          });
    }
    if (*remaining > 0) {
      boost::system::error_code cancelled;
      co_await all_in->async_wait(net::redirect_error(net::use_awaitable, cancelled));
    }
    co_return std::move(*answers);
  }

  // /api/v1/attention at the site: every gateway's ranking, merged (site_attention.hpp). Only
  // `days` is passed on; one string is asked of its gateway (/api/v1/gateways/<gw>/attention).
  net::awaitable<web::Response> site_attention(const web::ParsedTarget& target) {
    std::string query;
    for (const auto& [key, value] : target.query) {
      if (key != "days") {
        co_return web::json_error(
            400, fmt::format("unknown query parameter: {} (at the site only days; one string "
                             "is asked of its gateway: /api/v1/gateways/<name>/attention)",
                             key));
      }
      if (value.empty() || value.size() > 4 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        co_return web::json_error(400, "days must be a whole number of days");
      }
      query = "?days=" + value;
    }
    std::vector<Forward> forwards;
    std::vector<GatewayAttentionAnswer> answers;
    for (const auto& link : agg.links()) {
      answers.push_back(GatewayAttentionAnswer{link->entry().name, 0, {}});
      const bool online =
          link->read([](const GatewayData& d) { return d.state == LinkState::online; });
      if (online)
        forwards.push_back(
            Forward{link->entry().name, "GET", "/api/v1/attention" + query, {}, false});
    }
    const auto responses = co_await send_to_all(forwards);
    for (std::size_t i = 0; i < forwards.size(); ++i) {
      for (auto& a : answers) {
        if (a.gateway != forwards[i].gateway) continue;
        a.status = responses[i].status;
        a.body = responses[i].body;
      }
    }
    co_return json_response(merge_site_attention(answers, agg.clock().now_ms()));
  }

  net::awaitable<web::Response> handle(const web::Request& request) {
    const auto parsed = web::parse_target(request.target);
    if (!parsed) co_return web::json_error(400, "malformed request target");
    const auto caller = caller_of(request);

    auto fwd = forward_for_gateway_path(request.method, request.target, request.body, caller.user);
    if (fwd.forward || !fwd.error.empty()) {
      if (!fwd.forward) co_return web::json_error(fwd.status, fwd.error);
      if (auto denied = refuse(
              request, fwd.forward->needs_operator ? web::Role::operator_ : web::Role::viewer)) {
        co_return *denied;
      }
      co_return co_await send_to_gateway(*fwd.forward);
    }

    if (parsed->path == "/api/v1/alarms/acknowledge") {
      if (request.method != "POST") co_return web::json_error(405, "method not allowed");
      if (auto denied = refuse(request, web::Role::operator_)) co_return *denied;
      std::vector<std::string> names;
      for (const auto& link : agg.links()) names.push_back(link->entry().name);
      const auto plan = plan_site_acknowledge(request.body, caller.user, names);
      if (!plan.error.empty()) co_return web::json_error(400, plan.error);
      if (plan.forwards.size() == 1) co_return co_await send_to_gateway(plan.forwards.front());
      json results = json::array();
      bool all_ok = true;
      for (const auto& f : plan.forwards) {
        const auto r = co_await send_to_gateway(f);
        all_ok = all_ok && r.status == 200;
        results.push_back(json{{"gateway", f.gateway},
                               {"status", r.status},
                               {"answer", json::parse(r.body, nullptr, false)}});
      }
      co_return json_response(json{{"ok", all_ok}, {"results", std::move(results)}});
    }

    if (parsed->path == "/api/v1/attention") {
      if (request.method != "GET") co_return web::json_error(405, "method not allowed");
      if (auto denied = refuse(request, web::Role::viewer)) co_return *denied;
      co_return co_await site_attention(*parsed);
    }

    // Per-battery values (and anything else not among the summaries) are read from the owning
    // gateway when asked for: /api/v1/live?prefix=<gateway>/battery/3/.
    if (parsed->path == "/api/v1/live" && request.method == "GET") {
      const auto it = parsed->query.find("prefix");
      if (it != parsed->query.end()) {
        const auto split = split_gateway_prefix(it->second);
        if (split && !split->rest.starts_with("ups/") && !split->rest.starts_with("string/") &&
            !split->rest.empty() && agg.link(split->gateway) != nullptr) {
          if (auto denied = refuse(request, web::Role::viewer)) co_return *denied;
          const auto* link = agg.link(split->gateway);
          Forward f{split->gateway, "GET", "/api/v1/live?prefix=" + split->rest, {}, false};
          auto answer = co_await send_to_gateway(f);
          if (answer.status != 200) co_return answer;
          const bool fresh =
              link->read([&](const GatewayData& d) { return is_fresh(d, agg.clock().now_ms()); });
          co_return json_response(
              prefixed_live_json(json::parse(answer.body, nullptr, false), split->gateway, fresh));
        }
      }
    }
    co_return router.handle(request);
  }

  // Diffs what the client was sent against the links' data and returns the next messages.
  std::vector<std::string> stream_messages(const std::vector<std::string>& prefixes,
                                           std::vector<SentState>& sent, std::string& sent_states,
                                           std::string& sent_alarms) {
    std::vector<std::string> out;
    const auto now = agg.clock().now_ms();
    const auto& links = agg.links();
    sent.resize(links.size());
    std::string channels;  // JSON object members (channel_changes.hpp)
    json states = json::array();
    int alarm_count = 0, unacknowledged = 0;
    for (std::size_t i = 0; i < links.size(); ++i) {
      links[i]->read([&](const GatewayData& d) {
        const bool fresh = is_fresh(d, now);
        states.push_back(json{{"name", d.name},
                              {"state", to_string(d.state)},
                              {"fresh", fresh},
                              {"worst_state", worst_state(d, now)},
                              {"last_data_ms", d.last_data_ms}});
        if (d.alarms.is_object()) {
          alarm_count += d.alarms.value("count", 0);
          unacknowledged += d.alarms.value("unacknowledged", 0);
        }
        append_changed_channels(d, fresh, prefixes, sent[i], channels);
      });
    }
    // States without ages: a message only when a state changes; ages follow from last_data_ms.
    auto states_text = states.dump();
    if (states_text != sent_states) {
      sent_states = states_text;
      out.push_back(
          json{{"type", "gateways"}, {"time_ms", now}, {"gateways", std::move(states)}}.dump());
    }
    auto alarms_text = fmt::format("{}/{}", alarm_count, unacknowledged);
    if (alarms_text != sent_alarms) {
      sent_alarms = alarms_text;
      out.push_back(
          json{{"type", "alarms"}, {"count", alarm_count}, {"unacknowledged", unacknowledged}}
              .dump());
    }
    if (!channels.empty()) {
      out.push_back(
          fmt::format(R"({{"type":"values","time_ms":{},"channels":{{{}}}}})", now, channels));
    }
    return out;
  }

  // A stream client's reader: subscriptions ({"subscribe":[...]}, gateway-prefixed like the
  // site's channels) until the client goes; then `closed`. A function with parameters, not a
  // capturing lambda: a coroutine keeps its parameters in its frame, but a lambda's captures
  // live in the closure, which co_spawn's caller destroys while the coroutine still runs (the
  // aggregator crashed with heap corruption when stream clients came and went).
  template <class Ws>
  net::awaitable<void> read_subscriptions(Ws& ws, std::shared_ptr<StreamClient> client,
                                          std::shared_ptr<std::vector<std::string>> prefixes,
                                          bool& closed) {
    beast::flat_buffer buffer;
    try {
      while (true) {
        buffer.clear();
        co_await ws.async_read(buffer, net::use_awaitable);
        const auto j = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
        if (j.is_object() && j.contains("subscribe") && j["subscribe"].is_array()) {
          prefixes->clear();
          for (const auto& p : j["subscribe"]) {
            if (p.is_string()) prefixes->push_back(p.get<std::string>());
          }
          client->signal();
        }
      }
    } catch (const std::exception&) {
    }
    closed = true;
    client->signal();
  }

  // Next: beast::tcp_stream (ws://) or beast::ssl_stream over it (wss://, handshake done).
  template <class Next>
  net::awaitable<void> run_stream(websocket::stream<Next> ws,
                                  http::request<http::string_body> upgrade) {
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    co_await ws.async_accept(upgrade, net::use_awaitable);
    auto client = std::make_shared<StreamClient>(co_await net::this_coro::executor);
    clients.push_back(client);
    auto prefixes = std::make_shared<std::vector<std::string>>();
    bool closed = false;
    net::co_spawn(co_await net::this_coro::executor,
                  read_subscriptions(ws, client, prefixes, closed), net::detached);

    std::vector<SentState> sent;
    std::string sent_states, sent_alarms;
    std::vector<std::string> subscribed;
    net::steady_timer pace(co_await net::this_coro::executor);
    try {
      // `closed` is set by the reader coroutine (read_subscriptions) while this one waits.
      while (!closed) {  // NOLINT(bugprone-infinite-loop)
        if (!client->dirty) {
          client->wake.expires_after(kStreamStateTick);
          beast::error_code ec;
          co_await client->wake.async_wait(net::redirect_error(net::use_awaitable, ec));
          if (ec != net::error::operation_aborted) client->dirty = true;  // the state tick
          continue;
        }
        client->dirty = false;
        if (*prefixes != subscribed) {
          subscribed = *prefixes;
          sent.clear();
        }
        for (auto& message : stream_messages(subscribed, sent, sent_states, sent_alarms)) {
          co_await ws.async_write(net::buffer(message), net::use_awaitable);
        }
        pace.expires_after(kStreamPace);
        co_await pace.async_wait(net::use_awaitable);
      }
    } catch (const std::exception&) {
    }
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
    // Let the reader finish before ws goes out of scope.
    while (!closed) {  // NOLINT(bugprone-infinite-loop): the reader sets it
      pace.expires_after(10ms);
      co_await pace.async_wait(net::redirect_error(net::use_awaitable, ignored));
    }
  }

  net::awaitable<void> serve(tcp::socket socket) {
    beast::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    const auto remote = socket.remote_endpoint(ec);
    std::string remote_address;
    if (!ec) {
      const auto a = remote.address();
      remote_address = a.is_v6() && a.to_v6().is_v4_mapped()
                           ? net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).to_string()
                           : a.to_string();
    }
    if (!tls) {
      beast::tcp_stream stream(std::move(socket));
      co_await serve_http(stream, std::move(remote_address));
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    beast::get_lowest_layer(stream).expires_after(10s);
    bool secured = false;
    try {
      co_await stream.async_handshake(net::ssl::stream_base::server, net::use_awaitable);
      secured = true;
    } catch (const std::exception&) {
      // Plain HTTP to the HTTPS port, an untrusting client, or one that gave up: closed.
    }
    if (secured) {
      // Shuts the connection down itself, or moves the stream into a WebSocket: not touched
      // here afterwards.
      co_await serve_http(stream, std::move(remote_address));
      co_return;
    }
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  // Requests of one connection until it ends. Stream: beast::tcp_stream, or beast::ssl_stream
  // over it with the TLS handshake done.
  template <class Stream>
  net::awaitable<void> serve_http(Stream& stream, std::string remote_address) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    try {
      while (true) {
        beast::get_lowest_layer(stream).expires_after(30s);
        http::request_parser<http::string_body> parser;
        parser.body_limit(kMaxBody_bytes);
        co_await http::async_read(stream, buffer, parser, net::use_awaitable);
        auto req = parser.release();
        web::Request request;
        request.method = std::string(req.method_string());
        request.target = std::string(req.target());
        request.body = req.body();
        request.remote_address = remote_address;
        for (const auto& field : req) {
          std::string name(field.name_string());
          for (auto& ch : name)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          request.headers[name] = std::string(field.value());
        }
        if (websocket::is_upgrade(req)) {
          const auto parsed = web::parse_target(request.target);
          std::optional<web::Response> denied;
          if (!parsed || parsed->path != "/api/v1/stream") {
            denied = web::json_error(404, "no such stream");
          } else {
            denied = refuse(request, web::Role::viewer);
          }
          if (!denied) {
            beast::get_lowest_layer(stream).expires_never();
            co_await run_stream(websocket::stream<Stream>(std::move(stream)), std::move(req));
            co_return;
          }
          http::response<http::string_body> res{static_cast<http::status>(denied->status),
                                                req.version()};
          res.set(http::field::content_type, denied->content_type);
          res.body() = denied->body;
          res.prepare_payload();
          co_await http::async_write(stream, res, net::use_awaitable);
          break;
        }
        const auto response = co_await handle(request);
        http::response<http::string_body> res{static_cast<http::status>(response.status),
                                              req.version()};
        res.set(http::field::server, kUserAgent);
        res.set(http::field::content_type, response.content_type);
        for (const auto& [k, v] : response.headers) res.set(k, v);
        res.keep_alive(req.keep_alive());
        res.body() = response.body;
        res.prepare_payload();
        co_await http::async_write(stream, res, net::use_awaitable);
        if (!res.keep_alive()) break;
      }
    } catch (const std::exception&) {
      // A client that went away or sent garbage: nothing to answer.
    }
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  net::awaitable<void> accept_loop() {
    while (true) {
      tcp::socket socket = co_await acceptor.async_accept(net::use_awaitable);
      net::co_spawn(io, serve(std::move(socket)), net::detached);
    }
  }
};

AggregatorServer::AggregatorServer(Aggregator& aggregator)
    : impl_(std::make_unique<Impl>(aggregator)) {
  aggregator.set_on_change([impl = impl_.get()] { impl->on_change(); });
  if (!aggregator.options().data_dir.empty()) {
    impl_->tokens =
        std::make_unique<security::TokenStore>(aggregator.options().data_dir + "/users.sqlite");
  }
  impl_->add_routes();
}

AggregatorServer::~AggregatorServer() {
  stop();
}

void AggregatorServer::start() {
  const auto& options = impl_->agg.options();
  if (options.tls && !impl_->tls) {
    // Before binding: a bad certificate must not leave a half-started server behind.
    web::TlsOptions tls;
    tls.enabled = true;
    tls.cert_file = options.tls_cert_file;
    tls.key_file = options.tls_key_file;
    const auto files = web::resolve_tls_files(tls, options.data_dir, options.bind);
    if (files.generated) {
      spdlog::info("aggregator: generated a self-signed TLS certificate {} (key {})",
                   files.cert_file, files.key_file);
    }
    impl_->tls = std::make_unique<net::ssl::context>(web::make_server_tls_context(files).release());
  }
  boost::system::error_code ec;
  const auto address = net::ip::make_address(options.bind, ec);
  if (ec) throw std::runtime_error("aggregator: bad listen address " + options.bind);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(endpoint, ec);
  if (ec) {
    throw std::runtime_error(fmt::format("aggregator: cannot listen on {}:{}: {}", options.bind,
                                         options.port, ec.message()));
  }
  acceptor.listen();
  impl_->bound_port = acceptor.local_endpoint().port();
  net::co_spawn(impl_->io, impl_->accept_loop(), net::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

void AggregatorServer::stop() {
  if (!impl_) return;
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int AggregatorServer::port() const {
  return impl_->bound_port;
}

bool AggregatorServer::tls() const {
  return impl_->tls != nullptr;
}

}  // namespace btms::aggregator
