// Starts a child process with its stdout on a pipe, reads lines with a deadline, and ends it.
#pragma once

#include <string>
#include <vector>

namespace btms::e2e {

class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();  // SIGTERM, then SIGKILL after 5 s
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Next line of stdout, or "" when the deadline passes or the child closed its stdout.
  std::string read_line(int timeout_ms);
  // Sends SIGINT and waits; returns the exit status (or -1 on timeout, then the child is killed).
  int interrupt_and_wait(int timeout_ms);
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
};

// A fresh folder under /tmp, removed with everything in it when the object goes.
class TempFolder {
 public:
  TempFolder();
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Reads the child's stdout until a line matches `url_pattern` (a regex whose first group is the
// port, e.g. R"(http://127\.0\.0\.1:(\d+)/)"); 0 when none within about 20 s.
int wait_for_port(ChildProcess& child, const std::string& url_pattern);

}  // namespace btms::e2e
