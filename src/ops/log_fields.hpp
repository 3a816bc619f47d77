#pragma once
// Structured fields for a log line (journal fields such as BTMS_STRING=3), carried through
// spdlog's asynchronous queue inside the message itself.
//
// spdlog's log_msg has no place for extra fields, and a thread-local would be read on the
// logger's thread, not the caller's. So a line with fields is one payload: the text, one
// ASCII record separator (0x1E), then "KEY=value\n" per field. The queue copies the payload
// whole; the journal sink turns each field into a journal field, every other sink shows only
// the text (split_fields). The caller pays for one string build, and only when the level is
// logged; it never formats for the journal itself (the logger's thread does that).
#include <spdlog/logger.h>

#include <string>
#include <string_view>

namespace btms::ops {

inline constexpr char kFieldsSeparator = '\x1e';

// "KEY=value\n" pairs. Keys are the caller's constants (upper case, digits, underscore, as the
// journal wants them); a newline or separator inside a value becomes a space, so a field is
// always one line.
class LogFields {
 public:
  LogFields& add(std::string_view key, std::string_view value);
  const std::string& encoded() const { return encoded_; }
  bool empty() const { return encoded_.empty(); }

 private:
  std::string encoded_;
};

struct SplitPayload {
  std::string_view text;    // what a person reads
  std::string_view fields;  // "KEY=value\n"..., empty for a plain line
};
SplitPayload split_fields(std::string_view payload);

// Calls f(key, value) for each "KEY=value\n" of an encoded block.
template <class F>
void for_each_field(std::string_view block, F&& f) {
  while (!block.empty()) {
    const auto end = block.find('\n');
    const auto line = block.substr(0, end);
    const auto eq = line.find('=');
    if (eq != std::string_view::npos && eq > 0) f(line.substr(0, eq), line.substr(eq + 1));
    if (end == std::string_view::npos) break;
    block.remove_prefix(end + 1);
  }
}

// Logs `text` with `fields` at `level` (nothing is built when the level is off). A separator
// inside `text` becomes a space: it would otherwise cut the text short.
void log_with_fields(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view text,
                     const LogFields& fields);

}  // namespace btms::ops
