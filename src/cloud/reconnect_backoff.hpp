// How long to wait before the next connection attempt: exponential from min to max, and a
// random part (half to all of the step) so gateways that lost the same broker do not all come
// back in the same instant. Pure: the random number is handed in.
#pragma once

#include <cstdint>

namespace btms::cloud {

// attempt = failed attempts so far (0 for the first retry); jitter_unit in [0, 1).
// Returns a delay in [step/2, step] ms with step = min(max_ms, min_ms * 2^attempt).
std::int64_t reconnect_delay_ms(int attempt, int min_ms, int max_ms, double jitter_unit);

}  // namespace btms::cloud
