#include "cloud/mqtt_session.hpp"

#include <fmt/format.h>
#include <mosquitto.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string_view>

namespace btms::cloud {

namespace {

void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string error_text(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
  // libmosquitto 2.0 has no text for this one ("Unknown error."): its own keep-alive check also
  // ends a connection attempt the broker never answers.
  if (rc == MOSQ_ERR_KEEPALIVE) return "no answer from the broker within the keep-alive";
  return mosquitto_strerror(rc);
}

}  // namespace

MqttSession::MqttSession(const CloudConfig& config, std::string will_topic, Callbacks callbacks)
    : config_(config), will_topic_(std::move(will_topic)), callbacks_(std::move(callbacks)) {
  init_library_once();
  // Clean session: what was in flight when the link died is sent again from the outbox, so the
  // broker need not keep anything for us.
  mosq_ = mosquitto_new(config_.client_id.c_str(), true, this);
  if (!mosq_) throw std::runtime_error("cloud link: cannot create an MQTT client");
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(mosq_, &MqttSession::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &MqttSession::on_disconnect);
  mosquitto_publish_callback_set(mosq_, &MqttSession::on_publish);
  mosquitto_message_callback_set(mosq_, &MqttSession::on_message);
  // Only to keep OpenSSL's reason for a failed handshake ("certificate verify failed"), which
  // libmosquitto logs but does not return.
  mosquitto_log_callback_set(mosq_, &MqttSession::on_log);
  // Unbounded in-flight inside libmosquitto: the cloud link keeps its own window.
  mosquitto_max_inflight_messages_set(mosq_, 0);
  const std::string offline = "offline";
  int rc = mosquitto_will_set(mosq_, will_topic_.c_str(), static_cast<int>(offline.size()),
                              offline.data(), 1, true);
  if (rc == MOSQ_ERR_SUCCESS && !config_.username.empty()) {
    rc = mosquitto_username_pw_set(mosq_, config_.username.c_str(),
                                   config_.password.empty() ? nullptr : config_.password.c_str());
  }
  if (rc == MOSQ_ERR_SUCCESS && config_.broker.tls) {
    // The broker's certificate is verified against ca_file, or the system's CAs.
    rc = mosquitto_tls_set(mosq_, config_.ca_file.empty() ? nullptr : config_.ca_file.c_str(),
                           config_.ca_file.empty() ? "/etc/ssl/certs" : nullptr,
                           config_.cert_file.empty() ? nullptr : config_.cert_file.c_str(),
                           config_.key_file.empty() ? nullptr : config_.key_file.c_str(), nullptr);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_opts_set(mosq_, 1, "tlsv1.2", nullptr);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_insecure_set(mosq_, false);
  }
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_destroy(mosq_);
    throw std::runtime_error("cloud link: MQTT settings refused: " + error_text(rc));
  }
}

MqttSession::~MqttSession() {
  mosquitto_destroy(mosq_);
}

bool MqttSession::set_will(const std::string& topic, const std::string& payload, bool retain) {
  const int rc = mosquitto_will_set(mosq_, topic.c_str(), static_cast<int>(payload.size()),
                                    payload.data(), 1, retain);
  if (rc == MOSQ_ERR_SUCCESS) return true;
  last_error_ = "will: " + error_text(rc);
  return false;
}

void MqttSession::clear_will() {
  mosquitto_will_clear(mosq_);
}

bool MqttSession::connect() {
  // On loopback the TLS handshake may end inside mosquitto_connect_async: OpenSSL's reason is
  // then already logged, and failure_text() must add it here too.
  tls_detail_.clear();
  const int rc = mosquitto_connect_async(mosq_, config_.broker.host.c_str(), config_.broker.port,
                                         config_.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS) {
    last_error_ =
        fmt::format("{}:{}: {}", config_.broker.host, config_.broker.port, failure_text(rc));
    last_code_ = rc;
    open_ = false;
    return false;
  }
  open_ = true;
  return true;
}

bool MqttSession::publish(const std::string& topic, const std::string& payload, bool retain,
                          int* message_id) {
  if (!open_) return false;
  const int rc = mosquitto_publish(mosq_, message_id, topic.c_str(),
                                   static_cast<int>(payload.size()), payload.data(), 1, retain);
  if (rc == MOSQ_ERR_SUCCESS) return true;
  last_error_ = "publish: " + error_text(rc);
  if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO) lost(rc);
  return false;
}

bool MqttSession::subscribe(const std::string& topic) {
  if (!open_) return false;
  const int rc = mosquitto_subscribe(mosq_, nullptr, topic.c_str(), 1);
  if (rc == MOSQ_ERR_SUCCESS) return true;
  last_error_ = "subscribe: " + error_text(rc);
  return false;
}

void MqttSession::disconnect() {
  if (!open_) return;
  open_ = false;  // first: the disconnect callback below is ours, not a lost link
  mosquitto_disconnect(mosq_);
  // Let the DISCONNECT (and anything queued) go out.
  for (int i = 0; i < 10 && mosquitto_want_write(mosq_); ++i) mosquitto_loop_write(mosq_, 100);
}

int MqttSession::socket() const {
  return open_ ? mosquitto_socket(mosq_) : -1;
}

bool MqttSession::wants_write() const {
  return open_ && mosquitto_want_write(mosq_);
}

void MqttSession::service(bool readable, bool writable) {
  if (!open_) return;
  int rc = MOSQ_ERR_SUCCESS;
  if (readable) rc = mosquitto_loop_read(mosq_, 1000);
  if (rc == MOSQ_ERR_SUCCESS && open_ && (writable || mosquitto_want_write(mosq_)))
    rc = mosquitto_loop_write(mosq_, 1000);
  if (rc == MOSQ_ERR_SUCCESS && open_) rc = mosquitto_loop_misc(mosq_);
  if (rc != MOSQ_ERR_SUCCESS && open_) {
    last_error_ = failure_text(rc);
    last_code_ = rc;
    lost(rc);
  }
}

void MqttSession::abandon(const std::string& reason) {
  if (!open_) return;
  last_error_ = reason;
  lost(MOSQ_ERR_TIMEOUT);
}

void MqttSession::lost(int code) {
  if (!open_) return;
  open_ = false;
  // Close the socket so the next connect() starts afresh.
  mosquitto_disconnect(mosq_);
  if (callbacks_.disconnected) callbacks_.disconnected(code);
}

void MqttSession::on_connect(mosquitto*, void* self, int code) {
  auto* s = static_cast<MqttSession*>(self);
  if (code != 0)
    s->last_error_ =
        fmt::format("broker refused the connection: {}", mosquitto_connack_string(code));
  if (s->callbacks_.connected) s->callbacks_.connected(code == 0, code);
}

void MqttSession::on_disconnect(mosquitto*, void* self, int code) {
  auto* s = static_cast<MqttSession*>(self);
  if (!s->open_) return;  // our own disconnect()/lost()
  s->open_ = false;
  s->last_error_ = code == 0 ? "closed" : s->failure_text(code);
  s->last_code_ = code;
  if (s->callbacks_.disconnected) s->callbacks_.disconnected(code);
}

void MqttSession::on_publish(mosquitto*, void* self, int message_id) {
  auto* s = static_cast<MqttSession*>(self);
  if (s->callbacks_.acknowledged) s->callbacks_.acknowledged(message_id);
}

void MqttSession::on_log(mosquitto*, void* self, int level, const char* text) {
  if (level != MOSQ_LOG_ERR || !text) return;
  const std::string_view line(text);
  if (line.starts_with("OpenSSL Error")) static_cast<MqttSession*>(self)->tls_detail_ = line;
}

std::string MqttSession::failure_text(int rc) const {
  auto text = error_text(rc);
  // Whatever code the library returned: a handshake that failed on a later read comes back as
  // MOSQ_ERR_ERRNO (EPROTO), and OpenSSL's logged reason is then the only true one.
  if (!tls_detail_.empty()) text += " (" + tls_detail_ + ")";
  return text;
}

void MqttSession::on_message(mosquitto*, void* self, const mosquitto_message* message) {
  auto* s = static_cast<MqttSession*>(self);
  if (!s->callbacks_.message || !message || !message->topic) return;
  const std::string payload(static_cast<const char*>(message->payload),
                            message->payload ? static_cast<std::size_t>(message->payloadlen) : 0);
  s->callbacks_.message(message->topic, payload);
}

}  // namespace btms::cloud
