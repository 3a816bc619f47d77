// Runs a shell command (tmux, openssl, the btms binary) and returns its standard output; for
// tests and benchmarks that drive programs the way a user at a terminal would.
#pragma once

#include <array>
#include <cstdio>
#include <string>

namespace btms::e2e {

inline std::string shell_output(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    std::array<char, 4096> buffer{};
    for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) {
      out.append(buffer.data(), n);
    }
    ::pclose(pipe);
  }
  return out;
}

}  // namespace btms::e2e
