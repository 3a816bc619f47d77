#pragma once
// Log output that never holds up the process: the gateway logs from its field bus, history and
// consumer threads, and a stdout nobody reads (a full pipe, a stopped pager, a stuck journal)
// must not stall any of them, nor the shutdown.
#include <spdlog/async.h>
#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace btms::ops {

// Writes formatted lines to a file descriptor, waiting at most `write_timeout_ms` for it to
// take a line. A line it does not take is dropped and counted; while the descriptor stays
// full, further lines are dropped without waiting, and when it takes lines again the first one
// says how many were lost. A line's journal fields (log_fields.hpp) are left out: people read
// its text only.
class BoundedFdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  BoundedFdSink(int fd, int write_timeout_ms);
  std::uint64_t dropped_lines() const;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  bool write_all(const char* data, std::size_t size, int timeout_ms);

  int fd_;
  int write_timeout_ms_;
  bool blocked_ = false;  // the last line was dropped: do not wait for the next one
  std::atomic<std::uint64_t> dropped_lines_{0};  // since the start; read from other threads
  std::uint64_t unreported_drops_ = 0;           // not yet told on the output
};

// A logger whose callers never wait: lines go to `pool`'s queue, and when it is full the oldest
// line is overwritten (spdlog's overrun_oldest), whatever the sink does.
std::shared_ptr<spdlog::logger> make_nonblocking_logger(
    std::string name, spdlog::sink_ptr sink,
    const std::shared_ptr<spdlog::details::thread_pool>& pool);

struct LogRoute {
  spdlog::sink_ptr sink;  // a BoundedFdSink, or a JournalSink (journal_sink.hpp)
  bool journal = false;   // entries with fields go to the journal
};

// A JournalSink on `journal_socket` when `fd` is the journal stream named by `journal_stream`
// ($JOURNAL_STREAM) and the socket takes a connection; otherwise a BoundedFdSink on `fd`.
LogRoute choose_log_output(int fd, const char* journal_stream, const std::string& journal_socket,
                           int write_timeout_ms);

// Makes spdlog's default logger asynchronous (a queue of `queue_lines`; when it is full the
// oldest line is overwritten, a caller never waits) over a BoundedFdSink on standard output,
// or, when standard output is systemd's journal stream ($JOURNAL_STREAM), over a JournalSink
// that keeps each line's fields (log_fields.hpp). Called once by main before any command runs.
LogRoute route_logs_without_blocking(std::size_t queue_lines = 8192, int write_timeout_ms = 200);

// What route_logs_without_blocking chose: true when log lines are journal entries.
bool logs_go_to_journal();

}  // namespace btms::ops
