// A fresh directory per test, removed on destruction: the security tests' own (mkdtemp, so
// tests of one binary running in parallel never share one).
#pragma once

#include "../security/temp_dir.hpp"

namespace btms::ops::test {
using security::test::TempDir;
}  // namespace btms::ops::test
