#pragma once
// Log lines as journal entries, with fields (systemd's native journal protocol), for a
// gateway whose standard output is the journal (a systemd service).
//
// The protocol is written here rather than through sd_journal_sendv: sd_journal_sendv sends on
// a blocking socket (a slow journald stalls the sender) and has no socket path to point a test
// at. This sink sends each entry as one datagram on a non-blocking socket connected to the
// journal, waits at most `send_timeout_ms` for the journal to take it, and otherwise drops and
// counts it, like BoundedFdSink: it only ever runs on the asynchronous logger's thread, and
// even that thread never hangs on a stuck journal.
#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace btms::ops {

inline constexpr const char* kJournalSocketPath = "/run/systemd/journal/socket";

// True when `fd` is the stream systemd connected to the journal: $JOURNAL_STREAM holds that
// stream's "device:inode" (systemd.exec(5)), and a descriptor redirected since (a pipe, a file)
// no longer matches it. Null or malformed `journal_stream` = false.
bool stream_is_journal(int fd, const char* journal_stream);

// syslog priority of a spdlog level (debug 7, info 6, warn 4, err 3, critical 2).
int journal_priority(spdlog::level::level_enum level);

// Appends one field in the native protocol: "KEY=value\n", or for a value holding a newline
// "KEY\n", its length as 64-bit little endian, the value and "\n".
void append_journal_field(std::string& entry, std::string_view key, std::string_view value);

// The name a thread of this process gave itself (pthread_setname_np), "" when it is gone.
std::string thread_name(std::size_t tid);

class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JournalSink(std::string socket_path = kJournalSocketPath, int send_timeout_ms = 200,
                       std::string identifier = "btms");
  ~JournalSink() override;
  JournalSink(const JournalSink&) = delete;
  JournalSink& operator=(const JournalSink&) = delete;

  // Entries the journal did not take (since the start); read from any thread.
  std::uint64_t dropped_entries() const;
  // True when the socket could be opened and connected (at construction or since).
  bool connected() const;

  // The datagram for one line: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, CODE_FILE/LINE/FUNC when
  // the line has a source location, BTMS_THREAD (the logging thread's name), and the line's own
  // fields (log_fields.hpp).
  std::string entry(const spdlog::details::log_msg& msg) const;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  bool open_socket();
  bool send_entry(const std::string& datagram, int timeout_ms);

  std::string socket_path_;
  int send_timeout_ms_;
  std::string identifier_;
  int fd_ = -1;
  std::atomic<bool> connected_{false};
  bool blocked_ = false;  // the last entry was dropped: do not wait for the next one
  std::atomic<std::uint64_t> dropped_entries_{0};
  std::uint64_t unreported_drops_ = 0;  // not yet told in the journal
};

}  // namespace btms::ops
