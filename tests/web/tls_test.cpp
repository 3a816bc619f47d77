// HTTPS and WSS: a real TLS client (Boost.Beast over OpenSSL) talks to the server; plain HTTP
// sent to the TLS port is answered in plain text and does not hurt the server; the generated
// self-signed certificate is created once and reused; bad certificate or key files are
// refused with a reason naming the file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "security/tls_certificate.hpp"
#include "test_client.hpp"
#include "test_plant.hpp"
#include "web/web_server.hpp"

namespace btms::web {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("btms-tls-test-" + std::to_string(std::random_device{}()) +
                                         "-" + std::to_string(::getpid()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// TLS client context that trusts exactly the server's certificate file and refuses < TLS 1.2.
ssl::context client_context(const std::string& cert_file,
                            ssl::context::method method = ssl::context::tls_client) {
  ssl::context ctx(method);
  ctx.load_verify_file(cert_file);
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

struct HttpsReply {
  unsigned status = 0;
  std::string body;
  std::string set_cookie;
  std::string hsts;
};

HttpsReply https_request(int port, ssl::context& ctx, const std::string& method,
                         const std::string& target, const std::string& body = "") {
  net::io_context ioc;
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  // The generated certificate names 127.0.0.1 in its subjectAltName: check it like a browser.
  stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  beast::get_lowest_layer(stream).expires_after(5s);
  beast::get_lowest_layer(stream).connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  stream.handshake(ssl::stream_base::client);
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  HttpsReply reply;
  reply.status = res.result_int();
  reply.body = res.body();
  reply.set_cookie = std::string(res[http::field::set_cookie]);
  reply.hsts = std::string(res[http::field::strict_transport_security]);
  beast::error_code ec;
  stream.shutdown(ec);  // the server's close_notify, or a truncation: both fine here
  return reply;
}

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plant.set(plant.plant_id("battery/1/1/voltage"), 13.52);
    plant.publish();
  }
  void TearDown() override {
    if (server) server->stop();
  }
  WebOptions tls_options() const {
    WebOptions options;
    options.port = 0;
    options.allow_anonymous_read = true;
    options.data_dir = dir.path().string();
    options.auth.password_cost = security::PasswordHashCost::minimum();
    options.tls.enabled = true;
    return options;
  }
  void start(WebOptions options) {
    server = std::make_unique<WebServer>(options, plant.plant, plant.derived, plant.site);
    server->start();
    ASSERT_GT(server->port(), 0);
  }

  TempDir dir;
  test::TestPlant plant;
  std::unique_ptr<WebServer> server;
};

TEST_F(TlsServerTest, HealthOverHttpsWithGeneratedCertificate) {
  start(tls_options());
  const auto cert = tls_cert_path(dir.path().string());
  ASSERT_TRUE(fs::exists(cert));
  auto ctx = client_context(cert);
  const auto reply = https_request(server->port(), ctx, "GET", "/api/v1/health");
  EXPECT_EQ(reply.status, 200u) << reply.body;
  EXPECT_EQ(json::parse(reply.body)["status"], "ok");
  EXPECT_EQ(reply.hsts, "max-age=31536000");
}

TEST_F(TlsServerTest, ClientLimitedToTls11IsRefused) {
  start(tls_options());
  auto ctx = client_context(tls_cert_path(dir.path().string()));
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_1_VERSION);
  EXPECT_THROW(https_request(server->port(), ctx, "GET", "/api/v1/health"),
               boost::system::system_error);
  // The server keeps serving TLS 1.2+ clients.
  auto good = client_context(tls_cert_path(dir.path().string()));
  EXPECT_EQ(https_request(server->port(), good, "GET", "/api/v1/health").status, 200u);
}

// Issue 17 item 12: TLS 1.2 CBC suites were offered. A TLS 1.2 client offering only CBC suites
// is refused; one offering an AEAD suite of Mozilla's intermediate list is served.
TEST_F(TlsServerTest, Tls12OffersAeadSuitesOnly) {
  start(tls_options());
  // Each list names the suite for an ECDSA and an RSA certificate.
  for (const char* cbc : {"ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA",
                          "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384", "AES128-SHA256"}) {
    auto ctx = client_context(tls_cert_path(dir.path().string()));
    SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    ASSERT_EQ(SSL_CTX_set_cipher_list(ctx.native_handle(), cbc), 1) << cbc;
    EXPECT_THROW(https_request(server->port(), ctx, "GET", "/api/v1/health"),
                 boost::system::system_error)
        << cbc;
  }
  for (const char* aead : {"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
                           "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"}) {
    auto ctx = client_context(tls_cert_path(dir.path().string()));
    SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    ASSERT_EQ(SSL_CTX_set_cipher_list(ctx.native_handle(), aead), 1) << aead;
    EXPECT_EQ(https_request(server->port(), ctx, "GET", "/api/v1/health").status, 200u) << aead;
  }
}

TEST_F(TlsServerTest, PlainHttpToTheTlsPortIsRefusedCleanly) {
  start(tls_options());
  const auto raw = test::exchange_raw(
      server->port(), "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto reply = test::parse_reply(raw);
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("HTTPS"), std::string::npos) << raw;
  // Noise and a connection closed at once do not hurt either.
  (void)test::exchange_raw(server->port(), std::string("\x16\x03\x01\x00\x05hello", 10), 200ms);
  (void)test::exchange_raw(server->port(), "", 100ms);
  auto ctx = client_context(tls_cert_path(dir.path().string()));
  EXPECT_EQ(https_request(server->port(), ctx, "GET", "/api/v1/health").status, 200u);
}

TEST_F(TlsServerTest, WssStreamSendsValues) {
  start(tls_options());
  auto ctx = client_context(tls_cert_path(dir.path().string()));
  net::io_context ioc;
  beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, ctx);
  beast::get_lowest_layer(ws).expires_after(5s);
  beast::get_lowest_layer(ws).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"),
                                                    static_cast<unsigned short>(server->port())));
  ws.next_layer().handshake(ssl::stream_base::client);
  ws.handshake("127.0.0.1", "/api/v1/stream");
  ws.write(net::buffer(std::string(R"({"subscribe": ["battery/1/1/"]})")));
  beast::flat_buffer buffer;
  ws.read(buffer);
  const auto message = json::parse(beast::buffers_to_string(buffer.data()));
  EXPECT_EQ(message["type"], "values");
  EXPECT_DOUBLE_EQ(message["channels"]["battery/1/1/voltage"]["value"].get<double>(), 13.52)
      << message.dump();
  // Stopping the server with the WSS connection still open closes it promptly.
  const auto before = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
  beast::error_code ec;
  ws.read(buffer, ec);
  EXPECT_TRUE(ec) << "the connection should be closed";
}

TEST_F(TlsServerTest, GeneratedCertificateIsCreatedOnceAndReused) {
  start(tls_options());
  const auto cert = tls_cert_path(dir.path().string());
  const auto key = tls_key_path(dir.path().string());
  const auto first_cert = read_file(cert);
  const auto first_key = read_file(key);
  ASSERT_NE(first_cert.find("BEGIN CERTIFICATE"), std::string::npos);
  struct stat key_stat {};
  ASSERT_EQ(::stat(key.c_str(), &key_stat), 0);
  EXPECT_EQ(key_stat.st_mode & 0777, 0600u);
  server->stop();
  server.reset();

  start(tls_options());
  EXPECT_EQ(read_file(cert), first_cert);
  EXPECT_EQ(read_file(key), first_key);
  auto ctx = client_context(cert);
  EXPECT_EQ(https_request(server->port(), ctx, "GET", "/api/v1/health").status, 200u);
}

TEST_F(TlsServerTest, GivenCertificateFilesAreUsed) {
  const auto cert = (dir.path() / "given.pem").string();
  const auto key = (dir.path() / "given.key").string();
  ASSERT_TRUE(security::TlsCertificate::ensure_self_signed(cert, key, "127.0.0.1"));
  auto options = tls_options();
  options.tls.cert_file = cert;
  options.tls.key_file = key;
  start(options);
  EXPECT_FALSE(fs::exists(tls_cert_path(dir.path().string())));
  auto ctx = client_context(cert);
  EXPECT_EQ(https_request(server->port(), ctx, "GET", "/api/v1/health").status, 200u);
}

TEST_F(TlsServerTest, SessionCookieIsSecureOverTls) {
  start(tls_options());
  auto ctx = client_context(tls_cert_path(dir.path().string()));
  const auto setup = https_request(server->port(), ctx, "POST", "/api/v1/setup",
                                   R"({"user":"admin","password":"correct horse battery"})");
  ASSERT_TRUE(setup.status == 200u || setup.status == 201u) << setup.status << setup.body;
  const auto login = https_request(server->port(), ctx, "POST", "/api/v1/login",
                                   R"({"user":"admin","password":"correct horse battery"})");
  ASSERT_EQ(login.status, 200u) << login.body;
  EXPECT_NE(login.set_cookie.find("Secure"), std::string::npos) << login.set_cookie;
  EXPECT_NE(login.set_cookie.find("HttpOnly"), std::string::npos) << login.set_cookie;
}

struct BadFilesCase {
  std::string name;
  std::string cert_text;  // "" = file missing
  std::string key_text;   // "" = file missing
  std::string expected;   // part of the error message
};

class TlsBadFilesTest : public TlsServerTest, public ::testing::WithParamInterface<BadFilesCase> {};

TEST_P(TlsBadFilesTest, StartRefusesWithAClearReason) {
  const auto& c = GetParam();
  // A valid pair to take pieces from.
  const auto good_cert = (dir.path() / "good.pem").string();
  const auto good_key = (dir.path() / "good.key").string();
  const auto other_cert = (dir.path() / "other.pem").string();
  const auto other_key = (dir.path() / "other.key").string();
  ASSERT_TRUE(security::TlsCertificate::ensure_self_signed(good_cert, good_key, "127.0.0.1"));
  ASSERT_TRUE(security::TlsCertificate::ensure_self_signed(other_cert, other_key, "127.0.0.1"));
  auto resolve = [&](const std::string& text) -> std::string {
    if (text == "GOOD_CERT") return read_file(good_cert);
    if (text == "GOOD_KEY") return read_file(good_key);
    if (text == "OTHER_KEY") return read_file(other_key);
    return text;
  };
  const auto cert = (dir.path() / "case.pem").string();
  const auto key = (dir.path() / "case.key").string();
  if (!c.cert_text.empty()) std::ofstream(cert) << resolve(c.cert_text);
  if (!c.key_text.empty()) std::ofstream(key) << resolve(c.key_text);
  auto options = tls_options();
  options.tls.cert_file = cert;
  options.tls.key_file = key;
  WebServer s(options, plant.plant, plant.derived, plant.site);
  try {
    s.start();
    FAIL() << "start() accepted " << c.name;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << e.what();
  }
  EXPECT_EQ(s.port(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TlsBadFilesTest,
    ::testing::Values(BadFilesCase{"missing_cert", "", "GOOD_KEY", "case.pem' cannot be read"},
                      BadFilesCase{"missing_key", "GOOD_CERT", "", "case.key' cannot be read"},
                      BadFilesCase{"garbage_cert", "not a certificate\n", "GOOD_KEY",
                                   "case.pem' is not a valid PEM certificate"},
                      BadFilesCase{"garbage_key", "GOOD_CERT",
                                   "-----BEGIN PRIVATE KEY-----\nAAAA\n",
                                   "case.key' is not a valid PEM private key"},
                      BadFilesCase{"mismatched_key", "GOOD_CERT", "OTHER_KEY", "does not match"}),
    [](const auto& info) { return info.param.name; });

TEST(TlsOptionsTest, OnlyOneFileOrNoDataDirIsRefused) {
  test::TestPlant plant;
  WebOptions options;
  options.port = 0;
  options.tls.enabled = true;
  options.tls.cert_file = "/nonexistent/cert.pem";
  {
    WebServer s(options, plant.plant, plant.derived, plant.site);
    EXPECT_THROW(s.start(), std::runtime_error);
  }
  options.tls.cert_file.clear();
  WebServer s(options, plant.plant, plant.derived, plant.site);
  try {
    s.start();
    FAIL() << "TLS without files and without data_dir was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("data directory"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace btms::web
