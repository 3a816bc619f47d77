#include "mqtt_test_broker.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace btms::cloud::test {

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

namespace {

bool accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

void run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("failed: " + command);
}

}  // namespace

TestCertificates make_test_certificates(const std::string& folder) {
  TestCertificates c;
  c.ca_file = folder + "/ca.pem";
  c.server_cert = folder + "/server.pem";
  c.server_key = folder + "/server.key";
  c.client_cert = folder + "/client.pem";
  c.client_key = folder + "/client.key";
  c.other_ca_file = folder + "/other-ca.pem";
  const auto f = folder;
  // P-256 keys: generated in milliseconds where RSA 2048 took seconds on a busy machine.
  run(
      fmt::format("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "
                  "2 -subj /CN=btms-test-ca "
                  "-keyout {0}/ca.key -out {0}/ca.pem",
                  f));
  run(
      fmt::format("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "
                  "2 -subj /CN=other-ca "
                  "-keyout {0}/other-ca.key -out {0}/other-ca.pem",
                  f));
  {
    std::ofstream ext(f + "/server.ext");
    ext << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  }
  run(
      fmt::format("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "
                  "/CN=127.0.0.1 -keyout "
                  "{0}/server.key -out {0}/server.csr",
                  f));
  run(
      fmt::format("openssl x509 -req -in {0}/server.csr -CA {0}/ca.pem -CAkey {0}/ca.key "
                  "-CAcreateserial -days 2 -extfile {0}/server.ext -out {0}/server.pem",
                  f));
  run(
      fmt::format("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "
                  "/CN=gateway-1 -keyout "
                  "{0}/client.key -out {0}/client.csr",
                  f));
  run(
      fmt::format("openssl x509 -req -in {0}/client.csr -CA {0}/ca.pem -CAkey {0}/ca.key "
                  "-CAcreateserial -days 2 -out {0}/client.pem",
                  f));
  return c;
}

MosquittoBroker::MosquittoBroker(const std::string& folder, Options options)
    : folder_(folder), options_(std::move(options)) {
  if (options_.port == 0) options_.port = free_loopback_port();
  if (options_.tls_port == 0) options_.tls_port = free_loopback_port();
  std::ofstream conf(folder_ + "/mosquitto.conf");
  conf << "per_listener_settings true\n";
  // Started as root (CI), mosquitto would switch to its own user, which cannot write the temp
  // folder (persistence) or read the test's keys; "user" is ignored when not root.
  conf << "user " << (geteuid() == 0 ? "root" : "mosquitto") << "\n";
  conf << "persistence true\npersistence_location " << folder_ << "/\n";
  conf << "max_queued_messages 0\nmax_inflight_messages 0\n";
  conf << "listener " << options_.port << " 127.0.0.1\n";
  if (options_.password_file.empty()) {
    conf << "allow_anonymous true\n";
  } else {
    conf << "allow_anonymous false\npassword_file " << options_.password_file << "\n";
  }
  if (options_.tls_port > 0) {
    conf << "listener " << options_.tls_port << " 127.0.0.1\n";
    conf << "cafile " << options_.certs.ca_file << "\ncertfile " << options_.certs.server_cert
         << "\nkeyfile " << options_.certs.server_key << "\n";
    if (options_.require_client_cert) {
      conf << "require_certificate true\nuse_identity_as_username true\n";
    }
    conf << "allow_anonymous true\n";
  }
  conf.close();
  start();
}

MosquittoBroker::~MosquittoBroker() {
  stop();
}

void MosquittoBroker::start() {
  process_ = std::make_unique<e2e::ChildProcess>(
      std::vector<std::string>{"/usr/sbin/mosquitto", "-c", folder_ + "/mosquitto.conf"});
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!accepts(options_.port)) {
    if (std::chrono::steady_clock::now() > until)
      throw std::runtime_error("mosquitto did not start on port " + std::to_string(options_.port));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void MosquittoBroker::stop() {
  if (process_) process_->interrupt_and_wait(5000);  // SIGINT: saves the persistence file
  process_.reset();
}

Subscriber::Subscriber(int port, const std::string& filter, const std::string& client_id)
    : filter_(filter) {
  mosquitto_lib_init();
  mosq_ = mosquitto_new(client_id.c_str(), false, this);
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(mosq_, &Subscriber::on_connect);
  mosquitto_message_callback_set(mosq_, &Subscriber::on_message);
  mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
    auto* s = static_cast<Subscriber*>(self);
    std::lock_guard lock(s->mutex_);
    s->subscribed_ = true;
    s->changed_.notify_all();
  });
  mosquitto_reconnect_delay_set(mosq_, 1, 1, false);
  mosquitto_connect(mosq_, "127.0.0.1", port, 30);
  mosquitto_loop_start(mosq_);
}

Subscriber::~Subscriber() {
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, false);  // the loop ends after the disconnect (no thread cancel)
  mosquitto_destroy(mosq_);
}

void Subscriber::on_connect(mosquitto* mosq, void* self, int rc) {
  auto* s = static_cast<Subscriber*>(self);
  if (rc != 0) return;
  mosquitto_subscribe(mosq, nullptr, s->filter_.c_str(), 1);
  std::lock_guard lock(s->mutex_);
  s->connected_ = true;
  s->changed_.notify_all();
}

void Subscriber::on_message(mosquitto*, void* self, const ::mosquitto_message* m) {
  auto* s = static_cast<Subscriber*>(self);
  std::lock_guard lock(s->mutex_);
  s->messages_.push_back(
      {m->topic,
       std::string(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen)),
       m->retain});
  s->changed_.notify_all();
}

bool Subscriber::wait_connected(std::chrono::milliseconds timeout) {
  // Connected and the SUBACK received: from now on every message for the filter reaches us.
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return connected_ && subscribed_; });
}

bool Subscriber::wait_for(const std::function<bool(const std::vector<ReceivedMessage>&)>& pred,
                          std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return pred(messages_); });
}

std::vector<ReceivedMessage> Subscriber::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

}  // namespace btms::cloud::test
