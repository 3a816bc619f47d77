// The display's client against a real `btms demo --tls` (the gateway's self-signed first-start
// certificate): it connects over HTTPS/WSS when the certificate's pin or the certificate as CA
// file is given, and refuses the gateway (saying why) with a wrong pin or no trust at all.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "hmi/gateway_client.hpp"
#include "hmi/gateway_tls.hpp"
#include "process.hpp"

namespace btms::hmi {
namespace {

using e2e::ChildProcess;
using e2e::TempFolder;
using namespace std::chrono_literals;

Sha256 pem_file_sha256(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) throw std::runtime_error("cannot open " + path);
  X509* certificate = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (certificate == nullptr) throw std::runtime_error("no certificate in " + path);
  const auto digest = certificate_sha256(certificate);
  X509_free(certificate);
  return digest;
}

// One TLS demo for every test of this file (starting one takes a few seconds).
class HmiOverTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    folder_ = new TempFolder();
    demo_ = new ChildProcess({BTMS_BINARY, "demo", "--tls", "--port", "0", "--scada-port", "0",
                              "--data-dir", folder_->path() + "/data"});
    port_ = e2e::wait_for_port(*demo_, R"(https://127\.0\.0\.1:(\d+)/)");
  }
  static void TearDownTestSuite() {
    delete demo_;
    delete folder_;
  }
  void SetUp() override { ASSERT_GT(port_, 0) << "the TLS demo did not start"; }

  static std::string cert_file() { return folder_->path() + "/data/tls-cert.pem"; }

  // Runs a client with this trust until pred(view) holds or 20 s passed; returns the last view.
  SiteView run_client(const GatewayTrust& trust, const std::function<bool(const SiteView&)>& pred,
                      const std::string& host = "127.0.0.1") {
    std::string error;
    auto address = parse_gateway_url("https://" + host + ":" + std::to_string(port_), &error);
    EXPECT_TRUE(address) << error;
    std::mutex mutex;
    std::condition_variable changed;
    GatewayClient client(*address, "", trust, model::system_clock(), [&] {
      std::lock_guard lock(mutex);
      changed.notify_all();
    });
    client.start();
    SiteView view;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      view = client.view();
      if (pred(view)) break;
      std::unique_lock lock(mutex);
      changed.wait_for(lock, 200ms);
    }
    client.stop();
    return view;
  }

  static bool streaming(const SiteView& v) {
    // Connected, and values have arrived: the stream (WSS) works, not only the first reads.
    return v.link.state == LinkState::connected && !v.strings().empty() &&
           !v.strings().front().batteries.empty() &&
           v.strings().front().batteries.front().voltage.known();
  }
  static bool refused(const SiteView& v) {
    return v.link.state != LinkState::connected && v.link.detail != v.gateway_name &&
           !v.link.detail.empty();
  }

  static inline TempFolder* folder_ = nullptr;
  static inline ChildProcess* demo_ = nullptr;
  static inline int port_ = 0;
};

TEST_F(HmiOverTls, PinnedCertificateConnectsAndStreams) {
  GatewayTrust trust;
  trust.cert_pin = pem_file_sha256(cert_file());
  const auto view = run_client(trust, streaming);
  EXPECT_TRUE(streaming(view)) << view.link.detail;
  EXPECT_FALSE(view.upses().empty());
}

TEST_F(HmiOverTls, CertificateAsCaFileConnectsByAddress) {
  // The self-signed certificate is its own CA and names IP 127.0.0.1.
  GatewayTrust trust;
  trust.ca_file = cert_file();
  const auto view = run_client(trust, streaming);
  EXPECT_TRUE(streaming(view)) << view.link.detail;
}

TEST_F(HmiOverTls, CaFileDoesNotCoverAnotherHostName) {
  // Same trusted certificate, but reached as "localhost", a name it does not carry.
  GatewayTrust trust;
  trust.ca_file = cert_file();
  const auto view = run_client(trust, refused, "localhost");
  ASSERT_TRUE(refused(view)) << view.link.detail;
  EXPECT_NE(view.link.detail.find("hostname mismatch"), std::string::npos) << view.link.detail;
  EXPECT_TRUE(view.upses().empty());
}

TEST_F(HmiOverTls, WrongPinIsRefusedNamingTheCertificate) {
  GatewayTrust trust;
  auto pin = pem_file_sha256(cert_file());
  pin[0] ^= 0x01;
  trust.cert_pin = pin;
  const auto view = run_client(trust, refused);
  ASSERT_TRUE(refused(view)) << view.link.detail;
  EXPECT_EQ(view.link.detail, "certificate is not the pinned one (gateway's: " +
                                  format_cert_pin(pem_file_sha256(cert_file())).substr(0, 23) +
                                  "...)");
  EXPECT_TRUE(view.upses().empty()) << "nothing may be read from a refused gateway";
}

TEST_F(HmiOverTls, SelfSignedWithoutTrustIsRefused) {
  const auto view = run_client(GatewayTrust{}, refused);
  ASSERT_TRUE(refused(view)) << view.link.detail;
  EXPECT_NE(view.link.detail.find("self-signed"), std::string::npos) << view.link.detail;
  EXPECT_TRUE(view.upses().empty());
}

TEST(GatewayTlsContextTest, UnreadableCaFileIsRefusedAtOnce) {
  GatewayTrust trust;
  trust.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(GatewayTlsContext(trust, "127.0.0.1"), std::runtime_error);
}

}  // namespace
}  // namespace btms::hmi
