#include "support/load_process.hpp"

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "support/cpu_time.hpp"

extern char** environ;

namespace btms::bench {

LoadProcessRun run_load_process(const char* binary, const std::vector<std::string>& args,
                                const std::function<void()>& while_loaded) {
  LoadProcessRun run;
  int out[2];
  if (::pipe(out) != 0) return run;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<char*> argv{const_cast<char*>(binary)};
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, binary, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawned != 0) {
    std::fprintf(stderr, "cannot start %s: %s\n", binary, std::strerror(spawned));
    ::close(out[0]);
    return run;
  }
  run.started = true;
  FILE* from_client = ::fdopen(out[0], "r");
  char line[512] = {};
  if (std::fgets(line, sizeof line, from_client) != nullptr &&
      std::strncmp(line, "ready", 5) == 0) {
    run.ready = true;
    while_loaded();
    if (std::fgets(line, sizeof line, from_client) != nullptr) run.report_line = line;
  } else {
    run.first_line = line;
  }
  std::fclose(from_client);
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  run.cpu_seconds = cpu_seconds(usage);
  run.exited_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return run;
}

}  // namespace btms::bench
