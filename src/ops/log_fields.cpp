#include "ops/log_fields.hpp"

namespace btms::ops {

namespace {
void append_one_line(std::string& out, std::string_view value) {
  for (const char c : value) out += (c == '\n' || c == kFieldsSeparator) ? ' ' : c;
}
}  // namespace

LogFields& LogFields::add(std::string_view key, std::string_view value) {
  encoded_.append(key);
  encoded_ += '=';
  append_one_line(encoded_, value);
  encoded_ += '\n';
  return *this;
}

SplitPayload split_fields(std::string_view payload) {
  const auto at = payload.find(kFieldsSeparator);
  if (at == std::string_view::npos) return {payload, {}};
  return {payload.substr(0, at), payload.substr(at + 1)};
}

void log_with_fields(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view text,
                     const LogFields& fields) {
  if (!logger.should_log(level)) return;
  std::string payload;
  payload.reserve(text.size() + 1 + fields.encoded().size());
  for (const char c : text) payload += c == kFieldsSeparator ? ' ' : c;
  if (!fields.empty()) {
    payload += kFieldsSeparator;
    payload += fields.encoded();
  }
  // A string_view payload is not a format string: braces in the text stay as they are.
  logger.log(level, spdlog::string_view_t(payload.data(), payload.size()));
}

}  // namespace btms::ops
