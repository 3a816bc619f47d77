// First-start TLS material for the gateway's HTTPS server (IEC 62443-4-2 CR 4.1 / 4.3): a
// self-signed EC P-256 certificate so traffic is encrypted out of the box. Operators replace
// the two files with CA-issued ones; this code never overwrites existing files.
#pragma once

#include <string>

namespace btms::security {

struct TlsCertificate {
  static constexpr int kValidityDays = 3650;

  // Creates cert_path (PEM X.509, mode 0644) and key_path (PEM PKCS#8, mode 0600) when neither
  // exists and returns true; returns false when both already exist. Throws
  // std::runtime_error when only one of them exists (a mismatched pair would break TLS
  // silently) or when generation or writing fails. The certificate's subject CN is
  // `common_name`; its subjectAltName holds the CN (as DNS name, or IP when it parses as an
  // IPv4/IPv6 address) and IP 127.0.0.1.
  static bool ensure_self_signed(const std::string& cert_path, const std::string& key_path,
                                 const std::string& common_name);
};

}  // namespace btms::security
