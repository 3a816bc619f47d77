#include "aggregator/gateway_link.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "aggregator/channel_changes.hpp"
#include "ops/private_file.hpp"

namespace btms::aggregator {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using nlohmann::json;

namespace {
constexpr std::string_view kUserAgent = "btms-aggregator";
}  // namespace

std::string_view to_string(LinkState state) {
  switch (state) {
    case LinkState::connecting:
      return "connecting";
    case LinkState::online:
      return "online";
    case LinkState::offline:
      return "offline";
  }
  return "?";
}

struct GatewayLink::Loop {
  net::io_context io;
};

GatewayLink::GatewayLink(GatewayEntry entry, std::shared_ptr<const model::Clock> clock,
                         std::function<void()> on_change, LinkTimings timings,
                         std::shared_ptr<SiteEventLog> events)
    : entry_(std::move(entry)),
      clock_(std::move(clock)),
      on_change_(std::move(on_change)),
      timings_(timings),
      events_(std::move(events)) {
  std::string error;
  auto address = gateway_api::parse_gateway_url(entry_.url, &error);
  if (!address) throw std::invalid_argument("gateway " + entry_.name + ": " + error);
  address_ = *address;
  address_.cert_pin_sha256 = entry_.cert_pin_sha256;
  address_.ca_file = entry_.ca_file;
  data_.name = entry_.name;
  data_.url = entry_.url;
}

GatewayLink::~GatewayLink() {
  stop();
}

void GatewayLink::keep_event_cursor(std::string path) {
  cursor_path_ = std::move(path);
  std::ifstream in(cursor_path_);
  if (!in) return;  // a first start: nothing followed yet
  std::stringstream text;
  text << in.rdbuf();
  std::string error = "not JSON";
  const auto j = json::parse(text.str(), nullptr, false);
  auto cursor = j.is_discarded() ? std::nullopt : GatewayEventCursor::from_json(j, error);
  if (!cursor) {
    spdlog::warn(
        "aggregator: gateway {}: {}: {}; starting without its place in the gateway's events "
        "(what it made while the aggregator was down is not caught up)",
        entry_.name, cursor_path_, error);
    return;
  }
  event_cursor_ = std::move(*cursor);
}

void GatewayLink::write_cursor(bool at_once) {
  if (cursor_path_.empty() || (!cursor_events_changed_ && !cursor_time_changed_)) return;
  const auto now = std::chrono::steady_clock::now();
  const auto since = now - cursor_written_;
  if (!at_once && !(cursor_events_changed_ && since >= std::chrono::seconds(1)) &&
      !(cursor_time_changed_ && since >= std::chrono::seconds(10))) {
    return;
  }
  if (const auto error =
          ops::write_private_file_atomically(cursor_path_, event_cursor_.to_json().dump());
      !error.empty()) {
    spdlog::warn("aggregator: gateway {}: its place in the gateway's events not kept: {}",
                 entry_.name, error);
  }
  cursor_written_ = now;
  cursor_events_changed_ = cursor_time_changed_ = false;
}

void GatewayLink::start() {
  thread_ = std::thread([this] { run(); });
}

void GatewayLink::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (loop_) loop_->io.stop();
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

template <class F>
void GatewayLink::update(F&& change) {
  {
    std::lock_guard lock(mutex_);
    change(data_);
    ++data_.changes;
  }
  if (on_change_) on_change_();
}

net::awaitable<void> GatewayLink::follow_stream(std::chrono::milliseconds& retry) {
  const auto get = [&](const std::string& target) {
    return gateway_api::get_json(address_, entry_.token, target, kUserAgent);
  };
  // Subscribe first so nothing that changes between the reads and the stream is lost:
  // the stream's first message carries every subscribed channel anyway.
  // (Locals, not temporaries in the co_await: GCC 12 cannot keep an initializer list's
  // array in a coroutine frame.)
  // A link that followed the gateway before asks for the events made since (less an overlap):
  // what the gateway made while the link was down reaches the site's log (notifications,
  // cloud) too.
  json subscription = json::object();
  subscription["subscribe"] = json::array({"ups/", "string/"});
  if (const auto since_ms = event_cursor_.reopen(); since_ms && events_) {
    subscription["events_since_ms"] = *since_ms;
  }
  const gateway_api::StreamTimeouts timeouts{timings_.request, timings_.stream_idle};
  gateway_api::StreamSocket ws(co_await net::this_coro::executor);
  co_await gateway_api::open_stream(ws, address_, entry_.token, subscription, kUserAgent, timeouts);
  const auto topology = co_await get("/api/v1/topology");
  const auto alarms = co_await get("/api/v1/alarms");
  update([&](GatewayData& d) {
    d.topology = topology;
    d.alarms = alarms;
    d.state = LinkState::online;
    d.detail.clear();
    d.last_data_ms = clock_->now_ms();
    d.last_seen_ms = d.last_data_ms;
  });
  if (events_) events_->gateway_online(entry_.name, clock_->now_ms());
  retry = timings_.first_retry;
  ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind != websocket::frame_type::pong) return;
    const auto now = clock_->now_ms();
    std::lock_guard lock(mutex_);
    data_.last_seen_ms = now;
  });

  beast::flat_buffer buffer;
  while (true) {
    buffer.clear();
    co_await ws.read(buffer);
    const auto received = clock_->now_ms();
    auto message = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
    if (!message.is_object()) continue;
    const auto type = message.value("type", "");
    if (type == "values") {
      if (const auto t = message.find("time_ms"); t != message.end() && t->is_number_integer()) {
        event_cursor_.saw_gateway_time(t->get<std::int64_t>());
        cursor_time_changed_ = true;
        write_cursor(false);
      }
      update([&](GatewayData& d) {
        if (auto it = message.find("channels"); it != message.end()) {
          merge_channels(d, std::move(*it), d.changes + 1);  // update() bumps changes
        }
        d.gateway_time_ms = message.value("time_ms", d.gateway_time_ms);
        d.last_data_ms = received;
        d.last_seen_ms = received;
      });
    } else if (type == "alarms" || type == "event" || type == "events_missed") {
      if (events_ && type == "event") {
        if (const auto event = message.find("event"); event != message.end()) {
          // A repeat from a catch-up's overlap is dropped; one that cannot be read is left
          // to the log, which says why.
          auto parsed = parse_gateway_event(*event);
          if (!parsed) {
            events_->add_gateway_event(entry_.name, *event);
          } else if (event_cursor_.admit(*parsed)) {
            events_->add_gateway_event(entry_.name, std::move(*parsed));
            cursor_events_changed_ = true;
            write_cursor(false);
          }
        }
      } else if (events_ && type == "events_missed") {
        const auto count = message.find("count");
        const auto older_than = message.find("older_than_ms");
        events_->add_events_missed(
            entry_.name,
            count != message.end() && count->is_number_unsigned() ? count->get<std::uint64_t>()
                                                                  : std::uint64_t{0},
            older_than != message.end() && older_than->is_number_integer()
                ? std::optional<std::int64_t>(older_than->get<std::int64_t>())
                : std::nullopt);
      }
      // The alarm list itself is not in the stream: read it again.
      const auto fresh = co_await get("/api/v1/alarms");
      update([&](GatewayData& d) {
        d.alarms = fresh;
        d.last_data_ms = clock_->now_ms();
        d.last_seen_ms = d.last_data_ms;
      });
    }
  }
}

void GatewayLink::run() {
  auto retry = timings_.first_retry;
  while (true) {
    auto loop = std::make_shared<Loop>();
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      loop_ = loop;
    }
    std::string failure;
    net::co_spawn(loop->io, follow_stream(retry), [&](const std::exception_ptr& error) {
      try {
        if (error) std::rethrow_exception(error);
      } catch (const boost::system::system_error& e) {
        failure = e.code().message();
      } catch (const std::exception& e) {
        failure = e.what();
      }
    });
    loop->io.run();

    const std::string detail = failure.empty() ? "connection closed" : failure;
    bool offline = false;
    bool stopping = false;
    update([&](GatewayData& d) {
      d.state = d.last_data_ms != 0 ? LinkState::offline : LinkState::connecting;
      d.detail = detail;
      offline = d.state == LinkState::offline;
      stopping = stopping_;
    });
    // The aggregator stopping its links is not the gateway going offline.
    if (events_ && offline && !stopping)
      events_->gateway_offline(entry_.name, clock_->now_ms(), detail);
    write_cursor(true);  // the link is down: where it was is on disk while it waits
    std::unique_lock lock(mutex_);
    loop_.reset();
    if (stop_cv_.wait_for(lock, retry, [this] { return stopping_; })) break;
    retry = std::min(retry * 2, timings_.max_retry);
  }
  write_cursor(true);
}

}  // namespace btms::aggregator
