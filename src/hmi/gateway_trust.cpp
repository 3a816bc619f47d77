#include "hmi/gateway_trust.hpp"

#include <fmt/format.h>

namespace btms::hmi {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Sha256> parse_cert_pin(std::string_view text) {
  std::string digits;
  for (const char c : text) {
    if (c == ':') continue;
    if (hex_value(c) < 0) return std::nullopt;
    digits += c;
  }
  if (digits.size() != 64) return std::nullopt;
  // With colons they must sit between every pair, as openssl prints them.
  if (text.find(':') != std::string_view::npos) {
    if (text.size() != 95) return std::nullopt;
    for (std::size_t i = 2; i < text.size(); i += 3) {
      if (text[i] != ':') return std::nullopt;
    }
  }
  Sha256 out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] =
        static_cast<std::uint8_t>(hex_value(digits[2 * i]) * 16 + hex_value(digits[2 * i + 1]));
  }
  return out;
}

std::string format_cert_pin(const Sha256& digest) {
  std::string out;
  for (std::size_t i = 0; i < digest.size(); ++i) {
    if (i > 0) out += ':';
    out += fmt::format("{:02X}", digest[i]);
  }
  return out;
}

}  // namespace btms::hmi
