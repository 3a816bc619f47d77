#include "stream_load.hpp"

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

extern char** environ;

namespace btms::bench {

namespace {
double cpu_seconds(const rusage& usage) {
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}
}  // namespace

double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return cpu_seconds(usage);
}

StreamLoadFigures run_stream_load(const char* client_binary, int port, int clients, int duration_ms,
                                  const std::string& prefix,
                                  const std::function<void()>& while_loaded) {
  StreamLoadFigures figures;
  int out[2];
  if (::pipe(out) != 0) return figures;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  const std::string port_text = std::to_string(port);
  const std::string clients_text = std::to_string(clients);
  const std::string duration_text = std::to_string(duration_ms);
  std::vector<char*> argv{
      const_cast<char*>(client_binary),        const_cast<char*>(port_text.c_str()),
      const_cast<char*>(clients_text.c_str()), const_cast<char*>(duration_text.c_str()),
      const_cast<char*>(prefix.c_str()),       nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, client_binary, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawned != 0) {
    std::fprintf(stderr, "cannot start %s: %s\n", client_binary, std::strerror(spawned));
    ::close(out[0]);
    return figures;
  }
  FILE* from_client = ::fdopen(out[0], "r");
  char line[512] = {};
  if (std::fgets(line, sizeof line, from_client) != nullptr &&
      std::strncmp(line, "ready", 5) == 0) {
    while_loaded();
    if (std::fgets(line, sizeof line, from_client) != nullptr) {
      figures.ran =
          std::sscanf(line,
                      "messages=%llu bytes=%llu seconds=%lf p50_ms=%lf p95_ms=%lf p99_ms=%lf "
                      "max_ms=%lf failed_clients=%d",
                      &figures.messages, &figures.bytes, &figures.seconds, &figures.p50_ms,
                      &figures.p95_ms, &figures.p99_ms, &figures.max_ms,
                      &figures.failed_clients) == 8;
      if (!figures.ran) std::fprintf(stderr, "client process said: %s", line);
    }
  } else if (line[0] != 0) {
    std::fprintf(stderr, "client process said: %s", line);
  }
  std::fclose(from_client);
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  if (figures.seconds > 0) figures.cpu = cpu_seconds(usage) / figures.seconds;
  figures.ran =
      figures.ran && WIFEXITED(status) && WEXITSTATUS(status) == 0 && figures.failed_clients == 0;
  return figures;
}

}  // namespace btms::bench
