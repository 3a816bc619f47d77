#include "web/user_admin.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <optional>
#include <stdexcept>

#include "security/audit_log.hpp"
#include "web/api_handlers.hpp"
#include "web/auth_handlers.hpp"

namespace btms::web {

namespace {

// Turns terminal echo off for its lifetime (restored even when reading throws).
class EchoOff {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

std::optional<std::string> read_line(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

int add_user_interactive(const std::string& data_dir, const std::string& name,
                         std::string_view role_text, std::istream& password_in, std::ostream& out,
                         std::ostream& err, security::PasswordHashCost cost) {
  const auto role = security::parse_role(role_text);
  if (!role) {
    err << "role must be viewer, operator or admin\n";
    return 1;
  }
  if (data_dir.empty()) {
    err << "a data directory is required (--data-dir)\n";
    return 1;
  }
  try {
    security::validate_user_name(name);
  } catch (const std::invalid_argument& e) {
    err << e.what() << '\n';
    return 1;
  }
  const bool terminal = &password_in == &std::cin && ::isatty(STDIN_FILENO) == 1;
  std::optional<std::string> password;
  if (terminal) {
    EchoOff echo_off;
    out << "Password for " << name << ": " << std::flush;
    password = read_line(password_in);
    out << "\nRepeat password: " << std::flush;
    const auto repeat = read_line(password_in);
    out << '\n';
    if (password && repeat != password) {
      err << "the passwords do not match\n";
      return 1;
    }
  } else {
    password = read_line(password_in);
  }
  if (!password) {
    err << "no password given on standard input\n";
    return 1;
  }
  try {
    AuthContext auth(data_dir, false, true, AuthTuning{cost, {}, {}, 1});
    if (auth.users()->find(name)) {
      err << "user already exists: " << name << '\n';
      return 1;
    }
    const auto now_ms = unix_now_ms();
    auth.users()->add_user(name, *role, *password, now_ms);
    auth.audit()->append(now_ms, "", "cli", security::AuditAction::user_change, "user/" + name,
                         std::string("added with role ").append(security::to_string(*role)));
  } catch (const std::invalid_argument& e) {
    err << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    err << "cannot open the user store in " << data_dir << ": " << e.what() << '\n';
    return 2;
  }
  out << "added " << name << " (" << security::to_string(*role) << ")\n";
  return 0;
}

}  // namespace btms::web
