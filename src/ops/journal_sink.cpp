#include "ops/journal_sink.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "ops/log_fields.hpp"

namespace btms::ops {

namespace {

// journald accepts entries up to its datagram limit; sd-journal raises the send buffer the same
// way so that a long entry fits.
constexpr int kSendBufferBytes = 8 * 1024 * 1024;

template <class T>
bool parse_number(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

bool stream_is_journal(int fd, const char* journal_stream) {
  if (journal_stream == nullptr) return false;
  const std::string_view value(journal_stream);
  const auto colon = value.find(':');
  if (colon == std::string_view::npos) return false;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  if (!parse_number(value.substr(0, colon), device) ||
      !parse_number(value.substr(colon + 1), inode)) {
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return static_cast<std::uint64_t>(st.st_dev) == device &&
         static_cast<std::uint64_t>(st.st_ino) == inode;
}

int journal_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;
    case spdlog::level::info:
      return 6;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::err:
      return 3;
    case spdlog::level::critical:
      return 2;
    default:
      return 6;
  }
}

void append_journal_field(std::string& entry, std::string_view key, std::string_view value) {
  entry.append(key);
  if (value.find('\n') == std::string_view::npos) {
    entry += '=';
    entry.append(value);
  } else {
    entry += '\n';
    auto size = static_cast<std::uint64_t>(value.size());
    for (int i = 0; i < 8; ++i, size >>= 8) entry += static_cast<char>(size & 0xff);
    entry.append(value);
  }
  entry += '\n';
}

std::string thread_name(std::size_t tid) {
  // /proc/self/task/<tid>/comm is what pthread_setname_np wrote, readable from any thread of
  // the process (the logger's thread reads the caller's name here).
  const auto path = fmt::format("/proc/self/task/{}/comm", tid);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buf[32];
  const auto n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n <= 0) return {};
  std::string name(buf, static_cast<std::size_t>(n));
  while (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

JournalSink::JournalSink(std::string socket_path, int send_timeout_ms, std::string identifier)
    : socket_path_(std::move(socket_path)),
      send_timeout_ms_(send_timeout_ms),
      identifier_(std::move(identifier)) {
  open_socket();
}

JournalSink::~JournalSink() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t JournalSink::dropped_entries() const {
  return dropped_entries_.load();
}

bool JournalSink::connected() const {
  return connected_.load();
}

bool JournalSink::open_socket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  connected_ = false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof address.sun_path) return false;
  std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  // Best effort: without it only entries up to the default buffer size fit.
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSendBufferBytes, sizeof kSendBufferBytes);
  // Connected, not sendto() each time: poll() waits for room in a connected peer's queue only.
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return false;
  }
  fd_ = fd;
  connected_ = true;
  return true;
}

bool JournalSink::send_entry(const std::string& datagram, int timeout_ms) {
  if (fd_ < 0 && !open_socket()) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool reconnected = false;
  for (;;) {
    if (::send(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
      return true;  // a datagram goes whole or not at all
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      const auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               deadline - std::chrono::steady_clock::now())
                               .count();
      if (left_ms <= 0) return false;
      pollfd pfd{fd_, POLLOUT, 0};
      const int ready = ::poll(&pfd, 1, static_cast<int>(left_ms));
      if (ready < 0 && errno != EINTR) return false;
      continue;
    }
    // journald restarted: its socket is a new one at the same path; connect to it once.
    if ((errno == ECONNREFUSED || errno == ENOTCONN) && !reconnected) {
      reconnected = true;
      if (open_socket()) continue;
    }
    return false;
  }
}

std::string JournalSink::entry(const spdlog::details::log_msg& msg) const {
  const auto [text, fields] =
      split_fields(std::string_view(msg.payload.data(), msg.payload.size()));
  std::string out;
  out.reserve(text.size() + fields.size() + 160);
  append_journal_field(out, "MESSAGE", text);
  append_journal_field(out, "PRIORITY", std::to_string(journal_priority(msg.level)));
  append_journal_field(out, "SYSLOG_IDENTIFIER", identifier_);
  if (!msg.source.empty()) {
    append_journal_field(out, "CODE_FILE", msg.source.filename);
    append_journal_field(out, "CODE_LINE", std::to_string(msg.source.line));
    if (msg.source.funcname != nullptr) append_journal_field(out, "CODE_FUNC", msg.source.funcname);
  }
  if (const auto name = thread_name(msg.thread_id); !name.empty())
    append_journal_field(out, "BTMS_THREAD", name);
  for_each_field(fields, [&out](std::string_view key, std::string_view value) {
    append_journal_field(out, key, value);
  });
  return out;
}

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
  // While the journal does not take entries they are dropped at once (a send that does not
  // wait): a queue of 8192 lines each waiting 200 ms would hold a shutdown for half an hour.
  const int timeout_ms = blocked_ ? 0 : send_timeout_ms_;
  if (unreported_drops_ > 0) {
    std::string note;
    append_journal_field(
        note, "MESSAGE",
        fmt::format("[log output] {} entries dropped while the journal was not taking them",
                    unreported_drops_));
    append_journal_field(note, "PRIORITY", std::to_string(journal_priority(spdlog::level::warn)));
    append_journal_field(note, "SYSLOG_IDENTIFIER", identifier_);
    append_journal_field(note, "BTMS_DROPPED", std::to_string(unreported_drops_));
    if (send_entry(note, timeout_ms)) unreported_drops_ = 0;
  }
  blocked_ = !send_entry(entry(msg), timeout_ms);
  if (blocked_) {
    ++dropped_entries_;
    ++unreported_drops_;
  }
}

}  // namespace btms::ops
