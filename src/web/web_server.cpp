// The only translation unit that includes Beast: listener, HTTP sessions and WebSocket
// sessions. Requests are converted to web::Request and answered by the Router.
#include "web/web_server.hpp"

#include <atomic>
#include <cctype>
#include <chrono>
#include <future>
#include <list>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <nlohmann/json.hpp>

#include "engine/step_publication.hpp"
#include "web/api_handlers.hpp"
#include "web/auth_handlers.hpp"
#include "web/cloud_settings_handlers.hpp"
#include "web/history_handlers.hpp"
#include "web/http_counters.hpp"
#include "web/name_handlers.hpp"
#include "web/notification_handlers.hpp"
#include "web/operator_handlers.hpp"
#include "web/router.hpp"
#include "web/static_files.hpp"
#include "web/stream_differ.hpp"
#include "web/stream_events.hpp"
#include "web/tls_setup.hpp"

namespace btms::web {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using namespace std::chrono_literals;

namespace {

constexpr auto kHttpIdleTimeout = 30s;  // a keep-alive connection idle this long is closed
constexpr auto kTlsHandshakeTimeout = 10s;
constexpr auto kTlsShutdownTimeout = 5s;
constexpr std::size_t kMaxHeader_bytes = 16 * 1024;
constexpr const char* kStreamPath = "/api/v1/stream";
// Requests queued or running per worker lane (see WorkerLane).
constexpr int kMaxBlockingInFlight = 32;
// accept() failing for want of descriptors or memory: wait before trying again (growing to
// the maximum) instead of spinning on a listener that stays readable.
constexpr auto kAcceptBackoffMin = 50ms;
constexpr auto kAcceptBackoffMax = 1000ms;
constexpr auto kAcceptErrorLogPeriod = 10s;

// Something the server can close on stop().
class Closable {
 public:
  virtual ~Closable() = default;
  // One of WebOptions::max_connections, released with the last session that holds it (the
  // HTTP session hands it to the WebSocket session on an upgrade).
  std::shared_ptr<void> connection_slot;
  virtual void close() = 0;
  // A new step was published: stream sessions send what changed (values, events) now.
  virtual void wake() {}
};

// A worker pool with its own in-flight budget. Anonymous work (logins, first-admin setup:
// Argon2) and work of a valid session (operator actions waiting for the engine, discharge
// exports) get one each, so a login flood can never make an operator's acknowledgement wait
// or answer 503.
struct WorkerLane {
  std::unique_ptr<net::thread_pool> pool;
  std::atomic<int> in_flight{0};
  const char* busy_reason = "";
};

// State shared by the listener and all sessions.
struct ServerCore {
  WebOptions options;
  ApiContext api;
  HistoryContext history;             // store set by WebServer::set_history
  OperatorContext operator_ctx;       // engine set by WebServer::set_engine
  NotificationContext notifications;  // notifier set by WebServer::set_notifier
  CloudSettingsContext cloud;         // set by WebServer::set_cloud_settings
  HttpCounters counters;
  Router router;
  std::unique_ptr<AuthContext> auth;
  std::unique_ptr<net::ssl::context> tls;  // set by start() when options.tls.enabled
  // Run the routes the router marks blocking (Argon2 hashing, engine waits) off the io threads;
  // each bounded to kMaxBlockingInFlight. Requests are authorized before they are queued.
  WorkerLane anonymous_lane{{}, {}, "too many logins in progress; try again"};
  WorkerLane session_lane{{}, {}, "too many actions in progress; try again"};
  std::atomic<bool> stopping{false};
  // The engine's step bundles (set_publication): stream sessions read the plant and derived
  // snapshots of one step, as a pair. Null: each publisher's latest (tests without engine).
  std::shared_ptr<const engine::StepPublication> publication;
  // The engine's event log (set_event_log): each stream client reads it with its own cursor.
  std::shared_ptr<const engine::AppendLog<model::Event>> event_log;

  std::pair<std::shared_ptr<const model::Snapshot>, std::shared_ptr<const model::Snapshot>>
  snapshots() const {
    if (publication) {
      if (auto bundle = publication->latest()) return {bundle->plant, bundle->derived};
    }
    return {api.plant ? api.plant->latest() : nullptr,
            api.derived ? api.derived->latest() : nullptr};
  }
  std::atomic<int> open_connections{0};
  std::atomic<std::uint64_t> refused_connections{0};
  std::atomic<std::uint64_t> accept_errors{0};

  std::mutex sessions_mutex;
  std::list<std::weak_ptr<Closable>> sessions;
  // Stream clients with the same subscription share each message's serialization.
  std::shared_ptr<StreamMessageCache> stream_cache = std::make_shared<StreamMessageCache>();

  void track(const std::shared_ptr<Closable>& session) {
    std::lock_guard lock(sessions_mutex);
    sessions.remove_if([](const auto& w) { return w.expired(); });
    sessions.push_back(session);
  }
  void wake_all() {
    std::vector<std::shared_ptr<Closable>> live;
    {
      std::lock_guard lock(sessions_mutex);
      for (const auto& w : sessions) {
        if (auto s = w.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->wake();
  }
  void close_all() {
    std::list<std::weak_ptr<Closable>> copy;
    {
      std::lock_guard lock(sessions_mutex);
      copy.swap(sessions);
    }
    for (auto& w : copy) {
      if (auto s = w.lock()) s->close();
    }
  }
};

Response error_response(int status, std::string_view reason) {
  return json_error(status, reason);
}

// ---------------------------------------------------------------------------------------------
// Stream is PlainStream (ws://) or TlsStream (wss://, the TLS handshake already done).
template <class Stream>
class WsSession : public Closable, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream&& stream, ServerCore& core)
      : ws_(std::move(stream)),
        core_(core),
        differ_(core.stream_cache),
        events_(core.operator_ctx.engine, core.event_log) {}

  void run(http::request<http::string_body> request) {
    request_ = std::move(request);
    beast::get_lowest_layer(ws_).expires_never();  // the websocket keeps its own timeouts
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = 10s;
    // Beast pings after half the idle timeout without traffic and drops the connection when
    // the other half also passes in silence.
    timeout.idle_timeout = std::chrono::milliseconds(2 * core_.options.ws_ping_interval_ms);
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(kMaxRequestBody_bytes);
    // One frame per message: fewer syscalls, and each message is a full state anyway.
    ws_.auto_fragment(false);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "btms"); }));
    ws_.async_accept(request_,
                     beast::bind_front_handler(&WsSession::on_accept, this->shared_from_this()));
  }

  void wake() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      if (!self->closed_ && !self->core_.stopping) self->pump();
    });
  }

  void close() override {
    net::dispatch(ws_.get_executor(), [self = this->shared_from_this()] {
      self->closed_ = true;
      beast::error_code ec;
      beast::get_lowest_layer(self->ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
      beast::get_lowest_layer(self->ws_).close();
    });
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec || core_.stopping) return;
    core_.counters.record(101);
    core_.track(this->shared_from_this());
    do_read();
    // Nothing polls: the first state goes now, every later one when a step is published
    // (ServerCore::wake_all) or when the client's own write or request completes.
    pump();
  }

  void do_read() {
    ws_.async_read(rbuf_, beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec || closed_) {
      closed_ = true;
      return;
    }
    const auto text = beast::buffers_to_string(rbuf_.data());
    rbuf_.consume(rbuf_.size());
    auto parsed = parse_stream_request(text);
    if (auto* subscription = std::get_if<StreamRequest>(&parsed)) {
      differ_.subscribe(std::move(subscription->prefixes));
      if (subscription->events_since_ms) {
        // A rare request (a client reconnecting): one indexed read of the store, here.
        StreamEventFeed::StoredEvents stored;
        if (auto store = core_.history.store) {
          stored = [store](std::int64_t from_ms, std::int64_t to_ms, std::size_t limit) {
            return store->events(from_ms, to_ms, limit);
          };
        }
        events_.catch_up(*subscription->events_since_ms, stored);
      }
    } else {
      // Only the newest error is kept, like values: the queue stays bounded.
      pending_error_ =
          nlohmann::json{{"type", "error"}, {"error", std::get<std::string>(parsed)}}.dump();
    }
    pump();
    do_read();
  }

  // Sends the next message when no write is in flight. A client that reads slowly keeps a write
  // in flight; meanwhile nothing is queued and the next diff carries the newest state. Engine
  // events go before values (they are rarer and matter more); they are taken from the engine
  // only when they can be sent, so a slow client never accumulates them here.
  void pump() {
    if (writing_ || closed_) return;
    if (pending_error_) {
      out_ = std::make_shared<const std::string>(std::move(*pending_error_));
      pending_error_.reset();
    } else if (auto event = events_.next_message()) {
      out_ = std::make_shared<const std::string>(std::move(*event));
      more_events_ = true;
    } else {
      more_events_ = false;
      auto [plant, derived] = core_.snapshots();
      auto msg = differ_.next_shared_message(plant, derived);
      if (!msg) return;
      out_ = std::move(msg);
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(*out_),
                    beast::bind_front_handler(&WsSession::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) {
      closed_ = true;
      return;
    }
    // Whatever was published while this write was in flight goes now (the wake-up found the
    // write busy and left it to this completion).
    pump();
  }

  websocket::stream<Stream> ws_;
  ServerCore& core_;
  http::request<http::string_body> request_;
  beast::flat_buffer rbuf_;
  StreamDiffer differ_;
  StreamEventFeed events_;
  bool more_events_ = false;  // the last message was an event: more may be waiting
  // The message being written; values messages are shared with the other clients (and the
  // stream cache), so 50 clients of the same update hold one copy.
  std::shared_ptr<const std::string> out_;
  std::optional<std::string> pending_error_;
  bool writing_ = false;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------------------------
// Stream is PlainStream (http://) or TlsStream (https://: detects plain HTTP sent to the TLS
// port and answers it in plain text, otherwise does the TLS handshake before the first read).
template <class Stream>
class HttpSession : public Closable, public std::enable_shared_from_this<HttpSession<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  HttpSession(tcp::socket&& socket, ServerCore& core) requires(!kTls)
      : stream_(std::move(socket)), executor_(stream_.get_executor()), core_(core) {}
  HttpSession(tcp::socket&& socket, ServerCore& core, net::ssl::context& tls) requires(kTls)
      : stream_(std::move(socket), tls), executor_(stream_.get_executor()), core_(core) {}

  void start() {
    core_.track(this->shared_from_this());
    beast::error_code ec;
    auto address = lowest().socket().remote_endpoint(ec).address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
    }
    if (!ec) remote_address_ = address.to_string();
    if constexpr (kTls) {
      net::dispatch(executor_, beast::bind_front_handler(&HttpSession::do_detect_tls,
                                                         this->shared_from_this()));
    } else {
      net::dispatch(executor_,
                    beast::bind_front_handler(&HttpSession::do_read, this->shared_from_this()));
    }
  }

  void close() override {
    net::dispatch(executor_, [self = this->shared_from_this()] {
      if (self->handed_off_) return;  // the WebSocket session owns the connection now
      beast::error_code ec;
      self->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
      self->lowest().close();
    });
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void do_detect_tls() {
    lowest().expires_after(kTlsHandshakeTimeout);
    beast::async_detect_ssl(
        lowest(), buffer_,
        beast::bind_front_handler(&HttpSession::on_detect_tls, this->shared_from_this()));
  }

  void on_detect_tls(beast::error_code ec, bool is_tls) {
    if (ec || core_.stopping) return;
    if (!is_tls) {
      // A browser or script using http:// on the HTTPS port: say so instead of a TLS alert.
      static constexpr std::string_view kReply =
          "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
          "Content-Length: 44\r\n\r\nThis port speaks HTTPS; use an https:// URL\n";
      core_.counters.record(400);
      net::async_write(lowest(), net::buffer(kReply.data(), kReply.size()),
                       [self = this->shared_from_this()](beast::error_code, std::size_t) {
                         beast::error_code ignored;
                         self->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
                         self->lowest().close();
                       });
      return;
    }
    if constexpr (kTls) {
      stream_.async_handshake(
          net::ssl::stream_base::server, buffer_.data(),
          beast::bind_front_handler(&HttpSession::on_handshake, this->shared_from_this()));
    }
  }

  void on_handshake(beast::error_code ec, std::size_t used_bytes) {
    if (ec) {
      spdlog::debug("web: TLS handshake with {} failed: {}", remote_address_, ec.message());
      return;
    }
    buffer_.consume(used_bytes);
    do_read();
  }

  void do_read() {
    if (core_.stopping) return;
    parser_.emplace();
    parser_->body_limit(kMaxRequestBody_bytes);
    parser_->header_limit(kMaxHeader_bytes);
    lowest().expires_after(kHttpIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return shutdown();
    if (ec == http::error::body_limit) {
      return send(error_response(413, "request body over 64 KiB"), 11, false);
    }
    if (ec == http::error::header_limit) {
      return send(error_response(431, "request header too large"), 11, false);
    }
    if (ec && ec.category() == make_error_code(http::error::bad_target).category()) {
      // Anything else the parser refuses is a malformed request.
      return send(error_response(400, "malformed HTTP request"), 11, false);
    }
    if (ec) return;  // timeout, reset, operation_aborted: nothing to answer

    auto& req = parser_->get();
    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.body = std::move(req.body());
    request.remote_address = remote_address_;
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[std::move(name)] = std::string(field.value());
    }
    if (websocket::is_upgrade(req)) {
      const auto target = std::string_view(req.target().data(), req.target().size());
      if (target == kStreamPath || target.starts_with(std::string(kStreamPath) + "?")) {
        // The stream is a read like /api/v1/live: a viewer session or the loopback demo.
        if (auto denied = core_.router.authorize(request, Role::viewer)) {
          return send(std::move(*denied), req.version(), false);
        }
        if (!same_origin(request)) {
          // A page of another site must not read the stream with the user's cookie
          // (cross-site WebSocket hijacking): browsers always send Origin on an upgrade.
          return send(error_response(403, "WebSocket from another origin refused"), req.version(),
                      false);
        }
        // Bytes the client sent after the upgrade request would be lost with the buffer;
        // a client must wait for the 101 anyway, so none are expected.
        handed_off_ = true;
        auto ws = std::make_shared<WsSession<Stream>>(std::move(stream_), core_);
        ws->connection_slot = std::move(connection_slot);
        ws->run(parser_->release());
        return;
      }
      return send(error_response(404, "no WebSocket endpoint here"), req.version(), false);
    }
    if (core_.anonymous_lane.pool && core_.router.is_blocking(request)) {
      // Authorized first, on the io thread (a session lookup): a request that will be refused
      // never takes a worker, and a valid session's work never queues behind anonymous work.
      if (auto denied = core_.router.authorize_route(request)) {
        return send(std::move(*denied), req.version(), req.keep_alive());
      }
      auto& lane = core_.auth->session_of(request) ? core_.session_lane : core_.anonymous_lane;
      return handle_on_worker(lane, std::move(request), req.version(), req.keep_alive());
    }
    Response response;
    if (request.target == kStreamPath) {
      response = error_response(426, "this endpoint needs a WebSocket upgrade");
      response.headers.emplace_back("Upgrade", "websocket");
    } else {
      try {
        response = core_.router.handle(request);
      } catch (const std::exception& e) {
        spdlog::error("web: handler for {} failed: {}", request.target, e.what());
        response = error_response(500, "internal error");
      }
    }
    send(std::move(response), req.version(), req.keep_alive());
  }

  // Answers asynchronously: the worker computes the response, the session's strand sends it.
  void handle_on_worker(WorkerLane& lane, Request request, unsigned version, bool keep_alive) {
    if (lane.in_flight.fetch_add(1) >= kMaxBlockingInFlight) {
      --lane.in_flight;
      auto busy = error_response(503, lane.busy_reason);
      busy.headers.emplace_back("Retry-After", "1");
      return send(std::move(busy), version, keep_alive);
    }
    net::post(*lane.pool, [self = this->shared_from_this(), &lane, request = std::move(request),
                           version, keep_alive]() mutable {
      Response response;
      try {
        response = self->core_.router.handle(request);
      } catch (const std::exception& e) {
        spdlog::error("web: handler for {} failed: {}", request.target, e.what());
        response = error_response(500, "internal error");
      }
      --lane.in_flight;
      net::post(self->executor_,
                [self, response = std::move(response), version, keep_alive]() mutable {
                  self->send(std::move(response), version, keep_alive);
                });
    });
  }

  // No Origin (a script, not a browser), or an Origin whose host[:port] is the Host the
  // request was sent to.
  static bool same_origin(const Request& request) {
    const auto origin = request.headers.find("origin");
    if (origin == request.headers.end()) return true;
    const auto host = request.headers.find("host");
    if (host == request.headers.end()) return false;
    std::string_view o = origin->second;
    const auto scheme_end = o.find("://");
    if (scheme_end == std::string_view::npos) return false;
    o.remove_prefix(scheme_end + 3);
    if (o.size() != host->second.size()) return false;
    for (std::size_t i = 0; i < o.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(o[i])) !=
          std::tolower(static_cast<unsigned char>(host->second[i]))) {
        return false;
      }
    }
    return true;
  }

  void send(Response response, unsigned version, bool keep_alive) {
    core_.counters.record(response.status);
    res_ = {};
    res_.version(version);
    res_.result(static_cast<unsigned>(response.status));
    res_.set(http::field::server, "btms");
    res_.set(http::field::content_type, response.content_type);
    res_.set("X-Content-Type-Options", "nosniff");
    if constexpr (kTls) {
      // Browsers that once reached the gateway over HTTPS refuse plain HTTP to it afterwards.
      res_.set(http::field::strict_transport_security, "max-age=31536000");
    }
    for (const auto& [name, value] : response.headers) res_.set(name, value);
    res_.body() = std::move(response.body);
    res_.keep_alive(keep_alive && !core_.stopping);
    res_.prepare_payload();
    http::async_write(stream_, res_,
                      beast::bind_front_handler(&HttpSession::on_write, this->shared_from_this(),
                                                res_.keep_alive()));
  }

  void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    if (ec) return;
    if (!keep_alive) return shutdown();
    do_read();
  }

  void shutdown() {
    if constexpr (kTls) {
      // close_notify, so the client can tell a complete reply from a cut connection.
      lowest().expires_after(kTlsShutdownTimeout);
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->lowest().close(); });
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  net::any_io_executor executor_;  // kept apart: stream_ is moved out on a WebSocket upgrade
  beast::flat_buffer buffer_;
  ServerCore& core_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::string remote_address_;
  bool handed_off_ = false;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
struct WebServer::Impl {
  net::io_context ioc;
  ServerCore core;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::vector<std::thread> threads;
  std::vector<std::future<void>> finished;
  int bound_port = 0;
  bool running = false;
  // Wakes the stream sessions when something is published: a step bundle when the engine is
  // attached, else either snapshot publisher. The wake-up runs on the publishing thread and
  // only posts to the io context.
  std::vector<model::PublishListeners::Subscription> wake_subscriptions;

  void subscribe_wake_ups() {
    const auto wake = [this] {
      if (!core.stopping) net::post(ioc, [this] { core.wake_all(); });
    };
    if (core.publication) {
      wake_subscriptions.push_back(core.publication->on_publish(wake));
      return;
    }
    if (core.event_log) wake_subscriptions.push_back(core.event_log->on_append(wake));
    if (core.api.plant) wake_subscriptions.push_back(core.api.plant->on_publish(wake));
    if (core.api.derived) wake_subscriptions.push_back(core.api.derived->on_publish(wake));
  }

  // Waits before the next accept() after running out of descriptors (see kAcceptBackoffMin).
  net::steady_timer accept_backoff_timer{acceptor.get_executor()};
  std::chrono::milliseconds accept_backoff = kAcceptBackoffMin;
  std::chrono::steady_clock::time_point last_accept_error_log{};
  std::chrono::steady_clock::time_point last_refusal_log{};

  void do_accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      const auto now = std::chrono::steady_clock::now();
      if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
          ec == net::error::no_memory || ec.value() == ENFILE) {
        // The pending connection stays in the backlog and the listener readable: accepting
        // again at once would spin. Rest, log (not on every try), keep serving the others.
        ++core.accept_errors;
        if (now - last_accept_error_log >= kAcceptErrorLogPeriod) {
          spdlog::warn("web: cannot accept connections: {} ({} open); pausing for {} ms",
                       ec.message(), core.open_connections.load(), accept_backoff.count());
          last_accept_error_log = now;
        }
        accept_backoff_timer.expires_after(accept_backoff);
        accept_backoff = std::min(accept_backoff * 2, std::chrono::milliseconds(kAcceptBackoffMax));
        accept_backoff_timer.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec && acceptor.is_open()) do_accept();
        });
        return;
      }
      if (!ec) accept_backoff = kAcceptBackoffMin;
      if (!ec && !core.stopping) start_session(std::move(socket), now);
      do_accept();
    });
  }

  void start_session(tcp::socket socket, std::chrono::steady_clock::time_point now) {
    if (core.open_connections.load() >= core.options.max_connections) {
      // Over the cap: close at once (the backlog must not fill), the open ones are served.
      ++core.refused_connections;
      if (now - last_refusal_log >= kAcceptErrorLogPeriod) {
        spdlog::warn("web: {} connections open, the maximum ({}); refusing new ones",
                     core.open_connections.load(), core.options.max_connections);
        last_refusal_log = now;
      }
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    ++core.open_connections;
    auto slot = std::shared_ptr<void>(nullptr, [&core = core](void*) { --core.open_connections; });
    if (core.tls) {
      auto session = std::make_shared<HttpSession<TlsStream>>(std::move(socket), core, *core.tls);
      session->connection_slot = std::move(slot);
      session->start();
    } else {
      auto session = std::make_shared<HttpSession<PlainStream>>(std::move(socket), core);
      session->connection_slot = std::move(slot);
      session->start();
    }
  }
};

WebServer::WebServer(WebOptions options, std::shared_ptr<const model::SnapshotPublisher> plant,
                     std::shared_ptr<const model::SnapshotPublisher> derived,
                     std::shared_ptr<const model::Site> site)
    : impl_(std::make_unique<Impl>()) {
  auto& core = impl_->core;
  core.options = std::move(options);
  core.api.plant = std::move(plant);
  core.api.derived = std::move(derived);
  core.api.site = std::move(site);
  core.api.counters = &core.counters;
  if (!core.options.clock) core.options.clock = model::system_clock();
  core.api.clock = core.options.clock;
  core.history.clock = core.options.clock;
  core.operator_ctx.clock = core.options.clock;
  add_api_routes(core.router, core.api);
  // Secure cookies with TLS, and on any non-loopback address (where plain HTTP must not carry
  // a session); only the plain-HTTP loopback demo sends them without Secure, which browsers
  // would drop over http://.
  const bool secure_cookie =
      core.options.tls.enabled || !is_loopback_address(core.options.bind_address);
  core.auth = std::make_unique<AuthContext>(
      core.options.data_dir, core.options.allow_anonymous_read, secure_cookie, core.options.auth);
  add_auth_routes(core.router, *core.auth);
  core.api.names = std::make_shared<DisplayNames>(
      core.options.data_dir.empty() ? std::string{}
                                    : core.options.data_dir + "/display-names.json");
  if (core.api.site) add_name_routes(core.router, core.api, *core.auth);
  core.history.plant = core.api.plant;
  core.history.derived = core.api.derived;
  add_history_routes(core.router, core.history);
  core.operator_ctx.auth = core.auth.get();
  // Replacements and notes live for the life of the site beside the history (data folder).
  core.operator_ctx.maintenance = std::make_shared<history::MaintenanceLog>(
      core.options.data_dir.empty() ? std::string{} : core.options.data_dir + "/maintenance.db");
  core.api.maintenance = core.operator_ctx.maintenance;
  core.operator_ctx.site = core.api.site;
  add_operator_routes(core.router, core.operator_ctx);
  add_notification_routes(core.router, core.notifications, core.auth.get());
  add_cloud_settings_routes(core.router, core.cloud, core.auth.get());
  add_static_route(core.router, core.options.static_dir);
}

WebServer::~WebServer() {
  stop();
}

void WebServer::start() {
  auto& impl = *impl_;
  if (impl.running) return;
  const auto& opt = impl.core.options;
  if (opt.port < 0 || opt.port > 65535) {
    throw std::runtime_error(fmt::format("web: port {} is out of range", opt.port));
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(opt.bind_address, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("web: bind address '{}' is not an IP address", opt.bind_address));
  }
  if (opt.tls.enabled && !impl.core.tls) {
    // Before binding: a bad certificate must not leave a half-started server behind.
    const auto files = resolve_tls_files(opt.tls, opt.data_dir, opt.bind_address);
    if (files.generated) {
      spdlog::info("web: generated a self-signed TLS certificate {} (key {})", files.cert_file,
                   files.key_file);
    }
    impl.core.tls = std::make_unique<net::ssl::context>(make_server_tls_context(files).release());
  }
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(opt.port));
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(endpoint, ec);
  if (ec == net::error::address_in_use) {
    impl.acceptor.close();
    throw std::runtime_error(fmt::format("web: port {} is already in use", opt.port));
  }
  if (!ec) impl.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
    throw std::runtime_error(
        fmt::format("web: cannot listen on {}:{}: {}", opt.bind_address, opt.port, ec.message()));
  }
  impl.bound_port = impl.acceptor.local_endpoint().port();
  impl.core.stopping = false;
  impl.core.api.started = std::chrono::steady_clock::now();
  impl.core.anonymous_lane.pool = std::make_unique<net::thread_pool>(
      static_cast<std::size_t>(std::max(1, opt.auth.hash_threads)));
  impl.core.session_lane.pool = std::make_unique<net::thread_pool>(
      static_cast<std::size_t>(std::max(1, opt.auth.hash_threads)));
  impl.do_accept();
  impl.subscribe_wake_ups();
  const int threads = std::max(1, opt.io_threads);
  for (int i = 0; i < threads; ++i) {
    std::packaged_task<void()> task([&impl] { impl.ioc.run(); });
    impl.finished.push_back(task.get_future());
    impl.threads.emplace_back(std::move(task));
  }
  impl.running = true;
  spdlog::info("web: listening on {}://{}:{}/", impl.core.tls ? "https" : "http", opt.bind_address,
               impl.bound_port);
}

void WebServer::stop() {
  auto& impl = *impl_;
  if (!impl.running) return;
  impl.core.stopping = true;
  net::post(impl.acceptor.get_executor(), [&impl] {
    beast::error_code ec;
    impl.acceptor.close(ec);
    impl.core.close_all();
  });
  impl.wake_subscriptions.clear();  // no wake-up is posted after this
  net::post(impl.accept_backoff_timer.get_executor(),
            [&impl] { impl.accept_backoff_timer.cancel(); });
  // Finishes the hashes in progress; their replies go to the io threads still running below.
  for (auto* lane : {&impl.core.anonymous_lane, &impl.core.session_lane}) {
    lane->pool->join();
    lane->pool.reset();
  }
  // Every session stops once its socket is closed; the io threads then run out of work. A
  // handler that somehow keeps work alive must not hang shutdown: force it after a while.
  for (auto& f : impl.finished) {
    if (f.wait_for(3s) != std::future_status::ready) {
      spdlog::warn("web: connections did not close in time; stopping the io context");
      impl.ioc.stop();
      break;
    }
  }
  for (auto& t : impl.threads) t.join();
  impl.threads.clear();
  impl.finished.clear();
  impl.running = false;
}

void WebServer::set_history(std::shared_ptr<history::HistoryStore> store) {
  // The io threads read the pointer without a lock: changing it while serving would race.
  if (impl_->running) throw std::logic_error("web: set_history must be called before start()");
  impl_->core.operator_ctx.history = store;
  impl_->core.api.history = store;  // /api/v1/health reports its write failures
  impl_->core.history.store = std::move(store);
}

void WebServer::set_engine(std::shared_ptr<engine::EngineService> engine) {
  if (impl_->running) throw std::logic_error("web: set_engine must be called before start()");
  impl_->core.operator_ctx.engine = std::move(engine);
}

void WebServer::set_cloud_settings(CloudSettingsContext cloud) {
  if (impl_->running)
    throw std::logic_error("web: set_cloud_settings must be called before start()");
  impl_->core.cloud = std::move(cloud);
}

void WebServer::set_notifier(std::shared_ptr<notify::Notifier> notifier,
                             std::shared_ptr<notify::RecipientsControl> recipients) {
  if (impl_->running) throw std::logic_error("web: set_notifier must be called before start()");
  impl_->core.notifications.notifier = std::move(notifier);
  impl_->core.notifications.recipients = std::move(recipients);
}

void WebServer::set_publication(std::shared_ptr<const engine::StepPublication> publication) {
  if (impl_->running) throw std::logic_error("web: set_publication must be called before start()");
  impl_->core.publication = std::move(publication);
}

void WebServer::set_event_log(std::shared_ptr<const engine::AppendLog<model::Event>> event_log) {
  if (impl_->running) throw std::logic_error("web: set_event_log must be called before start()");
  impl_->core.event_log = std::move(event_log);
}

void WebServer::set_durability(std::shared_ptr<engine::EventDurability> durability) {
  if (impl_->running) throw std::logic_error("web: set_durability must be called before start()");
  impl_->core.operator_ctx.durability = std::move(durability);
}

void WebServer::add_metrics_source(std::function<std::string()> metrics) {
  if (impl_->running)
    throw std::logic_error("web: add_metrics_source must be called before start()");
  impl_->core.api.extra_metrics.push_back(std::move(metrics));
}

int WebServer::port() const {
  return impl_->bound_port;
}

WebConnectionStats WebServer::connection_stats() const {
  const auto& core = impl_->core;
  return WebConnectionStats{core.open_connections.load(), core.refused_connections.load(),
                            core.accept_errors.load()};
}

}  // namespace btms::web
