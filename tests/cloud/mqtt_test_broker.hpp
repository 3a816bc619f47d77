// A real mosquitto broker for the cloud link's tests, started on a free loopback port in a temp
// folder (plain, and TLS with a test CA the test generates with openssl), and a real subscriber
// (libmosquitto) that collects every message it receives.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "process.hpp"

struct mosquitto;
struct mosquitto_message;

namespace btms::cloud::test {

int free_loopback_port();

// CA, server certificate for 127.0.0.1 / localhost, and a client certificate, in folder.
struct TestCertificates {
  std::string ca_file, server_cert, server_key, client_cert, client_key, other_ca_file;
};
TestCertificates make_test_certificates(const std::string& folder);

class MosquittoBroker {
 public:
  struct Options {
    int port = 0;       // plain listener (0 = pick a free one)
    int tls_port = -1;  // TLS listener (-1 = none, 0 = pick a free one)
    TestCertificates certs;
    bool require_client_cert = false;
    std::string password_file;  // empty = anonymous allowed
  };
  // Starts mosquitto with persistence in folder (so persistent subscriber sessions and their
  // queued QoS 1 messages survive a restart) and waits until it accepts connections.
  MosquittoBroker(const std::string& folder, Options options);
  ~MosquittoBroker();  // SIGTERM (mosquitto saves its persistence file)
  void stop();
  void start();
  int port() const { return options_.port; }
  int tls_port() const { return options_.tls_port; }

 private:
  std::string folder_;
  Options options_;
  std::unique_ptr<e2e::ChildProcess> process_;
};

struct ReceivedMessage {
  std::string topic;
  std::string payload;
  bool retained = false;
};

class Subscriber {
 public:
  // Persistent session (clean_session false) subscribed at QoS 1 to `filter`: messages for it
  // are queued by the broker while it is away and delivered when it reconnects.
  Subscriber(int port, const std::string& filter, const std::string& client_id = "test-sub");
  ~Subscriber();
  // Waits until pred(all messages so far) holds or the timeout passes; returns pred's value.
  bool wait_for(const std::function<bool(const std::vector<ReceivedMessage>&)>& pred,
                std::chrono::milliseconds timeout);
  std::vector<ReceivedMessage> messages() const;
  bool wait_connected(std::chrono::milliseconds timeout);

 private:
  static void on_message(mosquitto*, void* self, const ::mosquitto_message* message);
  static void on_connect(mosquitto*, void* self, int rc);
  mosquitto* mosq_ = nullptr;
  std::string filter_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ReceivedMessage> messages_;
  bool connected_ = false;
  bool subscribed_ = false;
};

}  // namespace btms::cloud::test
