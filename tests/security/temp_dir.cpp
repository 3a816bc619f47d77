#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <stdexcept>
#include <system_error>

namespace btms::security::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::path(::testing::TempDir()) / "btms_security_XXXXXX");
  // mkdtemp gives a unique name even when ctest runs tests of this binary in parallel.
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace btms::security::test
