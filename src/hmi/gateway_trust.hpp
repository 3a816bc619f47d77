// How the display trusts an https:// gateway (docs/cad.md, "TLS"). Two ways, never none:
// - the certificate chain is verified against the system's CAs (or a CA file given with
//   --ca-file) and the certificate must name the host of the URL; or
// - a pinned SHA-256 fingerprint (--cert-pin) of the gateway's own certificate: the panel accepts
//   exactly that certificate whoever signed it. This is the way for the gateway's self-signed
//   first-start certificate (`openssl x509 -in tls-cert.pem -noout -fingerprint -sha256`).
// A display that would silently accept any certificate could be shown a fake gateway's "all
// clear", so there is no "insecure" switch.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace btms::hmi {

using Sha256 = std::array<std::uint8_t, 32>;

struct GatewayTrust {
  std::string ca_file;             // PEM CA certificates to trust; empty = the system's
  std::optional<Sha256> cert_pin;  // set = accept only this certificate (chain not checked)
};

// "AB:CD:..." (openssl's output) or 64 hex digits, any case -> the 32 bytes; nullopt otherwise.
std::optional<Sha256> parse_cert_pin(std::string_view text);
// The 32 bytes as openssl prints them: "AB:CD:...".
std::string format_cert_pin(const Sha256& digest);
}  // namespace btms::hmi
