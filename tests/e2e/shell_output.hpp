// Runs a shell command (tmux, openssl, the btms binary) and returns its standard output; for
// tests and benchmarks that drive programs the way a user at a terminal would.
#pragma once

#include <sys/wait.h>
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

struct CommandResult {
  int exit_code = -1;  // -1 when it could not run or did not exit normally
  std::string output;  // stdout and stderr
};

// Runs `command` with its standard error joined to its output (a third-party tool such as
// mbpoll says why it failed there) and returns both with the exit code.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr)
    result.output += buffer.data();
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace btms::e2e
