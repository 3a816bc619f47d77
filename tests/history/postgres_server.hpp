// A throwaway PostgreSQL server for tests and benchmarks: initdb into a fresh temporary folder,
// pg_ctl start listening on a Unix socket in that folder only (no TCP, so no port can clash
// with anything), and on destruction pg_ctl stop plus removal of the folder.
//
// initdb and postgres refuse to run as root. When this process is root, the server's programs
// run as the unprivileged user `nobody`: a forked child gives up root (setgroups, setgid,
// setuid) before exec'ing initdb / pg_ctl, and the temporary folder is chowned to that user
// first. Dropping privileges in our own child needs no sudo/runuser/su binary (runuser is in
// util-linux, but su-style PAM sessions and login shells are not needed and vary between
// systems), and the parent (root) can still read, connect to and delete everything.
//
// Stopping does not depend on this process ending well: a watchdog child, forked before the
// server starts, waits for the end of a pipe whose write end only this process holds; when
// it closes (destructor, or the process dies of a crash, a timeout's SIGKILL, ...) the
// watchdog runs pg_ctl stop and removes the folder.
#pragma once

#include <string>

namespace btms::testing {

class PostgresServer {
 public:
  // Throws std::runtime_error with the reason (binaries missing, initdb or start failed and
  // the server log) when the server cannot be started.
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Creates a new empty database and returns its libpq connection string.
  std::string create_database(const std::string& name);
  // Connection string of an existing database.
  std::string connection(const std::string& database) const;
  const std::string& folder() const { return folder_; }

 private:
  void start_watchdog();
  void stop();
  std::string bin_;         // folder of initdb, pg_ctl
  std::string folder_;      // temporary: data/, the socket, logs
  int port_ = 5432;         // names the socket file only (.s.PGSQL.<port>)
  int watchdog_pipe_ = -1;  // write end; closing it stops the server
  int watchdog_pid_ = -1;
};

// Folder of initdb and pg_ctl ($BTMS_PG_BIN, else the newest /usr/lib/postgresql/*/bin), or ""
// when PostgreSQL is not installed.
std::string find_postgres_bin();

}  // namespace btms::testing
