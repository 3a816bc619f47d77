#include "cloud/cloud_link.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include "cloud/home_assistant_discovery.hpp"
#include "cloud/mqtt_session.hpp"
#include "cloud/reconnect_backoff.hpp"
#include "cloud/sparkplug_node.hpp"
#include "cloud/telemetry_tree.hpp"

namespace btms::cloud {

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();
// Keep-alive and reconnect duties are checked at least this often (a timed duty, not polling
// for data: data wakes the thread through the eventfd).
constexpr int kServiceIntervalMs = 1000;

}  // namespace

CloudLink::CloudLink(CloudConfig config, const model::Site& site, CloudSources sources,
                     std::string outbox_path, std::shared_ptr<const model::Clock> clock)
    : config_(std::move(config)),
      site_(std::make_shared<const model::Site>(site)),
      sources_(std::move(sources)),
      outbox_path_(std::move(outbox_path)),
      clock_(clock ? std::move(clock) : model::system_clock()),
      prefix_("btms/" + config_.site_id + "/" + config_.gateway_id) {
  if (config_.client_id.empty())
    config_.client_id = "btms-" + config_.site_id + "-" + config_.gateway_id;
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error("cloud link: eventfd failed");
}

CloudLink::CloudLink(CloudConfig config, std::shared_ptr<SiteFeed> site_feed,
                     std::shared_ptr<const engine::AppendLog<model::Event>> events,
                     std::string outbox_path, std::shared_ptr<const model::Clock> clock)
    : CloudLink(std::move(config), model::Site{}, CloudSources{nullptr, std::move(events), nullptr},
                std::move(outbox_path), std::move(clock)) {
  site_feed_ = std::move(site_feed);
}

CloudLink::~CloudLink() {
  stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void CloudLink::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = write(wake_fd_, &one, sizeof one);
}

void CloudLink::start() {
  if (thread_.joinable()) return;
  if (site_feed_) {
    if (config_.format == PayloadFormat::sparkplug)
      throw std::runtime_error("cloud link: a site sends JSON only (format = \"sparkplug\")");
    if (config_.home_assistant)
      throw std::runtime_error("cloud link: Home Assistant discovery is for a gateway, not a site");
  } else if (!sources_.publication) {
    throw std::runtime_error("cloud link: no step publication and no site feed");
  }
  stopping_ = false;
  // Opened here so a bad path fails the start with its reason; the thread takes it over.
  auto outbox = std::make_shared<Outbox>(outbox_path_, config_.outbox);
  if (config_.home_assistant) {
    // Through the outbox like everything else, so they reach the broker after an outage too;
    // topics of strings or batteries gone from the site file are deleted (empty retained).
    const auto list_path = outbox_path_ + ".home-assistant-topics";
    auto messages = home_assistant_configs(config_, *site_);
    auto removals = home_assistant_removals(read_topic_list(list_path), messages);
    removals.insert(removals.end(), messages.begin(), messages.end());
    outbox->add(removals, clock_->now_ms());
    write_topic_list(list_path, messages);
  }
  {
    std::lock_guard lock(health_mutex_);
    health_.outbox = outbox->stats();
    health_.disconnected_since_ms = clock_->now_ms();
  }
  // The cursor starts here, not on the thread: an event appended right after start() is sent.
  const auto first_event = sources_.events->end();
  thread_ = std::thread([this, outbox, first_event] {
    try {
      run_with(*outbox, first_event);
    } catch (const std::exception& e) {
      spdlog::error("cloud link stopped: {}", e.what());
      std::lock_guard lock(health_mutex_);
      health_.last_error = e.what();
      health_.connected = false;
    }
  });
}

void CloudLink::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  wake();
  thread_.join();
}

void CloudLink::retire() {
  retiring_ = true;
  stop();
}

CloudHealth CloudLink::health() const {
  std::lock_guard lock(health_mutex_);
  return health_;
}

void CloudLink::run_with(Outbox& outbox, std::uint64_t first_event) {
  TelemetryTree tree(config_, *site_);
  const auto status_topic = tree.status_topic();
  // Sparkplug B instead of the JSON tree: births on every connect and rebirth request, the
  // NDEATH will with the connection's bdSeq, seq stamped at publish time.
  std::unique_ptr<SparkplugNode> sparkplug;
  if (config_.format == PayloadFormat::sparkplug)
    sparkplug = std::make_unique<SparkplugNode>(config_, *site_);
  const auto bd_seq_path = outbox_path_ + ".sparkplug-bdseq";
  std::uint64_t next_bd_seq = sparkplug ? load_next_bd_seq(bd_seq_path) : 0;
  std::uint64_t bd_seq = next_bd_seq;  // of the current connection
  bool births_due = false;
  std::uint64_t seq = 0;  // of the next Sparkplug message on this connection (0..255)
  auto take_seq = [&] {
    const auto s = seq;
    seq = (seq + 1) % 256;
    return s;
  };
  std::mt19937_64 random(std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);

  bool connected = false;
  int failed_attempts = 0;
  auto next_attempt = SteadyClock::now();
  auto attempt_started = SteadyClock::now();
  std::unordered_map<int, std::int64_t> in_flight;  // libmosquitto message id -> outbox mid
  std::vector<std::int64_t> acked;
  std::int64_t live_after = 0;     // newest mid sent of the live stream
  std::int64_t backlog_after = 0;  // newest mid sent of the backlog
  std::int64_t backlog_end = 0;    // the backlog: mids up to this one (outbox at connect)
  double backlog_tokens = 0;
  auto tokens_at = SteadyClock::now();

  auto update_health = [&](auto&& change) {
    std::lock_guard lock(health_mutex_);
    change(health_);
  };

  MqttSession::Callbacks callbacks;
  MqttSession* session_ptr = nullptr;
  // Home Assistant announces "online" on <prefix>/status when it (re)starts: its discovery
  // configs go out again then, as Home Assistant's documentation asks of integrations.
  const auto ha_status_topic = config_.home_assistant_prefix + "/status";
  bool ha_configs_due = false;
  callbacks.message = [&](const std::string& topic, const std::string& payload) {
    if (sparkplug && sparkplug->rebirth_requested(topic, payload)) {
      spdlog::info("cloud link: Sparkplug rebirth requested");
      births_due = true;
    }
    if (config_.home_assistant && topic == ha_status_topic && payload == "online") {
      ha_configs_due = true;
    }
  };
  callbacks.connected = [&](bool accepted, int) {
    if (!accepted) {
      ++failed_attempts;
      update_health([&](CloudHealth& h) {
        ++h.connect_failures;
        h.last_error = session_ptr->last_error();
      });
      session_ptr->disconnect();
      next_attempt = SteadyClock::now() + std::chrono::milliseconds(reconnect_delay_ms(
                                              failed_attempts, config_.reconnect_min_ms,
                                              config_.reconnect_max_ms, unit(random)));
      return;
    }
    connected = true;
    failed_attempts = 0;
    in_flight.clear();
    // Everything stored so far is backlog; what is stored from now on is live.
    backlog_end = outbox.stats().newest_mid;
    backlog_after = 0;
    live_after = backlog_end;
    backlog_tokens = 0;
    tokens_at = SteadyClock::now();
    if (sparkplug) {
      // This connection's will carries next_bd_seq; the next one counts on.
      bd_seq = next_bd_seq;
      next_bd_seq = (next_bd_seq + 1) % 256;
      save_next_bd_seq(bd_seq_path, next_bd_seq);
      births_due = true;
      session_ptr->subscribe(sparkplug->topic("NCMD"));
    } else {
      int ignored = 0;
      session_ptr->publish(status_topic, "online", true, &ignored);
    }
    if (config_.home_assistant) session_ptr->subscribe(ha_status_topic);
    update_health([&](CloudHealth& h) {
      h.connected = true;
      ++h.connects;
      h.disconnected_since_ms = 0;
    });
    spdlog::info("cloud link: connected to {}:{} as {}", config_.broker.host, config_.broker.port,
                 config_.client_id);
  };
  callbacks.disconnected = [&](int) {
    if (connected) spdlog::warn("cloud link: connection lost ({})", session_ptr->last_error());
    const bool attempt_failed = !connected;  // refused or silent before CONNACK
    connected = false;
    in_flight.clear();  // resent from the outbox after the next connect
    next_attempt = SteadyClock::now() + std::chrono::milliseconds(reconnect_delay_ms(
                                            failed_attempts, config_.reconnect_min_ms,
                                            config_.reconnect_max_ms, unit(random)));
    ++failed_attempts;
    update_health([&](CloudHealth& h) {
      h.connected = false;
      if (attempt_failed) ++h.connect_failures;
      if (h.disconnected_since_ms == 0) h.disconnected_since_ms = clock_->now_ms();
      h.last_error = session_ptr->last_error();
    });
  };
  callbacks.acknowledged = [&](int message_id) {
    const auto it = in_flight.find(message_id);
    if (it == in_flight.end()) return;  // the status message, or from before a reconnect
    acked.push_back(it->second);
    in_flight.erase(it);
  };
  MqttSession session(config_, status_topic, callbacks);
  session_ptr = &session;

  // Wake-ups from the engine thread (or the site feed's): they only signal.
  auto step_subscription = site_feed_ ? site_feed_->subscribe([this] { wake(); })
                                      : sources_.publication->on_publish([this] { wake(); });
  auto event_subscription = sources_.events->on_append([this] { wake(); });
  engine::LogCursor<model::Event> cursor(sources_.events, first_event);
  std::uint64_t last_step = 0;

  // Publishes up to max stored messages with after < mid <= up_to; moves cursor_mid past what
  // was sent (and past the end of the range once it is exhausted, so dropped rows at its end do
  // not keep the backlog "pending").
  auto send = [&](std::int64_t after, std::int64_t up_to, std::size_t max, std::int64_t& cursor_mid,
                  bool backlog) -> std::size_t {
    if (max == 0 || after >= up_to) return 0;
    const auto newest = outbox.newest_mid();
    std::size_t sent = 0;
    for (const auto& m : outbox.read(after, up_to, max)) {
      int message_id = 0;
      // Sparkplug: seq counts this connection's messages; the backlog is history.
      const bool published =
          sparkplug ? session.publish(m.topic, SparkplugNode::stamped(m.payload, seq, backlog),
                                      m.retain, &message_id)
                    : session.publish(m.topic, m.payload, m.retain, &message_id);
      if (!published) return sent;
      if (sparkplug) take_seq();
      in_flight[message_id] = m.mid;
      cursor_mid = m.mid;
      ++sent;
    }
    if (sent < max) cursor_mid = std::max(cursor_mid, std::min(up_to, newest));
    return sent;
  };

  // The warning alarm for a broker out of reach: raised once after offline_warning_s, cleared
  // on the next connect. Submitted, never waited for.
  bool warning_raised = false;
  std::int64_t offline_since_ms = clock_->now_ms();
  auto set_warning = [&](bool active, std::string_view why_cleared = "reachable again") {
    warning_raised = active;
    if (!sources_.engine) return;
    sources_.engine->submit(
        engine::SetSystemCondition{
            "cloud", "cloud_broker_unreachable", active, model::Severity::warning,
            active
                ? fmt::format("Cloud broker {}:{} unreachable for more than {} s",
                              config_.broker.host, config_.broker.port, config_.offline_warning_s)
                : fmt::format("Cloud broker {}:{} {}", config_.broker.host, config_.broker.port,
                              why_cleared)},
        engine::Actor{"system", "cloud"});
  };

  while (!stopping_) {
    const auto now_ms = clock_->now_ms();
    if (connected) {
      offline_since_ms = now_ms;
      if (warning_raised) set_warning(false);
    } else if (!warning_raised && now_ms - offline_since_ms >= config_.offline_warning_s * 1000LL) {
      set_warning(true);
    }
    // 1. What was published since the last turn goes into the outbox first.
    std::vector<OutgoingMessage> messages;
    auto batch = cursor.next(4096);
    if (batch.missed > 0) {
      spdlog::warn("cloud link: {} events were gone from the engine's log before sent",
                   batch.missed);
      update_health(
          [&](CloudHealth& h) { h.events_missed += static_cast<std::int64_t>(batch.missed); });
    }
    // Sparkplug carries values only: events and alarms stay with the JSON tree (docs/cloud.md).
    if (!sparkplug) messages = tree.on_events(batch.items);
    if (site_feed_) {
      auto site_messages = site_feed_->messages_due(now_ms, prefix_);
      messages.insert(messages.end(), std::make_move_iterator(site_messages.begin()),
                      std::make_move_iterator(site_messages.end()));
    } else if (const auto bundle = sources_.publication->latest();
               bundle && bundle->step > last_step) {
      last_step = bundle->step;
      auto step_messages = sparkplug ? sparkplug->on_step(*bundle) : tree.on_step(*bundle);
      if (sparkplug && sparkplug->take_layout_changed()) births_due = true;
      messages.insert(messages.end(), std::make_move_iterator(step_messages.begin()),
                      std::make_move_iterator(step_messages.end()));
    }
    if (ha_configs_due) {
      ha_configs_due = false;
      auto configs = home_assistant_configs(config_, *site_);
      messages.insert(messages.end(), std::make_move_iterator(configs.begin()),
                      std::make_move_iterator(configs.end()));
      update_health([](CloudHealth& h) { ++h.home_assistant_republished; });
    }
    bool outbox_changed = false;
    if (!messages.empty()) {
      outbox.add(messages, now_ms);
      outbox_changed = true;
    }
    // 2. Acknowledged messages leave the outbox.
    if (!acked.empty()) {
      outbox.remove(acked);
      update_health([&](CloudHealth& h) {
        h.acknowledged += static_cast<std::int64_t>(acked.size());
        h.last_ack_ms = now_ms;
      });
      acked.clear();
      outbox_changed = true;
    }
    // 3. Connect when due; an attempt the broker has not answered within the keep-alive is
    // given up (and retried after the backoff) rather than left to the kernel's SYN retries.
    if (!connected && session.socket() >= 0 &&
        SteadyClock::now() - attempt_started >= std::chrono::seconds(config_.keepalive_s)) {
      session.abandon(fmt::format("{}:{}: no answer from the broker within the keep-alive ({} s)",
                                  config_.broker.host, config_.broker.port, config_.keepalive_s));
    }
    if (!connected && session.socket() < 0 && SteadyClock::now() >= next_attempt) {
      attempt_started = SteadyClock::now();
      if (sparkplug)
        session.set_will(sparkplug->topic("NDEATH"), sparkplug->death_payload(next_bd_seq, now_ms),
                         false);
      if (!session.connect()) {
        next_attempt = SteadyClock::now() + std::chrono::milliseconds(reconnect_delay_ms(
                                                failed_attempts, config_.reconnect_min_ms,
                                                config_.reconnect_max_ms, unit(random)));
        ++failed_attempts;
        update_health([&](CloudHealth& h) {
          ++h.connect_failures;
          h.last_error = session.last_error();
        });
      }
    }
    // 4. Send: live first, then the backlog at its pace, within the in-flight window.
    std::size_t published = 0;
    if (connected && births_due && sparkplug) {
      // NBIRTH (seq 0) and the DBIRTHs before any data; none before the first step.
      auto births = sparkplug->births(bd_seq, now_ms);
      if (!births.empty()) {
        births_due = false;
        seq = 0;
        for (const auto& b : births) {
          int ignored = 0;
          if (!session.publish(b.topic, SparkplugNode::stamped(b.payload, take_seq(), false), false,
                               &ignored))
            break;
          ++published;
        }
      }
    }
    if (connected && !(sparkplug && births_due)) {
      const auto window = static_cast<std::size_t>(config_.max_in_flight);
      const auto room = [&] { return in_flight.size() < window ? window - in_flight.size() : 0; };
      published += send(live_after, kNoLimit, room(), live_after, false);
      const auto t = SteadyClock::now();
      backlog_tokens = std::min<double>(
          config_.backlog_messages_per_s,
          backlog_tokens + config_.backlog_messages_per_s *
                               std::chrono::duration<double>(t - tokens_at).count());
      tokens_at = t;
      if (backlog_after < backlog_end && backlog_tokens >= 1) {
        const auto n =
            send(backlog_after, backlog_end,
                 std::min(room(), static_cast<std::size_t>(backlog_tokens)), backlog_after, true);
        backlog_tokens -= static_cast<double>(n);
        published += n;
      }
    }
    if (published > 0)
      update_health([&](CloudHealth& h) { h.published += static_cast<std::int64_t>(published); });
    if (outbox_changed) {
      const auto stats = outbox.stats();
      update_health([&](CloudHealth& h) { h.outbox = stats; });
    }
    // 5. Wait for news: a wake-up, the socket, or the next timed duty.
    int timeout_ms = kServiceIntervalMs;
    if (!connected && session.socket() < 0) {
      const auto until =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt - SteadyClock::now())
              .count();
      timeout_ms = static_cast<int>(std::clamp<std::int64_t>(until, 0, kServiceIntervalMs));
    }
    if (connected && backlog_after < backlog_end && backlog_tokens < 1 &&
        in_flight.size() < static_cast<std::size_t>(config_.max_in_flight)) {
      timeout_ms = std::min(timeout_ms, std::max(1, 1000 / config_.backlog_messages_per_s));
    }
    if (cursor.has_more()) timeout_ms = 0;
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {session.socket(), POLLIN, 0}};
    if (session.wants_write()) fds[1].events |= POLLOUT;
    const int nfds = fds[1].fd >= 0 ? 2 : 1;
    if (poll(fds, static_cast<nfds_t>(nfds), timeout_ms) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      std::uint64_t count = 0;
      [[maybe_unused]] const auto n = read(wake_fd_, &count, sizeof count);
    }
    if (nfds == 2) {
      session.service((fds[1].revents & (POLLIN | POLLERR | POLLHUP)) != 0,
                      (fds[1].revents & POLLOUT) != 0);
    }
  }

  // Stopping: say so (retained) and leave cleanly; what is not acknowledged stays stored.
  if (connected) {
    int message_id = 0;
    // A clean DISCONNECT suppresses the will: say it ourselves.
    if (sparkplug) {
      session.publish(sparkplug->topic("NDEATH"),
                      sparkplug->death_payload(bd_seq, clock_->now_ms()), false, &message_id);
    } else {
      session.publish(status_topic, "offline", true, &message_id);
    }
    session.service(false, true);
    // A moment for the outstanding PUBACKs, so a clean stop leaves no duplicates behind.
    const auto until = SteadyClock::now() + std::chrono::milliseconds(500);
    while (!in_flight.empty() && connected && SteadyClock::now() < until) {
      pollfd fd{session.socket(), POLLIN, 0};
      if (fd.fd < 0) break;
      poll(&fd, 1, 50);
      session.service((fd.revents & POLLIN) != 0, false);
    }
    if (!acked.empty()) outbox.remove(acked);
    session.disconnect();
  }
  if (warning_raised && retiring_)
    set_warning(false, "no longer used: the link's settings changed");
  update_health([&](CloudHealth& h) {
    h.connected = false;
    h.outbox = outbox.stats();
  });
}

std::string CloudLink::metrics_text() const {
  const auto h = health();
  const auto now_ms = clock_->now_ms();
  std::string out;
  auto gauge = [&](std::string_view name, std::string_view help, std::string_view type,
                   auto value) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name,
                   type, name, value);
  };
  gauge("btms_cloud_connected", "1 while the MQTT broker is connected.", "gauge",
        h.connected ? 1 : 0);
  gauge("btms_cloud_connects_total", "Connections the broker accepted.", "counter", h.connects);
  gauge("btms_cloud_connect_failures_total", "Connection attempts that failed.", "counter",
        h.connect_failures);
  gauge("btms_cloud_published_total", "QoS 1 messages sent (resends included).", "counter",
        h.published);
  gauge("btms_cloud_acknowledged_total", "Messages the broker acknowledged.", "counter",
        h.acknowledged);
  gauge("btms_cloud_last_ack_age_seconds",
        "Gateway-clock seconds since the last acknowledgement (-1 = none yet).", "gauge",
        h.last_ack_ms ? fmt::format("{:.3f}", static_cast<double>(now_ms - h.last_ack_ms) / 1000)
                      : std::string("-1"));
  gauge("btms_cloud_disconnected_seconds",
        "Gateway-clock seconds the broker has been out of reach (0 while connected).", "gauge",
        h.disconnected_since_ms
            ? fmt::format("{:.3f}", static_cast<double>(now_ms - h.disconnected_since_ms) / 1000)
            : std::string("0"));
  gauge("btms_cloud_outbox_messages", "Messages stored and not yet acknowledged.", "gauge",
        h.outbox.rows);
  gauge("btms_cloud_outbox_bytes", "Bytes of topics and payloads in the outbox.", "gauge",
        h.outbox.bytes);
  gauge("btms_cloud_outbox_oldest_age_seconds",
        "Gateway-clock age of the oldest stored message (0 when empty).", "gauge",
        h.outbox.rows
            ? fmt::format("{:.3f}", static_cast<double>(now_ms - h.outbox.oldest_created_ms) / 1000)
            : std::string("0"));
  out +=
      "# HELP btms_cloud_outbox_dropped_total Messages dropped from a full outbox, by kind.\n"
      "# TYPE btms_cloud_outbox_dropped_total counter\n";
  fmt::format_to(std::back_inserter(out),
                 "btms_cloud_outbox_dropped_total{{kind=\"telemetry\"}} {}\n"
                 "btms_cloud_outbox_dropped_total{{kind=\"alarm_event\"}} {}\n",
                 h.outbox.dropped_telemetry, h.outbox.dropped_priority);
  gauge("btms_cloud_events_missed_total",
        "Events gone from the engine's log before the cloud link read them.", "counter",
        h.events_missed);
  gauge("btms_cloud_home_assistant_republished_total",
        "Discovery config sets sent again because Home Assistant announced itself online.",
        "counter", h.home_assistant_republished);
  return out;
}

}  // namespace btms::cloud
