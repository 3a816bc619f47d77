// The display's acknowledgement PIN, kept only as an Argon2id hash (libsodium's
// crypto_pwhash_str, the same scheme as the gateway's passwords) in a file of its own
// (`btms hmi --set-pin --pin-file FILE`), so a copy of the panel's disk does not give the PIN.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hmi/pin_throttle.hpp"

namespace btms::hmi {

// The reason a PIN is not acceptable as a new PIN, or nullopt when it is.
std::optional<std::string> pin_format_problem(std::string_view pin);

// Hashes pin and writes the hash to path (mode 0600, replacing it). Throws std::runtime_error.
void write_pin_hash(const std::string& path, std::string_view pin);

class PinVerifier {
 public:
  // Reads the hash written by write_pin_hash; throws std::runtime_error (file and reason).
  explicit PinVerifier(const std::string& path);
  bool matches(std::string_view pin) const;

 private:
  std::string hash_;
};

}  // namespace btms::hmi
