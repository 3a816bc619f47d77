// One gateway's link: its own thread and event loop reading the gateway's topology, summaries
// (ups/ and string/ channels) and alarms over REST, then following its WebSocket stream; the
// alarm list is read again when the stream says it changed. A dropped or silent link is marked
// offline at once (the stream pings after half the idle time and gives up after it, so a hung
// gateway is offline within kStreamIdle), the last data stay (served as stale) and it
// reconnects with a growing pause (0.5 s .. 5 s).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "aggregator/gateway_data.hpp"
#include "aggregator/gateway_event.hpp"
#include "aggregator/site_event_log.hpp"
#include "aggregator/site_file.hpp"
#include "gateway_api/gateway_http.hpp"
#include "model/clock.hpp"

namespace btms::aggregator {

struct LinkTimings {
  std::chrono::milliseconds request{3000};
  std::chrono::milliseconds stream_idle{3000};
  std::chrono::milliseconds first_retry{500};
  std::chrono::milliseconds max_retry{5000};
};

class GatewayLink {
 public:
  // on_change is called from the link's thread after every change; it must only signal.
  // events (may be null) receives the gateway's stream events and the link's offline / online
  // changes (site_event_log.hpp).
  GatewayLink(GatewayEntry entry, std::shared_ptr<const model::Clock> clock,
              std::function<void()> on_change, LinkTimings timings = {},
              std::shared_ptr<SiteEventLog> events = nullptr);
  ~GatewayLink();
  GatewayLink(const GatewayLink&) = delete;
  GatewayLink& operator=(const GatewayLink&) = delete;

  // Keeps the link's place in the gateway's events in the file at `path` (read now, written as
  // it moves and when the link stops), so what a gateway made while the aggregator was down is
  // caught up when it starts again. Before start(). A file that cannot be read is logged with
  // the reason and replaced: the link then starts without a place (nothing is caught up).
  void keep_event_cursor(std::string path);

  void start();
  void stop();

  const GatewayEntry& entry() const { return entry_; }
  const gateway_api::GatewayAddress& address() const { return address_; }
  // Runs f(const GatewayData&) under the link's lock (no copy of the channels).
  template <class F>
  auto read(F&& f) const {
    std::lock_guard lock(mutex_);
    return f(data_);
  }
  GatewayData copy() const {
    std::lock_guard lock(mutex_);
    return data_;
  }

 private:
  struct Loop;
  void run();
  // One connection's life: stream opened, topology and alarms read, messages followed until the
  // connection ends (throws). A member coroutine, not a lambda handed to co_spawn: its state
  // lives in the coroutine frame, never in a closure co_spawn's caller might destroy first.
  boost::asio::awaitable<void> follow_stream(std::chrono::milliseconds& retry);
  template <class F>
  void update(F&& change);

  GatewayEntry entry_;
  gateway_api::GatewayAddress address_;
  std::shared_ptr<const model::Clock> clock_;
  std::function<void()> on_change_;
  LinkTimings timings_;
  std::shared_ptr<SiteEventLog> events_;
  GatewayEventCursor event_cursor_;  // the link thread's
  // The cursor's file ("" = kept in memory only) and what changed since it was last written:
  // a relayed event is written within a second (a restart then repeats nothing older), the
  // horizon alone at most every ten seconds (the overlap covers the lag).
  std::string cursor_path_;
  bool cursor_events_changed_ = false;
  bool cursor_time_changed_ = false;
  std::chrono::steady_clock::time_point cursor_written_{};
  // Writes what changed, paced as above; at_once: now (the link went down or stops).
  void write_cursor(bool at_once);

  mutable std::mutex mutex_;
  GatewayData data_;
  std::shared_ptr<Loop> loop_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace btms::aggregator
