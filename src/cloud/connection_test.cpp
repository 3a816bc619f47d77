#include "cloud/connection_test.hpp"

#include <fmt/format.h>
#include <mosquitto.h>
#include <poll.h>

#include <algorithm>
#include <optional>
#include <random>

#include "cloud/mqtt_session.hpp"

namespace btms::cloud {

namespace {

using SteadyClock = std::chrono::steady_clock;

bool mentions(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// A connection that ended before its CONNACK: what the library's code and words say.
ConnectionOutcome classify_failure(int code, const std::string& error) {
  if (code == MOSQ_ERR_TLS || code == MOSQ_ERR_TLS_HANDSHAKE) return ConnectionOutcome::tls_failure;
  // OpenSSL gave a reason (MqttSession::failure_text adds it): a TLS failure, whatever the code.
  if (mentions(error, "OpenSSL Error")) return ConnectionOutcome::tls_failure;
  if (code == MOSQ_ERR_EAI) return ConnectionOutcome::unreachable;
  if (code == MOSQ_ERR_KEEPALIVE) return ConnectionOutcome::timeout;
  if (mentions(error, "refused")) return ConnectionOutcome::refused;
  if (mentions(error, "unreachable") || mentions(error, "No route"))
    return ConnectionOutcome::unreachable;
  // The broker closed a connection it never answered: most often a TLS client talking to a
  // plain listener or the other way round, else the broker's own refusal.
  return ConnectionOutcome::refused;
}

}  // namespace

std::string_view to_string(ConnectionOutcome outcome) {
  switch (outcome) {
    case ConnectionOutcome::ok:
      return "ok";
    case ConnectionOutcome::refused:
      return "refused";
    case ConnectionOutcome::bad_credentials:
      return "bad_credentials";
    case ConnectionOutcome::not_authorized:
      return "not_authorized";
    case ConnectionOutcome::tls_failure:
      return "tls_failure";
    case ConnectionOutcome::timeout:
      return "timeout";
    case ConnectionOutcome::unreachable:
      return "unreachable";
  }
  return "refused";
}

ConnectionTestResult test_broker_connection(const CloudConfig& config,
                                            std::chrono::milliseconds timeout) {
  const auto started = SteadyClock::now();
  const auto where = fmt::format("{}:{}", config.broker.host, config.broker.port);
  CloudConfig test_config = config;
  // A client id of its own: a broker drops the older of two connections with one id, and the
  // older would be the running link.
  std::random_device random;
  test_config.client_id = fmt::format(
      "{}-test-{:04x}", config.client_id.empty() ? "btms" : config.client_id, random() & 0xffff);
  // Keep-alive at least as long as the wait, so libmosquitto does not give up first.
  test_config.keepalive_s =
      std::max<int>(5, static_cast<int>(std::chrono::ceil<std::chrono::seconds>(timeout).count()));

  std::optional<ConnectionTestResult> result;
  MqttSession* session_ptr = nullptr;
  MqttSession::Callbacks callbacks;
  callbacks.connected = [&](bool accepted, int code) {
    if (result) return;
    if (accepted) {
      result = {ConnectionOutcome::ok, fmt::format("{}: connected", where), 0};
    } else if (code == 4) {
      result = {ConnectionOutcome::bad_credentials,
                fmt::format("{}: {}", where, session_ptr->last_error()), 0};
    } else if (code == 5) {
      // mosquitto answers a wrong password with 5 (not authorised), not 4, under MQTT 3.1.1:
      // with credentials given, that is what the user needs to hear.
      result = {config.username.empty() ? ConnectionOutcome::not_authorized
                                        : ConnectionOutcome::bad_credentials,
                fmt::format("{}: {}", where, session_ptr->last_error()), 0};
    } else {
      result = {ConnectionOutcome::refused, fmt::format("{}: {}", where, session_ptr->last_error()),
                0};
    }
  };
  callbacks.disconnected = [&](int code) {
    if (result) return;
    const auto error = session_ptr->last_error();
    result = {classify_failure(code, error), fmt::format("{}: {}", where, error), 0};
  };
  ConnectionTestResult out;
  try {
    MqttSession session(test_config, "unused", callbacks);
    session_ptr = &session;
    session.clear_will();
    if (!session.connect()) {
      out = {classify_failure(session.last_code(), session.last_error()), session.last_error(), 0};
    } else {
      while (!result) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(started + timeout -
                                                                                SteadyClock::now());
        if (left.count() <= 0 || session.socket() < 0) break;
        pollfd fd{session.socket(), POLLIN, 0};
        if (session.wants_write()) fd.events |= POLLOUT;
        poll(&fd, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 100)));
        session.service((fd.revents & (POLLIN | POLLERR | POLLHUP)) != 0,
                        (fd.revents & POLLOUT) != 0);
      }
      if (result) {
        out = *result;
      } else if (session.socket() < 0) {
        out = {classify_failure(session.last_code(), session.last_error()),
               fmt::format("{}: {}", where, session.last_error()), 0};
      } else {
        out = {ConnectionOutcome::timeout,
               fmt::format("{}: no answer from the broker within {} ms", where, timeout.count()),
               0};
      }
      session.disconnect();
    }
  } catch (const std::exception& e) {
    // Settings libmosquitto refuses (a CA file that does not exist): a TLS problem.
    out = {ConnectionOutcome::tls_failure, fmt::format("{}: {}", where, e.what()), 0};
  }
  out.elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started).count();
  return out;
}

}  // namespace btms::cloud
