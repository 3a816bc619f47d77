// One MQTT client connection over libmosquitto, driven from its owner's thread (no thread of
// its own): the owner polls socket() for readable/writable and calls service(). Carries the
// broker settings (TLS with server verification, user/password or client certificate,
// keep-alive, the retained "offline" will) and reports CONNACK, disconnects and PUBACKs through
// callbacks that run inside connect()/service() on the owner's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "cloud/cloud_config.hpp"

struct mosquitto;
struct mosquitto_message;

namespace btms::cloud {

class MqttSession {
 public:
  struct Callbacks {
    std::function<void(bool accepted, int code)> connected;  // CONNACK
    std::function<void(int code)> disconnected;              // link lost or closed
    std::function<void(int message_id)> acknowledged;        // PUBACK of a QoS 1 publish
    // A message on a subscribed topic.
    std::function<void(const std::string& topic, const std::string& payload)> message;
  };

  // will_topic gets "offline" (retained, QoS 1) from the broker when the link dies.
  MqttSession(const CloudConfig& config, std::string will_topic, Callbacks callbacks);
  ~MqttSession();
  MqttSession(const MqttSession&) = delete;
  MqttSession& operator=(const MqttSession&) = delete;

  // Replaces the will for the next connect(): Sparkplug's NDEATH carries the bdSeq of the
  // connection it ends, so it is set anew before every attempt (QoS 1).
  bool set_will(const std::string& topic, const std::string& payload, bool retain);
  // No will at all (a connection test must never make the broker say "offline").
  void clear_will();
  // Starts opening TCP (and TLS) without waiting for the handshake, and queues CONNECT; the
  // handshake goes on in service(). A broker that refuses shows up through disconnected(), one
  // that never answers is the owner's to give up on (abandon()): a blocking connect to a broker
  // behind a firewall that drops packets would hold the owner's thread for the kernel's two
  // minutes of retries, and with it the gateway's stop. False with a reason in last_error()
  // when the attempt cannot even start (no such host).
  bool connect();
  // Gives up the connection attempt or connection (reason in last_error()), as a lost link.
  void abandon(const std::string& reason);
  // Publishes at QoS 1; the broker's PUBACK comes back through acknowledged(message_id). False
  // when not connected or the client refused (then nothing was sent).
  bool publish(const std::string& topic, const std::string& payload, bool retain, int* message_id);
  // Subscribes at QoS 1 (clean session: again after every connect). False when not connected.
  bool subscribe(const std::string& topic);
  // Sends DISCONNECT (no will) after the caller published its own "offline".
  void disconnect();

  // Descriptor to poll (-1 when not connected) and whether to poll it for writing too.
  int socket() const;
  bool wants_write() const;
  // Reads and writes what the socket allows and does keep-alive duties; reports a lost link
  // through disconnected(). Call when the socket is ready and at least every second.
  void service(bool readable, bool writable);

  const std::string& last_error() const { return last_error_; }
  // libmosquitto's code (MOSQ_ERR_*) of the last failure, with last_error(); 0 = none.
  int last_code() const { return last_code_; }

 private:
  static void on_connect(mosquitto*, void* self, int code);
  static void on_disconnect(mosquitto*, void* self, int code);
  static void on_publish(mosquitto*, void* self, int message_id);
  static void on_message(mosquitto*, void* self, const struct mosquitto_message* message);
  static void on_log(mosquitto*, void* self, int level, const char* text);
  // The error text of a failure, with OpenSSL's own words for a TLS one.
  std::string failure_text(int rc) const;
  void lost(int code);

  CloudConfig config_;
  std::string will_topic_;
  Callbacks callbacks_;
  mosquitto* mosq_ = nullptr;
  bool open_ = false;  // a socket exists (CONNECT sent or connected)
  std::string last_error_;
  int last_code_ = 0;
  std::string tls_detail_;  // libmosquitto's last "OpenSSL Error" log line
};

}  // namespace btms::cloud
