#include "ops/log_output.hpp"

#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ops/journal_sink.hpp"
#include "ops/log_fields.hpp"

namespace btms::ops {

namespace {
std::atomic<bool> g_logs_go_to_journal{false};
}  // namespace

BoundedFdSink::BoundedFdSink(int fd, int write_timeout_ms)
    : fd_(fd), write_timeout_ms_(write_timeout_ms) {}

std::uint64_t BoundedFdSink::dropped_lines() const {
  return dropped_lines_.load();
}

bool BoundedFdSink::write_all(const char* data, std::size_t size, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (size > 0) {
    const auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             deadline - std::chrono::steady_clock::now())
                             .count();
    pollfd pfd{fd_, POLLOUT, 0};
    // POLLOUT on a pipe means at least PIPE_BUF bytes are free: a line up to that size is
    // written whole without blocking; a longer one continues at the next POLLOUT.
    const int ready = ::poll(&pfd, 1, static_cast<int>(left_ms > 0 ? left_ms : 0));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0 || (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) return false;
    const auto n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

void BoundedFdSink::sink_it_(const spdlog::details::log_msg& msg) {
  // While the output is stuck, lines are dropped at once (a write that does not wait): a queue
  // of 8192 lines each waiting 200 ms would hold a shutdown for half an hour.
  const int timeout_ms = blocked_ ? 0 : write_timeout_ms_;
  if (unreported_drops_ > 0) {
    const auto note = fmt::format("[log output] {} lines dropped while the output was blocked\n",
                                  unreported_drops_);
    if (write_all(note.data(), note.size(), timeout_ms)) unreported_drops_ = 0;
  }
  // A line's journal fields (log_fields.hpp) are not for people: only its text is written.
  auto shown = msg;
  const auto text = split_fields(std::string_view(msg.payload.data(), msg.payload.size())).text;
  shown.payload = spdlog::string_view_t(text.data(), text.size());
  spdlog::memory_buf_t formatted;
  formatter_->format(shown, formatted);
  blocked_ = !write_all(formatted.data(), formatted.size(), timeout_ms);
  if (blocked_) {
    ++dropped_lines_;
    ++unreported_drops_;
  }
}

std::shared_ptr<spdlog::logger> make_nonblocking_logger(
    std::string name, spdlog::sink_ptr sink,
    const std::shared_ptr<spdlog::details::thread_pool>& pool) {
  return std::make_shared<spdlog::async_logger>(std::move(name), std::move(sink), pool,
                                                spdlog::async_overflow_policy::overrun_oldest);
}

LogRoute choose_log_output(int fd, const char* journal_stream, const std::string& journal_socket,
                           int write_timeout_ms) {
  LogRoute route;
  // The descriptor still connected to the journal (systemd started us with
  // StandardOutput=journal): entries with fields. A journal socket that cannot be opened leaves
  // the plain lines, which still reach the journal through the stream.
  if (stream_is_journal(fd, journal_stream)) {
    auto journal = std::make_shared<JournalSink>(journal_socket, write_timeout_ms);
    if (journal->connected()) {
      route.sink = journal;
      route.journal = true;
      return route;
    }
  }
  route.sink = std::make_shared<BoundedFdSink>(fd, write_timeout_ms);
  return route;
}

LogRoute route_logs_without_blocking(std::size_t queue_lines, int write_timeout_ms) {
  spdlog::init_thread_pool(queue_lines, 1, [] { pthread_setname_np(pthread_self(), "log:out"); });
  auto route = choose_log_output(STDOUT_FILENO, std::getenv("JOURNAL_STREAM"), kJournalSocketPath,
                                 write_timeout_ms);
  g_logs_go_to_journal = route.journal;
  spdlog::set_default_logger(make_nonblocking_logger("btms", route.sink, spdlog::thread_pool()));
  return route;
}

bool logs_go_to_journal() {
  return g_logs_go_to_journal.load();
}

}  // namespace btms::ops
