// libsodium must be initialised once before its RNG or hashing is used; every security class
// calls this from its constructor so callers never have to remember.
#pragma once

namespace btms::security {

// Idempotent and thread-safe; throws std::runtime_error when libsodium cannot initialise.
void ensure_sodium_initialised();

}  // namespace btms::security
