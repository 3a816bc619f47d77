#include "web/tls_setup.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "security/tls_certificate.hpp"

namespace btms::web {

namespace {

// The newest OpenSSL error of this thread as text; clears the queue so it cannot leak into an
// unrelated later report.
std::string openssl_reason() {
  unsigned long code = 0;
  unsigned long last = 0;
  while ((code = ERR_get_error()) != 0) last = code;
  if (last == 0) return "no detail from OpenSSL";
  char buffer[256];
  ERR_error_string_n(last, buffer, sizeof(buffer));
  return buffer;
}

// Checks the file is there and readable first: OpenSSL's "no such file" is less clear.
void require_readable(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error(
        fmt::format("web: TLS {} file '{}' cannot be read (missing or no permission)", what, path));
  }
}

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof(buffer) - 1) != 0 || buffer[0] == '\0') return "localhost";
  return buffer;
}

}  // namespace

std::string tls_cert_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "tls-cert.pem").string();
}

std::string tls_key_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "tls-key.pem").string();
}

TlsFiles resolve_tls_files(const TlsOptions& options, const std::string& data_dir,
                           const std::string& bind_address) {
  if (options.cert_file.empty() != options.key_file.empty()) {
    throw std::runtime_error(
        "web: TLS needs both a certificate file and a key file (or neither, for a generated "
        "self-signed pair)");
  }
  if (!options.cert_file.empty()) return TlsFiles{options.cert_file, options.key_file, false};
  if (data_dir.empty()) {
    throw std::runtime_error(
        "web: TLS without a certificate file needs a data directory to keep the generated "
        "self-signed certificate in");
  }
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("web: cannot create data directory '{}': {}", data_dir, ec.message()));
  }
  std::string common_name = options.common_name;
  if (common_name.empty()) {
    const bool wildcard = bind_address == "0.0.0.0" || bind_address == "::";
    common_name = wildcard ? host_name() : bind_address;
  }
  TlsFiles files{tls_cert_path(data_dir), tls_key_path(data_dir), false};
  files.generated =
      security::TlsCertificate::ensure_self_signed(files.cert_file, files.key_file, common_name);
  return files;
}

void SslCtxDeleter::operator()(ssl_ctx_st* ctx) const {
  SSL_CTX_free(ctx);
}

SslCtxPtr make_server_tls_context(const TlsFiles& files) {
  require_readable(files.cert_file, "certificate");
  require_readable(files.key_file, "key");
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) throw std::runtime_error("web: cannot create a TLS context: " + openssl_reason());
  // TLS 1.0/1.1 are broken by design (RFC 8996); 1.2 stays for older SCADA/BMS clients.
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    throw std::runtime_error("web: cannot set the TLS minimum version: " + openssl_reason());
  }
  SSL_CTX_set_options(
      ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // TLS 1.2 suites of Mozilla's "intermediate" profile: forward secrecy and AEAD only (no CBC
  // with its padding-oracle history). The DHE ones are left out: no DH parameters are
  // configured, and every client of the last decade has ECDHE. TLS 1.3 suites are all AEAD.
  if (SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers) != 1) {
    throw std::runtime_error("web: cannot set the TLS 1.2 cipher suites: " + openssl_reason());
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert_file.c_str()) != 1) {
    throw std::runtime_error(
        fmt::format("web: TLS certificate file '{}' is not a valid PEM "
                    "certificate: {}",
                    files.cert_file, openssl_reason()));
  }
  // Read apart from the context so a broken key and a key of another certificate are told
  // apart in the message.
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new_file(files.key_file.c_str(), "r"),
                                                    &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr) : nullptr,
      &EVP_PKEY_free);
  if (!key) {
    throw std::runtime_error(
        fmt::format("web: TLS key file '{}' is not a valid PEM private key: {}", files.key_file,
                    openssl_reason()));
  }
  if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1) {
    throw std::runtime_error(
        fmt::format("web: TLS key file '{}' does not match the certificate in '{}': {}",
                    files.key_file, files.cert_file, openssl_reason()));
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    throw std::runtime_error(
        fmt::format("web: TLS key file '{}' does not match the certificate in '{}': {}",
                    files.key_file, files.cert_file, openssl_reason()));
  }
  return ctx;
}

}  // namespace btms::web
