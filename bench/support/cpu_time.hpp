// CPU time (user + system) of this process or of a reaped child, for the benchmarks' "cores"
// figures (CPU seconds per wall second).
#pragma once

#include <sys/resource.h>

namespace btms::bench {

// User + system seconds in `usage`.
double cpu_seconds(const rusage& usage);

// CPU seconds (user + system) this process has used so far.
double process_cpu_seconds();

}  // namespace btms::bench
