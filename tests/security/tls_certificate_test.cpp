#include "security/tls_certificate.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "temp_dir.hpp"

namespace btms::security {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<X509, X509Free> read_cert(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "r"));
  if (!file) return nullptr;
  return std::unique_ptr<X509, X509Free>(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
}

std::unique_ptr<EVP_PKEY, PkeyFree> read_key(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "r"));
  if (!file) return nullptr;
  return std::unique_ptr<EVP_PKEY, PkeyFree>(
      PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr));
}

std::string common_name(X509* cert) {
  char buffer[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer, sizeof(buffer));
  return buffer;
}

std::string file_contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

mode_t permission_bits(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(TlsCertificate, CreatedOnceWithCnSanValidityAndPrivateKey) {
  test::TempDir dir;
  const std::string cert_path = dir.file("gateway.crt");
  const std::string key_path = dir.file("gateway.key");

  ASSERT_TRUE(TlsCertificate::ensure_self_signed(cert_path, key_path, "btms-gw1.local"));
  EXPECT_EQ(permission_bits(key_path), 0600u);

  auto cert = read_cert(cert_path);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(common_name(cert.get()), "btms-gw1.local");
  // Self-signed: issuer equals subject and the signature verifies with its own key.
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);
  auto key = read_key(key_path);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(X509_verify(cert.get(), key.get()), 1);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_EC);

  // SAN covers the host name and the loopback address.
  EXPECT_EQ(X509_check_host(cert.get(), "btms-gw1.local", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_NE(X509_check_host(cert.get(), "other.local", 0, 0, nullptr), 1);

  // Valid now, and still valid in 9 years, expired in 11.
  const std::time_t now = std::time(nullptr);
  std::time_t t = now;
  EXPECT_EQ(X509_cmp_time(X509_get0_notBefore(cert.get()), &t), -1);
  t = now + 9LL * 365 * 24 * 3600;
  EXPECT_EQ(X509_cmp_time(X509_get0_notAfter(cert.get()), &t), 1);
  t = now + 11LL * 365 * 24 * 3600;
  EXPECT_EQ(X509_cmp_time(X509_get0_notAfter(cert.get()), &t), -1);

  // Second start: nothing is regenerated or rewritten.
  const std::string cert_before = file_contents(cert_path);
  const std::string key_before = file_contents(key_path);
  EXPECT_FALSE(TlsCertificate::ensure_self_signed(cert_path, key_path, "btms-gw1.local"));
  EXPECT_EQ(file_contents(cert_path), cert_before);
  EXPECT_EQ(file_contents(key_path), key_before);
  EXPECT_FALSE(std::filesystem::exists(cert_path + ".tmp"));
  EXPECT_FALSE(std::filesystem::exists(key_path + ".tmp"));
}

TEST(TlsCertificate, IpCommonNameGoesIntoSanAsIp) {
  test::TempDir dir;
  ASSERT_TRUE(
      TlsCertificate::ensure_self_signed(dir.file("c.pem"), dir.file("k.pem"), "192.168.10.5"));
  auto cert = read_cert(dir.file("c.pem"));
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(common_name(cert.get()), "192.168.10.5");
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "192.168.10.5", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
}

TEST(TlsCertificate, HalfPresentPairIsAnErrorAndLeftAlone) {
  test::TempDir dir;
  const std::string cert_path = dir.file("gateway.crt");
  const std::string key_path = dir.file("gateway.key");
  { std::ofstream(cert_path) << "operator-provided"; }
  EXPECT_THROW(TlsCertificate::ensure_self_signed(cert_path, key_path, "gw"), std::runtime_error);
  EXPECT_EQ(file_contents(cert_path), "operator-provided");
  EXPECT_FALSE(std::filesystem::exists(key_path));
}

TEST(TlsCertificate, UnwritableDirectoryThrows) {
  test::TempDir dir;
  EXPECT_THROW(TlsCertificate::ensure_self_signed(dir.file("missing/c.pem"),
                                                  dir.file("missing/k.pem"), "gw"),
               std::runtime_error);
}

}  // namespace
}  // namespace btms::security
