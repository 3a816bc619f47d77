#include "security/tls_certificate.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace btms::security {

namespace {

[[noreturn]] void openssl_fail(const char* what) {
  const unsigned long code = ERR_get_error();
  char buffer[256] = "no detail";
  if (code != 0) ERR_error_string_n(code, buffer, sizeof(buffer));
  ERR_clear_error();
  throw std::runtime_error(fmt::format("TLS certificate: {} failed: {}", what, buffer));
}

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

bool is_ip_address(const std::string& text) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

void add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext) openssl_fail("building an extension");
  if (X509_add_ext(cert, ext.get(), -1) != 1) openssl_fail("adding an extension");
}

X509Ptr make_certificate(EVP_PKEY* key, const std::string& common_name) {
  X509Ptr cert(X509_new());
  if (!cert) openssl_fail("X509_new");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) openssl_fail("X509_set_version");

  // 127-bit random positive serial (RFC 5280 allows up to 20 octets; randomness keeps
  // browsers from caching a clash between two gateways' certificates).
  BnPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
    openssl_fail("serial number");
  }
  if (!BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
    openssl_fail("serial number");
  }

  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), TlsCertificate::kValidityDays, 0,
                        nullptr)) {
    openssl_fail("validity");
  }
  if (X509_set_pubkey(cert.get(), key) != 1) openssl_fail("X509_set_pubkey");

  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1) {
    openssl_fail("subject CN");
  }
  if (X509_set_issuer_name(cert.get(), name) != 1) openssl_fail("issuer");

  std::string san = is_ip_address(common_name) ? "IP:" + common_name : "DNS:" + common_name;
  if (common_name != "127.0.0.1") san += ",IP:127.0.0.1";
  add_extension(cert.get(), NID_subject_alt_name, san);
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), NID_subject_key_identifier, "hash");

  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) openssl_fail("X509_sign");
  return cert;
}

// Writes via a temporary file created with the final mode (the key is never world-readable,
// not even briefly) and renames it into place so a crash cannot leave a truncated file.
template <typename WriteFn>
void write_pem_file(const std::string& path, mode_t mode, WriteFn&& write) {
  const std::string tmp_path = path + ".tmp";
  ::unlink(tmp_path.c_str());
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error(fmt::format("TLS certificate: cannot create {}", tmp_path));
  // The umask may have removed bits from `mode`; set exactly what we mean.
  ::fchmod(fd, mode);
  FILE* file = ::fdopen(fd, "w");
  if (!file) {
    ::close(fd);
    ::unlink(tmp_path.c_str());
    throw std::runtime_error(fmt::format("TLS certificate: cannot open {}", tmp_path));
  }
  const bool written = write(file) == 1;
  const bool flushed = std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
  const bool closed = std::fclose(file) == 0;
  if (!written || !flushed || !closed || std::rename(tmp_path.c_str(), path.c_str()) != 0) {
    ::unlink(tmp_path.c_str());
    ERR_clear_error();
    throw std::runtime_error(fmt::format("TLS certificate: cannot write {}", path));
  }
}

}  // namespace

bool TlsCertificate::ensure_self_signed(const std::string& cert_path, const std::string& key_path,
                                        const std::string& common_name) {
  namespace fs = std::filesystem;
  const bool have_cert = fs::exists(cert_path);
  const bool have_key = fs::exists(key_path);
  if (have_cert && have_key) return false;
  if (have_cert != have_key) {
    throw std::runtime_error(
        fmt::format("TLS certificate: {} exists but {} does not; restore or remove it",
                    have_cert ? cert_path : key_path, have_cert ? key_path : cert_path));
  }
  if (common_name.empty()) throw std::invalid_argument("TLS certificate: empty common name");

  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) openssl_fail("EC P-256 key generation");
  X509Ptr cert = make_certificate(key.get(), common_name);

  // Key first: a certificate without its key would make the next start refuse to run.
  write_pem_file(key_path, 0600, [&](FILE* file) {
    return PEM_write_PrivateKey(file, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  try {
    write_pem_file(cert_path, 0644, [&](FILE* file) { return PEM_write_X509(file, cert.get()); });
  } catch (...) {
    ::unlink(key_path.c_str());
    throw;
  }
  return true;
}

}  // namespace btms::security
