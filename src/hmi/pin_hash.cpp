#include "hmi/pin_hash.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace btms::hmi {

namespace {

void init_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot initialise");
}

}  // namespace

std::optional<std::string> pin_format_problem(std::string_view pin) {
  if (pin.size() < kMinPinDigits || pin.size() > kMaxPinDigits) {
    return fmt::format("a PIN has {} to {} digits", kMinPinDigits, kMaxPinDigits);
  }
  if (!std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return "a PIN has digits only";
  }
  return std::nullopt;
}

void write_pin_hash(const std::string& path, std::string_view pin) {
  init_sodium();
  // Interactive cost (as the gateway's logins): about 0.1 s on a panel computer per try, which
  // the throttle multiplies.
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, pin.data(), pin.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("cannot hash the PIN (out of memory)");
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error(
        fmt::format("cannot write the PIN file '{}': {}", path, std::strerror(errno)));
  }
  ::fchmod(fd, 0600);  // also when the file existed with a wider mode
  const std::string line = std::string(hash) + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) throw std::runtime_error(fmt::format("cannot write the PIN file '{}'", path));
}

PinVerifier::PinVerifier(const std::string& path) {
  init_sodium();
  std::ifstream in(path);
  if (!in || !std::getline(in, hash_)) {
    throw std::runtime_error(fmt::format("cannot read the PIN file '{}'", path));
  }
  if (hash_.rfind("$argon2id$", 0) != 0) {
    throw std::runtime_error(fmt::format(
        "the PIN file '{}' holds no PIN hash (write it with btms hmi --set-pin)", path));
  }
}

bool PinVerifier::matches(std::string_view pin) const {
  return crypto_pwhash_str_verify(hash_.c_str(), pin.data(), pin.size()) == 0;
}

}  // namespace btms::hmi
