#include "security/sodium_init.hpp"

#include <sodium.h>

#include <stdexcept>

namespace btms::security {

void ensure_sodium_initialised() {
  // sodium_init() is itself thread-safe and returns 1 when already initialised.
  if (sodium_init() < 0) throw std::runtime_error("libsodium initialisation failed");
}

}  // namespace btms::security
