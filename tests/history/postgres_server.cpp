#include "postgres_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace btms::testing {
namespace {

namespace fs = std::filesystem;

struct RunAs {
  bool drop = false;  // we are root: run as `nobody`
  uid_t uid = 0;
  gid_t gid = 0;
};

RunAs server_user() {
  RunAs who;
  if (::geteuid() != 0) return who;
  const passwd* entry = ::getpwnam("nobody");
  if (entry == nullptr)
    throw std::runtime_error(
        "PostgreSQL test server: running as root and there is no user 'nobody' to run "
        "initdb/postgres as (they refuse root)");
  who.drop = true;
  who.uid = entry->pw_uid;
  who.gid = entry->pw_gid;
  return who;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs argv (as `who`), output to log_path; throws with the log when it fails.
void run(const RunAs& who, const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error("PostgreSQL test server: fork failed");
  if (child == 0) {
    // Only async-signal-safe calls between fork and exec.
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    if (who.drop) {
      if (log >= 0) (void)::fchown(log, who.uid, who.gid);
      if (::setgroups(0, nullptr) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0)
        ::_exit(126);
    }
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string command;
    for (const auto& arg : argv) command += arg + " ";
    throw std::runtime_error("PostgreSQL test server: '" + command + "' failed (status " +
                             std::to_string(status) + "):\n" + read_file(log_path));
  }
}

}  // namespace

std::string find_postgres_bin() {
  if (const char* bin = std::getenv("BTMS_PG_BIN"); bin != nullptr && *bin != '\0') return bin;
  std::vector<fs::path> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error))
    if (fs::exists(entry.path() / "bin" / "initdb") && fs::exists(entry.path() / "bin" / "pg_ctl"))
      found.push_back(entry.path() / "bin");
  if (found.empty()) return "";
  // Newest major version (numeric compare: 9.6 < 15).
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return std::atof(a.parent_path().filename().c_str()) <
           std::atof(b.parent_path().filename().c_str());
  });
  return found.back().string();
}

PostgresServer::PostgresServer() : bin_(find_postgres_bin()) {
  if (bin_.empty() || !fs::exists(bin_ + "/initdb") || !fs::exists(bin_ + "/pg_ctl"))
    throw std::runtime_error(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in '" + bin_ +
        "' nor under /usr/lib/postgresql/*/bin (install the Debian package 'postgresql', or "
        "set BTMS_PG_BIN)");
  const RunAs who = server_user();

  std::string pattern = (fs::temp_directory_path() / "btms_pg_XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("PostgreSQL test server: mkdtemp failed");
  folder_ = pattern;
  try {
    if (who.drop && ::chown(folder_.c_str(), who.uid, who.gid) != 0)
      throw std::runtime_error("PostgreSQL test server: chown " + folder_ + " failed");
    start_watchdog();
    const std::string data = folder_ + "/data";
    run(who,
        {bin_ + "/initdb", "-D", data, "-U", "btms", "--auth=trust", "--encoding=UTF8", "--no-sync",
         "--no-instructions"},
        folder_ + "/initdb.log");
    // Unix socket in our own folder only; durability settings off (a test server).
    const std::string options = "-p " + std::to_string(port_) + " -k " + folder_ +
                                " -c listen_addresses='' -c fsync=off"
                                " -c synchronous_commit=off -c full_page_writes=off";
    run(who,
        {bin_ + "/pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", folder_ + "/server.log",
         "-o", options},
        folder_ + "/pg_ctl.log");
  } catch (const std::exception& error) {
    const std::string log = read_file(folder_ + "/server.log");
    stop();
    throw std::runtime_error(std::string(error.what()) + "\n" + log);
  }
}

PostgresServer::~PostgresServer() {
  stop();
}

void PostgresServer::start_watchdog() {
  const RunAs who = server_user();
  // Everything the watchdog needs is prepared before fork: after it, only async-signal-safe
  // calls (read, fork, exec, waitpid, _exit).
  const std::vector<std::string> stop_argv = {
      bin_ + "/pg_ctl", "stop", "-w", "-t", "30", "-m", "immediate", "-D", folder_ + "/data"};
  const std::vector<std::string> remove_argv = {"/bin/rm", "-rf", folder_};
  std::vector<char*> stop_args, remove_args;
  for (const auto& arg : stop_argv) stop_args.push_back(const_cast<char*>(arg.c_str()));
  stop_args.push_back(nullptr);
  for (const auto& arg : remove_argv) remove_args.push_back(const_cast<char*>(arg.c_str()));
  remove_args.push_back(nullptr);
  const std::string log_path = folder_ + "/pg_ctl.log";

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("PostgreSQL test server: pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("PostgreSQL test server: fork failed");
  if (pid == 0) {
    ::close(fds[1]);
    ::signal(SIGINT, SIG_IGN);  // outlive a Ctrl-C of the test run long enough to clean up
    ::signal(SIGTERM, SIG_IGN);
    char byte = 0;
    while (::read(fds[0], &byte, 1) != 0) {
    }
    const pid_t stopper = ::fork();
    if (stopper == 0) {
      const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      if (who.drop &&
          (::setgroups(0, nullptr) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0))
        ::_exit(126);
      ::execv(stop_args[0], stop_args.data());
      ::_exit(127);
    }
    int status = 0;
    if (stopper > 0) ::waitpid(stopper, &status, 0);
    ::execv(remove_args[0], remove_args.data());
    ::_exit(127);
  }
  ::close(fds[0]);
  watchdog_pipe_ = fds[1];
  watchdog_pid_ = pid;
}

void PostgresServer::stop() {
  if (watchdog_pid_ > 0) {
    ::close(watchdog_pipe_);  // the watchdog stops the server and removes the folder
    int status = 0;
    ::waitpid(watchdog_pid_, &status, 0);
    watchdog_pid_ = -1;
  }
  if (!folder_.empty()) {
    std::error_code error;
    fs::remove_all(folder_, error);  // when the watchdog never started
    folder_.clear();
  }
}

std::string PostgresServer::connection(const std::string& database) const {
  return "host=" + folder_ + " port=" + std::to_string(port_) + " user=btms dbname=" + database;
}

std::string PostgresServer::create_database(const std::string& name) {
  pqxx::connection admin(connection("postgres"));
  pqxx::nontransaction tx(admin);
  tx.exec("CREATE DATABASE " + tx.quote_name(name));
  return connection(name);
}

}  // namespace btms::testing
